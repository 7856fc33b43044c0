import Foundation
import Logging
import PostgresNIO
import Synchronization

/// `LISTEN`s on a store's event channel for all of its `eventSignals()` streams, on one
/// connection of its own (not one of the pool's), and wakes each stream on every
/// notification; reconnects a second after the connection drops, and wakes the streams
/// then too, for what was written meanwhile.
///
/// Unlike `PostgresWorkListener` it is not a `Service`: it listens while someone follows
/// the log (started by the first stream, stopped when the last one ends or the store
/// closes), so that a caller of `eventSignals()` gets signals without running anything
/// beside it. Its task is owned here and always cancelled by one of those two.
final class PostgresEventListener: Sendable {
    private let location: PostgresLocation
    let channel: String
    private let logger: Logger
    private let state = Mutex(Followers())

    private struct Followers {
        var next = 0
        var continuations: [Int: AsyncStream<Void>.Continuation] = [:]
        var task: Task<Void, Never>?
        var closed = false
    }

    init(location: PostgresLocation, channel: String, logger: Logger) {
        self.location = location
        self.channel = channel
        self.logger = logger
    }

    /// A stream that yields at once, then on each notification; it ends when its consumer
    /// stops iterating it (or the store closes).
    func signals() -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        continuation.yield()
        let id = state.withLock { followers -> Int? in
            guard !followers.closed else { return nil }
            defer { followers.next += 1 }
            followers.continuations[followers.next] = continuation
            if followers.task == nil {
                followers.task = Task { await self.listen() }
            }
            return followers.next
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in self?.remove(id) }
        return stream
    }

    /// Ends every stream and stops listening; later streams end at once.
    func close() {
        let (continuations, task) = state.withLock { followers in
            followers.closed = true
            defer {
                followers.continuations = [:]
                followers.task = nil
            }
            return (Array(followers.continuations.values), followers.task)
        }
        task?.cancel()
        for continuation in continuations { continuation.finish() }
    }

    private func remove(_ id: Int) {
        let idle = state.withLock { followers -> Task<Void, Never>? in
            followers.continuations[id] = nil
            guard followers.continuations.isEmpty else { return nil }
            defer { followers.task = nil }
            return followers.task
        }
        idle?.cancel()
    }

    /// LISTENs until cancelled, and wakes the followers every second besides: a notification
    /// lost while the connection was (re)opening delays a follower by a second, never forever.
    private func listen() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.listenUntilCancelled() }
            group.addTask {
                while (try? await Task.sleep(for: .seconds(1))) != nil { self.wake() }
            }
            await group.waitForAll()
        }
    }

    private func listenUntilCancelled() async {
        while !Task.isCancelled {
            do {
                try await listenOnce()
            } catch {
                if Task.isCancelled { return }
                logger.warning("LISTEN connection for events lost; reconnecting", metadata: ["error": "\(PostgresFailure(error))"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    private func listenOnce() async throws {
        let connection = try await PostgresConnection.connect(configuration: try location.connectionConfiguration(), id: 2, logger: logger)
        do {
            try await connection.listen(on: channel) { notifications in
                // Listening now: what was written before must not wait for the next event.
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
        for continuation in state.withLock({ Array($0.continuations.values) }) { continuation.yield() }
    }
}
