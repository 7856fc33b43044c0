import Foundation
import PostgresNIO
import ServiceLifecycle
import WorkflowEngine

extension PostgresStore: WorkerStore {
    /// One statement: pick the oldest runnable rows no other claimer holds (`FOR UPDATE SKIP
    /// LOCKED`), lease them, record the events of those that were not running (the data as
    /// `EventDraft.claimed` has it), and return them as records with the status they had.
    public func claimRunnable(owner: String, now: Date, leaseExpiresAt: Date, limit: Int) async throws -> [ClaimedProcess] {
        var binds = PostgresBindings()
        binds.append(now.milliseconds)
        binds.append(limit)
        binds.append(owner)
        binds.append(leaseExpiresAt.milliseconds)
        binds.append(eventChannel)
        let sql =
            """
            WITH picked AS (
                SELECT p.process_id, p.last_status FROM processes p
                WHERE \(Self.runnable)
                ORDER BY p.last_modified_at LIMIT $2
                FOR UPDATE SKIP LOCKED
            ), claimed AS (
                UPDATE processes u SET last_status = 'running', lease_owner = $3, lease_expires_at = $4, last_modified_at = $1,
                    form = NULL, failed_reason = NULL, next_retry_at = NULL
                FROM picked WHERE u.process_id = picked.process_id
                RETURNING u.*, picked.last_status AS previous_status
            ), logged AS (
                INSERT INTO events (at, kind, process_id, data)
                SELECT $1, 'process_status', c.process_id,
                    jsonb_build_object('from', c.previous_status, 'to', 'running', 'workflow', w.name, 'user', c.created_by, 'runner', $3)
                FROM claimed c JOIN workflows w ON w.workflow_id = c.workflow_id WHERE c.previous_status <> 'running'
                ORDER BY c.process_id
                RETURNING 1
            )
            """
            + Self.selectProcess(from: "claimed p", extra: ", p.previous_status, (SELECT pg_notify($5, '') FROM logged LIMIT 1) AS notified")
        return try await rows(PostgresQuery(unsafeSQL: sql, binds: binds)).map { row in
            let previous = try row.string("previous_status")
            guard let status = ProcessStatus(rawValue: previous) else {
                throw PersistenceError(.corruptRow, "a claimed process had unknown status '\(previous)'")
            }
            return ClaimedProcess(process: try Self.processRecord(row), previousStatus: status)
        }
    }

    /// Hands a process back and wakes the workers, so that one of them goes on at once.
    public func releaseLease(_ processID: ProcessID, owner: String) async throws -> Bool {
        try await rows(
            """
            WITH released AS (
                UPDATE processes SET lease_owner = NULL, lease_expires_at = NULL WHERE process_id = \(processID.uuid) AND lease_owner = \(owner)
                RETURNING process_id
            )
            SELECT pg_notify(\(workChannel), '') FROM released
            """
        ).count == 1
    }

    public func registerWorker(_ worker: WorkerRecord) async throws {
        // Workers killed without a chance to deregister stay listed (as gone) for a day.
        try await rows("DELETE FROM workers WHERE heartbeat_at < \(worker.heartbeatAt.addingTimeInterval(-86_400).milliseconds)")
        try await rows(
            """
            INSERT INTO workers (worker_id, host, pid, concurrency, started_at, heartbeat_at, stopping)
            VALUES (\(worker.workerID), \(worker.host), \(worker.pid), \(worker.concurrency), \(worker.startedAt.milliseconds),
                \(worker.heartbeatAt.milliseconds), \(worker.stopping))
            ON CONFLICT (worker_id) DO UPDATE SET host = excluded.host, pid = excluded.pid, concurrency = excluded.concurrency,
                started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at, stopping = excluded.stopping
            """)
    }

    public func touchWorker(_ workerID: String, now: Date, stopping: Bool) async throws {
        try await rows("UPDATE workers SET heartbeat_at = \(now.milliseconds), stopping = \(stopping) WHERE worker_id = \(workerID)")
    }

    public func removeWorker(_ workerID: String) async throws {
        try await rows("DELETE FROM workers WHERE worker_id = \(workerID)")
    }

    public func workers() async throws -> [WorkerRecord] {
        var holding: [String: [ProcessID]] = [:]
        for row in try await rows(
            "SELECT process_id, lease_owner FROM processes WHERE last_status = 'running' AND lease_owner IS NOT NULL ORDER BY process_id")
        {
            holding[try row.string("lease_owner"), default: []].append(ProcessID(try row["process_id"].decode(UUID.self)))
        }
        return try await rows(
            "SELECT worker_id, host, pid, concurrency, started_at, heartbeat_at, stopping FROM workers ORDER BY heartbeat_at DESC, worker_id"
        ).map { row in
            let id = try row.string("worker_id")
            return WorkerRecord(
                workerID: id, host: try row.string("host"), pid: try row["pid"].decode(Int.self),
                concurrency: try row["concurrency"].decode(Int.self),
                startedAt: try row.date("started_at"), heartbeatAt: try row.date("heartbeat_at"), stopping: try row["stopping"].decode(Bool.self),
                holding: holding[id] ?? [])
        }
    }

    /// Subscribes to `listener`, which listens while it runs as a service.
    public func workNotifications(hasRoom: @escaping @Sendable () -> Bool) -> AsyncStream<Void>? {
        listener.notifications(hasRoom: hasRoom)
    }

    public var workListener: (any Service)? { listener }

    /// The pool and the `LISTEN` loop, in the order a service group starts them.
    public var services: [any Service] { [self, listener] }
}
