import Foundation

/// Where processes, their step log and their inputs live. Implemented by the SQLite store
/// (and the PostgreSQL store); every implementation passes the same conformance suite.
///
/// Each method is one transaction. Writes that a runner makes while it owns a process are
/// fenced by its lease: a runner whose lease was taken over, or whose process was aborted,
/// cannot write a step any more.
public protocol ProcessStore: ChangeLedger {
    /// Inserts or updates the `workflows` rows; workflows no longer in code are kept.
    func syncWorkflows(_ workflows: [WorkflowDefinition], now: Date) async throws
    func workflows() async throws -> [WorkflowRow]

    /// Creates a process with its initial input (one record per answered page) in one
    /// transaction, taking `locks` on subscriptions atomically: when one is held by another
    /// process (or, with `refuseIfInUse`, used by another subscription) nothing is written and
    /// the error names the holder (or the users). Locks are released when the process ends
    /// (completed or aborted).
    func insertProcess(_ process: ProcessRecord, inputs: [InputStateRecord], locks: [SubscriptionLock]) async throws

    /// Takes ownership of a process if it is in one of `request.from` and no live lease is
    /// held on it; sets it `running` and writes the request's log row, input and state in the
    /// same transaction. Returns nil, writing nothing, when the conditions do not hold.
    func acquire(_ request: LeaseRequest) async throws -> ProcessRecord?

    /// Extends the lease; false when `owner` no longer holds it.
    func renewLease(_ processID: ProcessID, owner: String, until: Date) async throws -> Bool

    /// Writes a step's log row and, when the process stops, its new status, state, form
    /// and reason (releasing the lease), in one transaction. Throws `WorkflowError`
    /// `.leaseLost`, writing nothing, when `commit.owner` does not hold the lease or the
    /// process is not `running`. Reads of a running process report the key and state of its
    /// latest log row.
    func commitStep(_ commit: StepCommit) async throws

    /// Writes several steps' commits in order, in one transaction, each as `commitStep` would:
    /// all or none. The runner commits a run of pure steps this way, together with the step
    /// after them, so that they cost one commit (each keeps its own log row).
    func commitSteps(_ commits: [StepCommit]) async throws

    /// Marks a non-final process `aborted`, releases any lease and logs `log`. Returns nil,
    /// writing nothing, when the process is already final.
    func abort(_ processID: ProcessID, reason: String, log: StepRecord) async throws -> ProcessRecord?

    /// Processes a runner should pick up now: in flight with no live lease (their runner
    /// died), or `waiting` and due. Oldest first.
    func runnableProcesses(now: Date, limit: Int) async throws -> [ProcessRecord]

    func process(_ processID: ProcessID) async throws -> ProcessRecord?
    func processes(_ filter: ProcessFilter) async throws -> [ProcessRecord]
    /// The step log of a process, in the order it was written.
    func steps(of processID: ProcessID) async throws -> [StepRecord]
    func inputStates(of processID: ProcessID) async throws -> [InputStateRecord]
    /// Ids starting with `prefix` (at most `limit`), to resolve a shortened id.
    func processIDs(withPrefix prefix: String, limit: Int) async throws -> [ProcessID]
}

extension ProcessStore {
    /// Creates a process with a single initial input.
    public func insertProcess(_ process: ProcessRecord, input: InputStateRecord) async throws {
        try await insertProcess(process, inputs: [input], locks: [])
    }

    public func insertProcess(_ process: ProcessRecord, inputs: [InputStateRecord]) async throws {
        try await insertProcess(process, inputs: inputs, locks: [])
    }
}
