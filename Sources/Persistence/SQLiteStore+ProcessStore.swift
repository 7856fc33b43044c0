import Foundation
import GRDB
import WorkflowEngine

extension SQLiteStore: ProcessStore {
    public func syncWorkflows(_ workflows: [WorkflowDefinition], now: Date) async throws {
        let changed = StoreShared.changed(workflows, stored: try await self.workflows())
        guard !changed.isEmpty else { return }
        try await pool.write { db in
            for workflow in changed {
                try db.execute(
                    sql: """
                        INSERT INTO workflows (workflow_id, name, target, description, created_at) VALUES (?, ?, ?, ?, ?)
                        ON CONFLICT (name) DO UPDATE SET target = excluded.target, description = excluded.description, deleted_at = NULL
                        """,
                    arguments: [UUID().uuidString.lowercased(), workflow.name, workflow.target.rawValue, workflow.description, now])
            }
        }
    }

    public func workflows() async throws -> [WorkflowRow] {
        try await pool.read { db in
            try Row.fetchAll(
                db.cachedStatement(sql: "SELECT name, target, description, created_at FROM workflows WHERE deleted_at IS NULL ORDER BY name")
            )
            .map { row in
                let target: String = row["target"]
                return WorkflowRow(
                    name: row["name"], target: WorkflowTarget(rawValue: target) ?? .system, description: row["description"],
                    createdAt: row["created_at"])
            }
        }
    }

    public func insertProcess(_ process: ProcessRecord, inputs: [InputStateRecord], locks: [SubscriptionLock]) async throws {
        try await pool.write { db in try self.insertProcess(process, inputs: inputs, locks: locks, db) }
    }

    /// The process row, its inputs, its locks and its event, inside the caller's transaction.
    func insertProcess(_ process: ProcessRecord, inputs: [InputStateRecord], locks: [SubscriptionLock], _ db: Database) throws {
        let formText = try process.form.map { try JSONValue(encoding: $0).jsonText }
        try db.cachedStatement(
            sql: """
                INSERT INTO processes (process_id, workflow_id, workflow_version, last_status, last_step, state, form, failed_reason,
                    created_by, is_task, started_at, last_modified_at, lease_owner, lease_expires_at, next_retry_at)
                SELECT ?, workflow_id, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM workflows WHERE name = ?
                """
        ).execute(arguments: [
            process.processID.description, process.workflowVersion, process.status.rawValue, process.lastStep?.rawValue,
            process.state.json.jsonText, formText, process.failedReason, process.createdBy, process.isTask,
            SQLiteTime.text(process.startedAt), SQLiteTime.text(process.lastModifiedAt),
            process.leaseOwner, SQLiteTime.text(process.leaseExpiresAt), SQLiteTime.text(process.nextRetryAt), process.workflowName,
        ])
        guard db.changesCount == 1 else {
            throw PersistenceError(.unknownWorkflow, "workflow '\(process.workflowName)' is not in the workflows table of \(path)", database: path)
        }
        for input in inputs { try Self.insert(input, db) }
        try Self.takeLocks(locks, for: process.processID, now: process.startedAt, db)
        try Self.insert([.created(process)], db)
    }

    public func acquire(_ request: LeaseRequest) async throws -> ProcessRecord? {
        try await pool.write { db -> ProcessRecord? in
            let previous = try Self.storedStatus(request.processID, db)
            let statuses = request.from.map(\.rawValue).sorted()
            var sql = """
                UPDATE processes SET last_status = 'running', lease_owner = ?, lease_expires_at = ?, last_modified_at = ?,
                    state = COALESCE(?, state), form = NULL, failed_reason = NULL, next_retry_at = NULL
                WHERE process_id = ? AND last_status IN (\(Array(repeating: "?", count: statuses.count).joined(separator: ", ")))
                    AND (lease_owner IS NULL OR lease_expires_at < ?)
                """
            var arguments: StatementArguments = [
                request.owner, SQLiteTime.text(request.leaseExpiresAt), SQLiteTime.text(request.now), request.state?.json.jsonText,
                request.processID.description,
            ]
            arguments += StatementArguments(statuses)
            arguments += [SQLiteTime.text(request.now)]
            if let dueBy = request.dueBy {
                sql += " AND next_retry_at <= ?"
                arguments += [SQLiteTime.text(dueBy)]
            }
            try db.execute(sql: sql, arguments: arguments)
            guard db.changesCount == 1 else { return nil }
            if let log = request.log { try Self.insert(log, db) }
            if let input = request.input { try Self.insert(input, db) }
            let claimed = try Self.fetchProcess(request.processID, db)
            try Self.insert(EventDraft.acquired(request, previous: previous, workflow: claimed?.workflowName), db)
            return claimed
        }
    }

    public func renewLease(_ processID: ProcessID, owner: String, until: Date) async throws -> Bool {
        try await pool.write { db in
            try db.cachedStatement(sql: "UPDATE processes SET lease_expires_at = ? WHERE process_id = ? AND lease_owner = ?")
                .execute(arguments: [SQLiteTime.text(until), processID.description, owner])
            return db.changesCount == 1
        }
    }

    public func commitStep(_ commit: StepCommit) async throws {
        try await pool.write { db in try self.commitStep(commit, db) }
    }

    /// Several steps in one transaction, in order: one commit for a run of pure steps and the
    /// step after them (see `ProcessStore.commitSteps`).
    public func commitSteps(_ commits: [StepCommit]) async throws {
        try await pool.write { db in
            for commit in commits { try self.commitStep(commit, db) }
        }
    }

    /// `commit` inside the caller's transaction.
    private func commitStep(_ commit: StepCommit, _ db: Database) throws {
        let stateText = commit.state.json.jsonText
        let formText = try commit.form.map { try JSONValue(encoding: $0).jsonText }
        // As on PostgreSQL (where it can happen): nothing is logged after a step that is not.
        if let follows = commit.follows,
            try Int.fetchOne(
                db.cachedStatement(sql: "SELECT 1 FROM process_steps WHERE process_id = ? AND stepid = ?"),
                arguments: [commit.step.processID.description, follows.uuidString.lowercased()]) == nil
        {
            throw commit.predecessorLost(database: path)
        }
        guard commit.status != .running else {
            // The process runs on: append the row, fenced by the lease (one page written).
            try Self.insert(commit.step, stateText: stateText, fencedBy: commit.owner, db)
            guard db.changesCount == 1 else { throw commit.leaseLost }
            try Self.insert(EventDraft.commit(commit, versions: try saveSubscriptions(of: commit, db)), db)
            return
        }
        // The process stops: the process row takes the outcome and the lease is released.
        try db.cachedStatement(
            sql: """
                UPDATE processes SET last_status = ?, last_step = ?, state = ?, form = ?, failed_reason = ?, next_retry_at = ?,
                    lease_owner = NULL, lease_expires_at = NULL, last_modified_at = ?
                WHERE process_id = ? AND lease_owner = ? AND last_status = 'running'
                """
        ).execute(arguments: [
            commit.status.rawValue, commit.step.key.rawValue, stateText, formText, commit.failedReason,
            SQLiteTime.text(commit.nextRetryAt), SQLiteTime.text(commit.step.completedAt), commit.step.processID.description,
            commit.owner,
        ])
        guard db.changesCount == 1 else { throw commit.leaseLost }
        try Self.insert(commit.step, stateText: stateText, db)
        let versions = try saveSubscriptions(of: commit, db)
        if commit.status.isFinal {
            try Self.releaseLocks(of: commit.step.processID, completed: commit.status == .completed, db)
        }
        try Self.insert(EventDraft.commit(commit, versions: versions), db)
    }

    /// The subscriptions a step saved, in the step's own transaction; returns the versions' events.
    private func saveSubscriptions(of commit: StepCommit, _ db: Database) throws -> [EventDraft] {
        try commit.subscriptions.compactMap { write in
            try Self.save(
                write, processID: commit.step.processID, step: commit.step.key, user: commit.step.createdBy, now: commit.step.completedAt, db)
        }
    }

    public func abort(_ processID: ProcessID, reason: String, log: StepRecord) async throws -> ProcessRecord? {
        try await pool.write { db -> ProcessRecord? in
            let previous = try Self.storedStatus(processID, db)
            try db.execute(
                sql: """
                    UPDATE processes SET last_status = 'aborted', lease_owner = NULL, lease_expires_at = NULL, next_retry_at = NULL,
                        form = NULL, failed_reason = ?, last_modified_at = ?,
                        -- A running process's row lags behind its log: settle it from the latest row first.
                        last_step = COALESCE(
                            (SELECT s.name FROM process_steps s WHERE s.process_id = processes.process_id ORDER BY s.seq DESC LIMIT 1),
                            last_step),
                        state = COALESCE(
                            (SELECT s.state FROM process_steps s WHERE s.process_id = processes.process_id ORDER BY s.seq DESC LIMIT 1),
                            state)
                    WHERE process_id = ? AND last_status NOT IN ('completed', 'aborted')
                    """, arguments: [reason, SQLiteTime.text(log.completedAt), processID.description])
            guard db.changesCount == 1 else { return nil }
            try Self.insert(log, db)
            try Self.releaseLocks(of: processID, completed: false, db)
            let aborted = try Self.fetchProcess(processID, db)
            try Self.insert(EventDraft.aborted(log, reason: reason, previous: previous, workflow: aborted?.workflowName), db)
            return aborted
        }
    }

    /// Which processes a runner should pick up at a time bound twice (`?`, `?`): in flight with
    /// no live lease, or waiting and due. Shared by `runnableProcesses` and `claimRunnable`.
    static let runnable = """
        ((p.last_status IN ('created', 'running') AND (p.lease_owner IS NULL OR p.lease_expires_at < ?))
            OR (p.last_status = 'waiting' AND p.next_retry_at <= ?))
        """

    public func runnableProcesses(now: Date, limit: Int) async throws -> [ProcessRecord] {
        try await pool.read { db in
            try Row.fetchAll(
                db.cachedStatement(sql: Self.selectProcess + " WHERE " + Self.runnable + " ORDER BY p.last_modified_at LIMIT ?"),
                arguments: [SQLiteTime.text(now), SQLiteTime.text(now), limit]
            ).map(Self.processRecord)
        }
    }

    public func process(_ processID: ProcessID) async throws -> ProcessRecord? {
        try await pool.read { db in try Self.fetchProcess(processID, db) }
    }

    public func processes(_ filter: ProcessFilter) async throws -> [ProcessRecord] {
        try await pool.read { db in
            var conditions: [String] = []
            var arguments: StatementArguments = []
            if !filter.statuses.isEmpty {
                let statuses = filter.statuses.map(\.rawValue).sorted()
                conditions.append("p.last_status IN (\(Array(repeating: "?", count: statuses.count).joined(separator: ", ")))")
                arguments += StatementArguments(statuses)
            }
            if let workflow = filter.workflow {
                conditions.append("p.workflow_id = (SELECT workflow_id FROM workflows WHERE name = ?)")
                arguments += [workflow]
            }
            if let assignee = filter.waitingFor {
                conditions.append("p.last_status = 'suspended' AND json_extract(p.form, '$.assignee') = ?")
                arguments += [assignee]
            }
            if let user = filter.createdBy {
                conditions.append("p.created_by = ?")
                arguments += [user]
            }
            if let subscription = filter.subscriptionID {
                conditions.append("p.process_id IN (SELECT process_id FROM processes_subscriptions WHERE subscription_id = ?)")
                arguments += [subscription.uuidString.lowercased()]
            }
            if let after = filter.startedAfter {
                conditions.append("p.started_at >= ?")
                arguments += [SQLiteTime.text(after)]
            }
            if let before = filter.startedBefore {
                conditions.append("p.started_at < ?")
                arguments += [SQLiteTime.text(before)]
            }
            let whereClause = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
            let order = filter.oldestFirst ? "ASC" : "DESC"
            arguments += [filter.limit, filter.offset]
            return try Row.fetchAll(
                db.cachedStatement(sql: Self.selectProcess + whereClause + " ORDER BY p.started_at \(order), p.process_id LIMIT ? OFFSET ?"),
                arguments: arguments
            )
            .map(Self.processRecord)
        }
    }

    public func steps(of processID: ProcessID) async throws -> [StepRecord] {
        try await pool.read { db in try Self.steps(of: processID, db) }
    }

    public func inputStates(of processID: ProcessID) async throws -> [InputStateRecord] {
        try await pool.read { db in try Self.inputStates(of: processID, db) }
    }

    /// In one read transaction: the record, steps, inputs and ledger of one instant.
    public func processRecords(_ id: ProcessID) async throws -> ProcessRecords? {
        try await pool.read { db in
            guard let process = try Self.fetchProcess(id, db) else { return nil }
            return ProcessRecords(
                process: process, steps: try Self.steps(of: id, db), inputs: try Self.inputStates(of: id, db),
                ledger: try Self.ledger(LedgerQuery(processID: id), db))
        }
    }

    static func steps(of processID: ProcessID, _ db: Database) throws -> [StepRecord] {
        try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT stepid, process_id, name, status, state, created_by, started_at, completed_at, retries, next_retry_at,
                        failed_reason, error_type, details
                    FROM process_steps WHERE process_id = ? ORDER BY seq
                    """), arguments: [processID.description]
        ).map(Self.stepRecord)
    }

    static func inputStates(of processID: ProcessID, _ db: Database) throws -> [InputStateRecord] {
        try Row.fetchAll(
            db.cachedStatement(
                sql: "SELECT process_id, input_state, input_type, created_by, input_time, page FROM input_states WHERE process_id = ? ORDER BY seq"
            ),
            arguments: [processID.description]
        ).map { row in
            let kind: String = row["input_type"]
            return InputStateRecord(
                processID: try Self.processID(row["process_id"]), input: try Self.state(row["input_state"]),
                kind: InputStateRecord.Kind(rawValue: kind) ?? .userInput, createdBy: row["created_by"], inputTime: row["input_time"],
                page: row["page"])
        }
    }

    public func processIDs(withPrefix prefix: String, limit: Int) async throws -> [ProcessID] {
        try await pool.read { db in
            try String.fetchAll(
                db.cachedStatement(sql: "SELECT process_id FROM processes WHERE process_id LIKE ? ORDER BY process_id LIMIT ?"),
                arguments: [prefix.lowercased() + "%", limit]
            ).compactMap(ProcessID.init)
        }
    }
}
