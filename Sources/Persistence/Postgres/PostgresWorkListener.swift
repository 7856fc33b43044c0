import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// `LISTEN`s for enqueued work on a connection of its own (not one of the pool's) and wakes
/// one subscribed worker per notification, in turn (every one when listening starts);
/// reconnects a second after the connection drops (a PostgreSQL
/// restart). A `Service`: it listens while its `run()` runs (in the command's `ServiceGroup`,
/// or in a worker that runs it itself), ends on graceful shutdown, and then finishes the
/// subscribers' streams.
public final class PostgresWorkListener: Service, Sendable {
    private let location: PostgresLocation
    private let channel: String
    private let logger: Logger
    private let subscribers = Mutex<Subscribers>(Subscribers())

    private struct Subscriber {
        var continuation: AsyncStream<Void>.Continuation
        var hasRoom: @Sendable () -> Bool
    }

    private struct Subscribers {
        var next = 0
        var continuations: [Int: Subscriber] = [:]
        /// The subscriber woken last, so that the next notification goes to the one after it.
        var lastWoken = -1
        /// How many `run()`s are running now.
        var running = 0
        /// Whether one of them holds the `LISTEN` connection: one per listener, however many
        /// workers of one process run it, or each notification would wake workers once per run.
        var listening = false
    }

    init(location: PostgresLocation, channel: String, logger: Logger) {
        self.location = location
        self.channel = channel
        self.logger = logger
    }

    /// A stream that yields when work was enqueued and this subscriber's turn came (and once
    /// each time listening starts, for what was enqueued meanwhile); it finishes when the
    /// listener stops. `hasRoom` says whether the subscriber could take work now: one that
    /// cannot is passed over while another can.
    public func notifications(hasRoom: @escaping @Sendable () -> Bool = { true }) -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let id = subscribers.withLock { subscribers -> Int in
            defer { subscribers.next += 1 }
            subscribers.continuations[subscribers.next] = Subscriber(continuation: continuation, hasRoom: hasRoom)
            return subscribers.next
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.subscribers.withLock { $0.continuations.removeValue(forKey: id) }
        }
        return stream
    }

    /// Listens until graceful shutdown or cancellation.
    public func run() async throws {
        subscribers.withLock { $0.running += 1 }
        defer {
            let continuations = subscribers.withLock { subscribers -> [AsyncStream<Void>.Continuation] in
                subscribers.running -= 1
                guard subscribers.running == 0 else { return [] }
                defer { subscribers.continuations = [:] }
                return subscribers.continuations.values.map(\.continuation)
            }
            for continuation in continuations { continuation.finish() }
        }
        try? await cancelWhenGracefulShutdown { [self] in
            while !Task.isCancelled {
                // Another run of this listener listens already: stand by, and take over if it ends.
                guard
                    subscribers.withLock({ subscribers in
                        defer { subscribers.listening = true }
                        return !subscribers.listening
                    })
                else {
                    try await Task.sleep(for: .seconds(1))
                    continue
                }
                defer { subscribers.withLock { $0.listening = false } }
                do {
                    try await listenOnce()
                } catch is CancellationError {
                    return
                } catch {
                    if Task.isCancelled { return }
                    logger.warning("LISTEN connection lost; reconnecting", metadata: ["error": "\(PostgresFailure(error))"])
                    try await Task.sleep(for: .seconds(1))
                }
            }
        }
    }

    private func listenOnce() async throws {
        let connection = try await PostgresConnection.connect(configuration: try location.connectionConfiguration(), id: 1, logger: logger)
        do {
            try await connection.listen(on: channel) { notifications in
                // Listening now: anything enqueued meanwhile must not wait for the next poll.
                wakeEveryone()
                for try await _ in notifications { wakeOne() }
            }
        } catch {
            try? await connection.close()
            throw error
        }
        try? await connection.close()
    }

    private func wakeEveryone() {
        for subscriber in subscribers.withLock({ Array($0.continuations.values) }) { subscriber.continuation.yield() }
    }

    /// One enqueued process, one claim: the next subscriber after the last one woken that has
    /// room, else simply the next (it claims as soon as a slot frees).
    private func wakeOne() {
        let chosen = subscribers.withLock { subscribers -> Subscriber? in
            let ids = subscribers.continuations.keys.sorted()
            guard !ids.isEmpty else { return nil }
            let start = ids.firstIndex { $0 > subscribers.lastWoken } ?? 0
            let turn = ids[start...] + ids[..<start]
            let id = turn.first { subscribers.continuations[$0]?.hasRoom() == true } ?? turn.first!
            subscribers.lastWoken = id
            return subscribers.continuations[id]
        }
        chosen?.continuation.yield()
    }
}
