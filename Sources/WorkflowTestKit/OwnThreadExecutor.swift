import Foundation

/// Runs tasks on a thread of their own, outside Swift's cooperative pool: for a program under
/// test that blocks in `read(2)` (a terminal prompter waiting for a keystroke). On the pool,
/// which has one thread per core, two such programs in parallel tests would hold every
/// thread, and the tests that should type their answers could never run.
public final class OwnThreadExecutor: TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []

    public init(name: String = "own-thread-executor") {
        // The thread keeps its executor alive: a few idle threads in a test process cost nothing.
        let thread = Thread { self.serve() }
        thread.name = name
        thread.start()
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Takes jobs one at a time, for as long as the process lives (a test process is short).
    private func serve() {
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}

extension PseudoTerminal {
    /// Starts `program` (a prompter on this terminal) on a thread of its own; see
    /// `OwnThreadExecutor`.
    public func run<Success: Sendable>(_ program: @escaping @Sendable () async throws -> Success) -> Task<Success, any Error> {
        Task(executorPreference: OwnThreadExecutor(name: "pseudo-terminal program")) { try await program() }
    }
}
