import Foundation
import ServiceLifecycle
import Synchronization

/// A process a worker claimed: the record as it is now (`running`, leased to the worker)
/// and the status it had, which says where to go on from.
public struct ClaimedProcess: Sendable, Hashable {
    public var process: ProcessRecord
    public var previousStatus: ProcessStatus

    public init(process: ProcessRecord, previousStatus: ProcessStatus) {
        self.process = process
        self.previousStatus = previousStatus
    }
}

/// A `wf worker` as it registers itself, and the processes it holds a lease on.
public struct WorkerRecord: Sendable, Hashable {
    /// The worker's runner id, the same text it writes into `processes.lease_owner`.
    public var workerID: String
    public var host: String
    public var pid: Int
    public var concurrency: Int
    public var startedAt: Date
    public var heartbeatAt: Date
    /// Set once the worker was asked to stop: it claims nothing new.
    public var stopping: Bool
    /// Filled in by `workers()`: the processes whose lease this worker holds.
    public var holding: [ProcessID]

    public init(
        workerID: String, host: String, pid: Int, concurrency: Int, startedAt: Date, heartbeatAt: Date, stopping: Bool = false,
        holding: [ProcessID] = []
    ) {
        self.workerID = workerID
        self.host = host
        self.pid = pid
        self.concurrency = concurrency
        self.startedAt = startedAt
        self.heartbeatAt = heartbeatAt
        self.stopping = stopping
        self.holding = holding
    }
}

/// What long-running workers need from a store beyond `ProcessStore`.
public protocol WorkerStore: ProcessStore {
    /// Claims up to `limit` runnable processes for `owner` in one transaction: created ones,
    /// `waiting` ones whose retry time has come, and in-flight ones whose lease expired
    /// (oldest first). Two claimers never get the same process; on PostgreSQL a claimer skips
    /// rows another one is claiming (`FOR UPDATE SKIP LOCKED`) instead of waiting for them.
    func claimRunnable(owner: String, now: Date, leaseExpiresAt: Date, limit: Int) async throws -> [ClaimedProcess]

    /// Gives up `owner`'s lease without changing the process, so that another runner can take
    /// it at once. False when `owner` did not hold it.
    func releaseLease(_ processID: ProcessID, owner: String) async throws -> Bool

    /// Inserts or replaces the worker's row.
    func registerWorker(_ worker: WorkerRecord) async throws
    /// Records that the worker is alive (and whether it is stopping).
    func touchWorker(_ workerID: String, now: Date, stopping: Bool) async throws
    func removeWorker(_ workerID: String) async throws
    /// Every registered worker with the processes it holds, most recently seen first.
    func workers() async throws -> [WorkerRecord]

    /// Yields when work was enqueued (PostgreSQL: `LISTEN`, while that listener runs as one
    /// of `services`); finishes when the listener stops. A store that cannot notify returns
    /// nil, and workers only poll. Of the subscribers in one process, each enqueue wakes one
    /// (the next in turn that `hasRoom`), not every one: the others' claims would come back
    /// empty. Every subscriber is woken when listening (re)starts.
    func workNotifications(hasRoom: @escaping @Sendable () -> Bool) -> AsyncStream<Void>?

    /// The service that feeds `workNotifications(hasRoom:)` (PostgreSQL: the `LISTEN` loop), or nil.
    var workListener: (any Service)? { get }

    /// What a long-running command must run beside its workers, in its `ServiceGroup`, in
    /// start order (PostgreSQL: the connection pool, then the `LISTEN` loop); empty when nothing.
    var services: [any Service] { get }
}

/// Set to ask running processes to stop after the step they are in: the result of that
/// step is committed, the lease released, and another runner goes on from there.
public final class DrainSignal: Sendable {
    private let flag = Mutex(false)
    private let store: any WorkerStore

    /// A signal whose runs hand their processes back to `store`.
    public init(handingOverTo store: any WorkerStore) {
        self.store = store
    }

    /// Hands `processID` back (releases `owner`'s lease) so that another worker goes on with it.
    func handOver(_ processID: ProcessID, owner: String) async throws -> Bool {
        try await store.releaseLease(processID, owner: owner)
    }

    public var isSet: Bool { flag.withLock { $0 } }

    public func set() { flag.withLock { $0 = true } }
}
