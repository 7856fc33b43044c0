import Foundation
import Synchronization

/// A call to PostgreSQL that fails when no answer comes within its limit.
///
/// postgres-nio 1.33 can lose a query written at the moment its connection closes (every
/// connection closes at once in a `pg_ctl restart -m fast`): that call never returns, not
/// even when cancelled, and a worker waiting on it would hold, and keep renewing, leases of
/// processes nobody runs. Racing the call against a timer turns such a loss into an error
/// the worker recovers from (it asks what it holds and hands back what it is not running).
/// The lost call's task is left behind; it holds no connection.
enum BoundedCall {
    static func run<Value: Sendable>(
        _ limit: Duration, what: @escaping @Sendable () -> String, _ operation: @escaping @Sendable () async throws -> Value
    ) async throws -> Value {
        let race = Race<Value>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Value, any Error>) in
                race.start(
                    continuation,
                    work: Task {
                        do {
                            race.finish(.success(try await operation()))
                        } catch {
                            race.finish(.failure(error))
                        }
                    },
                    timer: Task {
                        try await Task.sleep(for: limit)
                        race.finish(.failure(TimedOut(what: what(), limit: limit)))
                    })
            }
        } onCancel: {
            race.finish(.failure(CancellationError()))
        }
    }

    /// No answer within the limit.
    struct TimedOut: Error, CustomStringConvertible {
        var what: String
        var limit: Duration
        var description: String { "PostgreSQL did not answer \(what) within \(limit) (query_timeout); the call is given up" }
    }

    /// Whichever of the call, the timer or a cancellation ends first resumes the caller, once.
    private final class Race<Value: Sendable>: Sendable {
        private struct State {
            var continuation: CheckedContinuation<Value, any Error>?
            var early: Result<Value, any Error>?
            var tasks: [Task<Void, any Error>] = []
        }
        private let state = Mutex(State())

        func start(_ continuation: CheckedContinuation<Value, any Error>, work: Task<Void, any Error>, timer: Task<Void, any Error>) {
            let early = state.withLock { state -> Result<Value, any Error>? in
                state.tasks = [work, timer]
                guard let early = state.early else {
                    state.continuation = continuation
                    return nil
                }
                return early
            }
            if let early {
                work.cancel()
                timer.cancel()
                continuation.resume(with: early)
            }
        }

        func finish(_ result: Result<Value, any Error>) {
            let (continuation, tasks) = state.withLock { state -> (CheckedContinuation<Value, any Error>?, [Task<Void, any Error>]) in
                defer { state.continuation = nil }
                if state.continuation == nil && state.early == nil { state.early = result }
                return (state.continuation, state.tasks)
            }
            guard let continuation else { return }
            for task in tasks { task.cancel() }
            continuation.resume(with: result)
        }
    }
}
