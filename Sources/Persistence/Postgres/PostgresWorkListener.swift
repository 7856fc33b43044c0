import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// `LISTEN`s for enqueued work on a connection of its own (not one of the pool's) and wakes
/// every subscribed worker; reconnects a second after the connection drops (a PostgreSQL
/// restart). A `Service`: it listens while its `run()` runs (in the command's `ServiceGroup`,
/// or in a worker that runs it itself), ends on graceful shutdown, and then finishes the
/// subscribers' streams.
public final class PostgresWorkListener: Service, Sendable {
    private let location: PostgresLocation
    private let channel: String
    private let logger: Logger
    private let subscribers = Mutex<Subscribers>(Subscribers())

    private struct Subscribers {
        var next = 0
        var continuations: [Int: AsyncStream<Void>.Continuation] = [:]
        /// How many `run()`s are listening now.
        var running = 0
    }

    init(location: PostgresLocation, channel: String, logger: Logger) {
        self.location = location
        self.channel = channel
        self.logger = logger
    }

    /// A stream that yields when work was enqueued (and once each time listening starts, for
    /// what was enqueued meanwhile); it finishes when the listener stops.
    public func notifications() -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let id = subscribers.withLock { subscribers -> Int in
            defer { subscribers.next += 1 }
            subscribers.continuations[subscribers.next] = continuation
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
                return Array(subscribers.continuations.values)
            }
            for continuation in continuations { continuation.finish() }
        }
        try? await cancelWhenGracefulShutdown { [self] in
            while !Task.isCancelled {
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
                wake()
                for try await _ in notifications { wake() }
            }
        } catch {
            try? await connection.close()
            throw error
        }
        try? await connection.close()
    }

    private func wake() {
        for continuation in subscribers.withLock({ Array($0.continuations.values) }) { continuation.yield() }
    }
}
