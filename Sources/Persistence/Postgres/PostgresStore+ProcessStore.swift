import Foundation
import PostgresNIO
import WorkflowEngine

extension PostgresStore: ProcessStore {
    public func syncWorkflows(_ workflows: [WorkflowDefinition], now: Date) async throws {
        let changed = StoreShared.changed(workflows, stored: try await self.workflows())
        guard !changed.isEmpty else { return }
        try await transaction { tx in
            for workflow in changed {
                try await tx.rows(
                    """
                    INSERT INTO workflows (workflow_id, name, target, description, created_at)
                    VALUES (\(UUID()), \(workflow.name), \(workflow.target.rawValue), \(workflow.description), \(now.milliseconds))
                    ON CONFLICT (name) DO UPDATE SET target = excluded.target, description = excluded.description, deleted_at = NULL
                    """)
            }
        }
    }

    public func workflows() async throws -> [WorkflowRow] {
        try await rows("SELECT name, target, description, created_at FROM workflows WHERE deleted_at IS NULL ORDER BY name").map { row in
            WorkflowRow(
                name: try row.string("name"), target: WorkflowTarget(rawValue: try row.string("target")) ?? .system,
                description: try row.string("description"), createdAt: try row.date("created_at"))
        }
    }

    /// One statement in a transaction (the process row, its inputs, its event and the
    /// wake-ups), and one more per subscription locked.
    public func insertProcess(_ process: ProcessRecord, inputs: [InputStateRecord], locks: [SubscriptionLock]) async throws {
        // A transaction either way: an enqueue that answered must not be lost (see `committed`).
        try await transaction { tx in try await self.insertProcess(process, inputs: inputs, locks: locks, tx) }
    }

    /// The process row, its inputs, its event and wake-ups, and its locks, inside the caller's transaction.
    func insertProcess(_ process: ProcessRecord, inputs: [InputStateRecord], locks: [SubscriptionLock], _ tx: PostgresTransaction) async throws {
        var binds = PostgresBindings(capacity: 24)
        binds.append(process.processID.uuid)
        binds.append(process.workflowVersion)
        binds.append(process.status.rawValue)
        binds.append(process.lastStep?.rawValue)
        binds.append(process.state.json.jsonText)
        binds.append(try process.form.map { try JSONValue(encoding: $0).jsonText })
        binds.append(process.failedReason)
        binds.append(process.createdBy)
        binds.append(process.isTask)
        binds.append(process.startedAt.milliseconds)
        binds.append(process.lastModifiedAt.milliseconds)
        binds.append(process.leaseOwner)
        binds.append(process.leaseExpiresAt?.milliseconds)
        binds.append(process.nextRetryAt?.milliseconds)
        binds.append(process.workflowName)
        binds.append(inputs.map { $0.input.json.jsonText })
        binds.append(inputs.map(\.kind.rawValue))
        binds.append(inputs.map(\.createdBy))
        binds.append(inputs.map { $0.page ?? "" })
        binds.append(inputs.map { $0.inputTime.milliseconds.timeIntervalSince1970 })
        // A created process is work for the workers: wake them when this commits.
        binds.append(process.status == .created ? workChannel : "")
        binds.append(EventDraft.created(process).data.jsonText)
        binds.append(eventChannel)
        let statement = ProcessInsert(binds: binds)
        let unknownWorkflow = PersistenceError(
            .unknownWorkflow, "workflow '\(process.workflowName)' is not in the workflows table of \(location)", database: location.description)
        guard try await tx.execute(statement) == 1 else { throw unknownWorkflow }
        if !locks.isEmpty { try await Self.takeLocks(locks, for: process.processID, now: process.startedAt, tx) }
    }

    public func acquire(_ request: LeaseRequest) async throws -> ProcessRecord? {
        try await transaction { tx -> ProcessRecord? in
            let statuses = request.from.map(\.rawValue).sorted()
            // `old`, locked first, is the row as it was: its status is the one the event names.
            let updated = try await tx.rows(
                """
                UPDATE processes p SET last_status = 'running', lease_owner = \(request.owner), lease_expires_at = \(request.leaseExpiresAt.milliseconds),
                    last_modified_at = \(request.now.milliseconds), state = COALESCE(\(request.state?.json.jsonText)::jsonb, p.state), form = NULL,
                    failed_reason = NULL, next_retry_at = NULL
                FROM (SELECT process_id, last_status FROM processes WHERE process_id = \(request.processID.uuid) FOR UPDATE) AS old
                WHERE p.process_id = old.process_id AND p.last_status = ANY(\(statuses))
                    AND (p.lease_owner IS NULL OR p.lease_expires_at < \(request.now.milliseconds))
                    AND (\(request.dueBy?.milliseconds)::timestamptz IS NULL OR p.next_retry_at <= \(request.dueBy?.milliseconds))
                RETURNING old.last_status AS previous_status
                """)
            guard let row = updated.first, updated.count == 1 else { return nil }
            let previous = ProcessStatus(rawValue: try row.string("previous_status"))
            if let log = request.log { try await Self.insert(log, tx) }
            if let input = request.input { try await Self.insert(input, tx) }
            let claimed = try await Self.fetchProcess(request.processID, tx)
            try await Self.insert(
                EventDraft.acquired(request, previous: previous, workflow: claimed?.workflowName), channel: self.eventChannel, tx)
            return claimed
        }
    }

    public func renewLease(_ processID: ProcessID, owner: String, until: Date) async throws -> Bool {
        var binds = PostgresBindings()
        binds.append(until.milliseconds)
        binds.append(processID.uuid)
        binds.append(owner)
        return try await execute(LeaseRenewal(binds: binds)) == 1
    }

    /// One statement when the step saved no subscription: while the process runs on, the log
    /// row fenced by the lease; when it stops, the process row, the lock release and the log
    /// row together; and their events. With subscriptions, the same statement and the saves
    /// in one transaction, and the events (versions included) after them.
    ///
    /// The row of a process that runs on is written on its own (autocommit), which PostgreSQL
    /// may acknowledge and then lose: over the extended protocol it commits at the Sync after
    /// the statement, and postgres-nio answers at the statement's end. The next commit of the
    /// run names the row (`follows`) and is refused without it, so nothing is built on a lost
    /// step. A commit that stops the process has no next one to catch it: it is a transaction,
    /// whose COMMIT answers only once committed.
    public func commitStep(_ commit: StepCommit) async throws {
        let (bound, running, saves) = try stepBinds(commit)
        if !saves && running {
            guard try await execute(FencedStepInsert(binds: bound)) == 1 else { throw try await refusal(of: commit) }
            return
        }
        try await transaction { tx in try await self.commitStep(commit, bound: bound, in: tx) }
    }

    /// Several steps in one transaction, in order: one commit for a run of pure steps and the
    /// step after them (see `ProcessStore.commitSteps`).
    public func commitSteps(_ commits: [StepCommit]) async throws {
        guard commits.count > 1 else {
            if let commit = commits.first { try await commitStep(commit) }
            return
        }
        let bound = try commits.map { try stepBinds($0).binds }
        try await transaction { tx in
            for (commit, binds) in zip(commits, bound) { try await self.commitStep(commit, bound: binds, in: tx) }
        }
    }

    /// The bindings of the statement that logs `commit`, and what kind of commit it is.
    private func stepBinds(_ commit: StepCommit) throws -> (binds: PostgresBindings, running: Bool, saves: Bool) {
        let stateText = commit.state.json.jsonText
        var binds = Self.stepBindings(commit.step, stateText: stateText)
        binds.append(commit.owner)
        let running = commit.status == .running
        if !running {
            binds.append(commit.status.rawValue)
            binds.append(try commit.form.map { try JSONValue(encoding: $0).jsonText })
            binds.append(commit.failedReason)
            binds.append(commit.nextRetryAt?.milliseconds)
            binds.append(commit.status.isFinal)
            binds.append(commit.status == .completed)
        }
        // With subscriptions, the events wait for the versions the saves make.
        let saves = !commit.subscriptions.isEmpty
        Self.appendStepEvents(saves ? [] : EventDraft.commit(commit), channel: eventChannel, to: &binds)
        binds.append(commit.follows)
        return (binds, running, saves)
    }

    /// `commit` inside the caller's transaction: its statement, then its saves and their events.
    private func commitStep(_ commit: StepCommit, bound: PostgresBindings, in tx: PostgresTransaction) async throws {
        let written =
            commit.status == .running
            ? try await tx.execute(FencedStepInsert(binds: bound)) : try await tx.execute(StoppingStepCommit(binds: bound))
        guard written == 1 else { throw try await refusal(of: commit) }
        // Without saves, the statement wrote the events itself.
        guard !commit.subscriptions.isEmpty else { return }
        var versions: [EventDraft] = []
        for write in commit.subscriptions {
            if let version = try await save(
                write, processID: commit.step.processID, step: commit.step.key, user: commit.step.createdBy, now: commit.step.completedAt, tx)
            {
                versions.append(version)
            }
        }
        try await Self.insert(EventDraft.commit(commit, versions: versions), channel: eventChannel, tx)
    }

    /// Why a commit wrote nothing: the step it follows is not in the log (a write acknowledged
    /// and lost), or else the lease was lost or the process aborted.
    private func refusal(of commit: StepCommit) async throws -> any Error {
        guard let follows = commit.follows else { return commit.leaseLost }
        let logged = try await rows(
            "SELECT 1 FROM process_steps WHERE process_id = \(commit.step.processID.uuid) AND stepid = \(follows)")
        guard logged.isEmpty else { return commit.leaseLost }
        return commit.predecessorLost(database: location.description)
    }

    public func abort(_ processID: ProcessID, reason: String, log: StepRecord) async throws -> ProcessRecord? {
        try await transaction { tx -> ProcessRecord? in
            // `old`, locked first, is the row as it was: its status is the one the event names.
            let updated = try await tx.rows(
                """
                UPDATE processes p SET last_status = 'aborted', lease_owner = NULL, lease_expires_at = NULL, next_retry_at = NULL,
                    form = NULL, failed_reason = \(reason), last_modified_at = \(log.completedAt.milliseconds),
                    last_step = COALESCE(
                        (SELECT s.name FROM process_steps s WHERE s.process_id = p.process_id ORDER BY s.seq DESC LIMIT 1), p.last_step),
                    state = COALESCE(
                        (SELECT s.state FROM process_steps s WHERE s.process_id = p.process_id ORDER BY s.seq DESC LIMIT 1), p.state)
                FROM (SELECT process_id, last_status FROM processes WHERE process_id = \(processID.uuid) FOR UPDATE) AS old
                WHERE p.process_id = old.process_id AND p.last_status NOT IN ('completed', 'aborted')
                RETURNING old.last_status AS previous_status
                """)
            guard let row = updated.first, updated.count == 1 else { return nil }
            let previous = ProcessStatus(rawValue: try row.string("previous_status"))
            try await Self.insert(log, tx)
            try await Self.releaseLocks(of: processID, completed: false, tx)
            let aborted = try await Self.fetchProcess(processID, tx)
            try await Self.insert(
                EventDraft.aborted(log, reason: reason, previous: previous, workflow: aborted?.workflowName), channel: self.eventChannel, tx)
            return aborted
        }
    }

    /// Which processes a runner should pick up at time `$1`: in flight with no live lease, or
    /// waiting and due. The first line lets the partial index `processes_runnable_idx` serve.
    /// Shared by `runnableProcesses` and `claimRunnable`.
    static let runnable = """
        p.last_status IN ('created', 'running', 'waiting')
            AND ((p.last_status <> 'waiting' AND (p.lease_owner IS NULL OR p.lease_expires_at < $1))
                OR (p.last_status = 'waiting' AND p.next_retry_at <= $1))
        """

    public func runnableProcesses(now: Date, limit: Int) async throws -> [ProcessRecord] {
        let at = now.milliseconds
        return try await rows(
            PostgresQuery(
                unsafeSQL: Self.selectProcess() + " WHERE " + Self.runnable + " ORDER BY p.last_modified_at LIMIT $2",
                binds: Self.bindings(at, limit))
        ).map(Self.processRecord)
    }

    public func process(_ processID: ProcessID) async throws -> ProcessRecord? {
        try await rows(PostgresQuery(unsafeSQL: Self.selectProcess() + " WHERE p.process_id = $1", binds: Self.bindings(processID.uuid)))
            .first.map(Self.processRecord)
    }

    static func fetchProcess(_ processID: ProcessID, _ tx: PostgresTransaction) async throws -> ProcessRecord? {
        try await tx.rows(PostgresQuery(unsafeSQL: selectProcess() + " WHERE p.process_id = $1", binds: bindings(processID.uuid)))
            .first.map(processRecord)
    }

    public func processes(_ filter: ProcessFilter) async throws -> [ProcessRecord] {
        var binds = PostgresBindings()
        var conditions: [String] = []
        if !filter.statuses.isEmpty {
            binds.append(filter.statuses.map(\.rawValue).sorted())
            conditions.append("p.last_status = ANY($\(binds.count))")
        }
        if let workflow = filter.workflow {
            binds.append(workflow)
            // By the id, which `processes_workflow_started_idx` leads with: through the join on
            // the name, PostgreSQL cannot tell which workflow it is and walks the newest processes.
            conditions.append("p.workflow_id = (SELECT workflow_id FROM workflows WHERE name = $\(binds.count))")
        }
        if let assignee = filter.waitingFor {
            binds.append(assignee)
            conditions.append("p.last_status = 'suspended' AND p.form->>'assignee' = $\(binds.count)")
        }
        if let user = filter.createdBy {
            binds.append(user)
            conditions.append("p.created_by = $\(binds.count)")
        }
        if let subscription = filter.subscriptionID {
            binds.append(subscription)
            conditions.append("p.process_id IN (SELECT process_id FROM processes_subscriptions WHERE subscription_id = $\(binds.count))")
        }
        if let after = filter.startedAfter {
            binds.append(after.milliseconds)
            conditions.append("p.started_at >= $\(binds.count)")
        }
        if let before = filter.startedBefore {
            binds.append(before.milliseconds)
            conditions.append("p.started_at < $\(binds.count)")
        }
        binds.append(filter.limit)
        binds.append(filter.offset)
        let whereClause = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        let order = filter.oldestFirst ? "ASC" : "DESC"
        return try await rows(
            PostgresQuery(
                unsafeSQL: Self.selectProcess() + whereClause
                    + " ORDER BY p.started_at \(order), p.process_id LIMIT $\(binds.count - 1) OFFSET $\(binds.count)", binds: binds)
        ).map(Self.processRecord)
    }

    public func steps(of processID: ProcessID) async throws -> [StepRecord] {
        try await rows(PostgresQuery(unsafeSQL: Self.selectStep + " WHERE process_id = $1 ORDER BY seq", binds: Self.bindings(processID.uuid)))
            .map(Self.stepRecord)
    }

    public func inputStates(of processID: ProcessID) async throws -> [InputStateRecord] {
        try await rows(
            """
            SELECT process_id, input_state::text AS input_state, input_type, created_by, input_time, page FROM input_states
            WHERE process_id = \(processID.uuid) ORDER BY seq
            """
        ).map { row in
            InputStateRecord(
                processID: ProcessID(try row["process_id"].decode(UUID.self)), input: try Self.state(try row.string("input_state")),
                kind: InputStateRecord.Kind(rawValue: try row.string("input_type")) ?? .userInput, createdBy: try row.string("created_by"),
                inputTime: try row.date("input_time"), page: try row.optionalString("page"))
        }
    }

    public func processIDs(withPrefix prefix: String, limit: Int) async throws -> [ProcessID] {
        try await rows(
            "SELECT process_id FROM processes WHERE process_id::text LIKE \(prefix.lowercased() + "%") ORDER BY process_id::text LIMIT \(limit)"
        ).map { ProcessID(try $0["process_id"].decode(UUID.self)) }
    }

    static func bindings(_ first: some PostgresDynamicTypeEncodable) -> PostgresBindings {
        var binds = PostgresBindings()
        binds.append(first)
        return binds
    }

    static func bindings(_ first: some PostgresDynamicTypeEncodable, _ second: some PostgresDynamicTypeEncodable) -> PostgresBindings {
        var binds = bindings(first)
        binds.append(second)
        return binds
    }
}
