import Foundation
import GRDB
import ServiceLifecycle
import WorkflowEngine

extension SQLiteStore: WorkerStore {
    public func claimRunnable(owner: String, now: Date, leaseExpiresAt: Date, limit: Int) async throws -> [ClaimedProcess] {
        try await pool.write { db -> [ClaimedProcess] in
            // SQLite has one writer at a time: selecting and updating inside this write is the claim.
            let nowText = SQLiteTime.text(now)
            let picked = try Row.fetchAll(
                db.cachedStatement(
                    sql: "SELECT p.process_id, p.last_status FROM processes p WHERE " + Self.runnable + " ORDER BY p.last_modified_at LIMIT ?"),
                arguments: [nowText, nowText, limit])
            var claimed: [ClaimedProcess] = []
            for row in picked {
                let id: String = row["process_id"]
                let status: String = row["last_status"]
                try db.execute(
                    sql: """
                        UPDATE processes SET last_status = 'running', lease_owner = ?, lease_expires_at = ?, last_modified_at = ?,
                            form = NULL, failed_reason = NULL, next_retry_at = NULL
                        WHERE process_id = ?
                        """, arguments: [owner, SQLiteTime.text(leaseExpiresAt), nowText, id])
                guard let previous = ProcessStatus(rawValue: status), let process = try Self.fetchProcess(try Self.processID(id), db) else {
                    throw PersistenceError(.corruptRow, "process \(id) has unknown status '\(status)'")
                }
                claimed.append(ClaimedProcess(process: process, previousStatus: previous))
            }
            try Self.insert(claimed.flatMap { EventDraft.claimed($0.process, previous: $0.previousStatus, owner: owner, at: now) }, db)
            return claimed
        }
    }

    public func releaseLease(_ processID: ProcessID, owner: String) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE processes SET lease_owner = NULL, lease_expires_at = NULL WHERE process_id = ? AND lease_owner = ?",
                arguments: [processID.description, owner])
            return db.changesCount == 1
        }
    }

    public func registerWorker(_ worker: WorkerRecord) async throws {
        try await pool.write { db in
            // Workers killed without a chance to deregister stay listed (as gone) for a day.
            try db.execute(
                sql: "DELETE FROM workers WHERE heartbeat_at < ?", arguments: [SQLiteTime.text(worker.heartbeatAt.addingTimeInterval(-86_400))])
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO workers (worker_id, host, pid, concurrency, started_at, heartbeat_at, stopping)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    worker.workerID, worker.host, worker.pid, worker.concurrency, SQLiteTime.text(worker.startedAt),
                    SQLiteTime.text(worker.heartbeatAt), worker.stopping,
                ])
        }
    }

    public func touchWorker(_ workerID: String, now: Date, stopping: Bool) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE workers SET heartbeat_at = ?, stopping = ? WHERE worker_id = ?",
                arguments: [SQLiteTime.text(now), stopping, workerID])
        }
    }

    public func removeWorker(_ workerID: String) async throws {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM workers WHERE worker_id = ?", arguments: [workerID])
        }
    }

    public func workers() async throws -> [WorkerRecord] {
        try await pool.read { db in
            let held = try Row.fetchAll(
                db.cachedStatement(
                    sql: "SELECT process_id, lease_owner FROM processes WHERE last_status = 'running' AND lease_owner IS NOT NULL ORDER BY process_id"
                ))
            var holding: [String: [ProcessID]] = [:]
            for row in held {
                if let id = ProcessID(row["process_id"] as String) { holding[row["lease_owner"], default: []].append(id) }
            }
            return try Row.fetchAll(
                db.cachedStatement(
                    sql: "SELECT worker_id, host, pid, concurrency, started_at, heartbeat_at, stopping FROM workers ORDER BY heartbeat_at DESC"
                )
            ).map { row in
                let id: String = row["worker_id"]
                return WorkerRecord(
                    workerID: id, host: row["host"], pid: row["pid"], concurrency: row["concurrency"], startedAt: row["started_at"],
                    heartbeatAt: row["heartbeat_at"], stopping: row["stopping"], holding: holding[id] ?? [])
            }
        }
    }

    /// SQLite cannot notify another process: workers poll.
    public func workNotifications(hasRoom: @escaping @Sendable () -> Bool) -> AsyncStream<Void>? { nil }

    public var workListener: (any Service)? { nil }

    /// Nothing runs beside a worker: GRDB's pool needs no service.
    public var services: [any Service] { [] }
}
