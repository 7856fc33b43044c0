import Foundation
import PostgresNIO
import WorkflowEngine

/// The mapping between PostgreSQL rows and records.
extension PostgresStore {
    /// As in SQLite: while a process runs, its row is written only when it stops; its current
    /// step and state are those of its latest log row. `source` is what `p` is (the table,
    /// or a CTE holding updated rows).
    static func selectProcess(from source: String = "processes p", extra: String = "") -> String {
        """
        SELECT p.process_id, w.name AS workflow_name, p.workflow_version, p.is_task, p.last_status, p.last_step, p.state::text AS state,
            p.form::text AS form, p.failed_reason, p.created_by, p.started_at, p.last_modified_at, p.lease_owner, p.lease_expires_at,
            p.next_retry_at, l.name AS logged_step, l.state::text AS logged_state\(extra)
        FROM \(source) JOIN workflows w ON w.workflow_id = p.workflow_id
        LEFT JOIN LATERAL (SELECT x.name, x.state FROM process_steps x WHERE p.last_status = 'running' AND x.process_id = p.process_id
            ORDER BY x.seq DESC LIMIT 1) l ON true
        """
    }

    static func processRecord(_ row: PostgresRandomAccessRow) throws -> ProcessRecord {
        let status = try row.string("last_status")
        let processID = ProcessID(try row["process_id"].decode(UUID.self))
        guard let processStatus = ProcessStatus(rawValue: status) else {
            throw PersistenceError(.corruptRow, "process \(processID) has unknown status '\(status)'")
        }
        let lastStep = try row.optionalString("logged_step") ?? row.optionalString("last_step")
        return ProcessRecord(
            processID: processID, workflowName: try row.string("workflow_name"), workflowVersion: try row.string("workflow_version"),
            isTask: try row["is_task"].decode(Bool.self), status: processStatus, lastStep: lastStep.map { StepKey($0) },
            state: try state(try row.optionalString("logged_state") ?? row.string("state")),
            form: try row.optionalString("form").map { try JSONValue.parse($0).decode(Form.self) },
            failedReason: try row.optionalString("failed_reason"),
            createdBy: try row.string("created_by"), startedAt: try row.date("started_at"), lastModifiedAt: try row.date("last_modified_at"),
            leaseOwner: try row.optionalString("lease_owner"), leaseExpiresAt: try row.optionalDate("lease_expires_at"),
            nextRetryAt: try row.optionalDate("next_retry_at"))
    }

    static let selectStep = """
        SELECT stepid, process_id, name, status, state::text AS state, created_by, started_at, completed_at, retries, next_retry_at,
            failed_reason, error_type, details::text AS details
        FROM process_steps
        """

    static func stepRecord(_ row: PostgresRandomAccessRow) throws -> StepRecord {
        let status = try row.string("status")
        let stepID = try row["stepid"].decode(UUID.self)
        guard let stepStatus = StepStatus(rawValue: status) else {
            throw PersistenceError(.corruptRow, "step \(stepID) has unknown status '\(status)'")
        }
        return StepRecord(
            stepID: stepID, processID: ProcessID(try row["process_id"].decode(UUID.self)), key: StepKey(try row.string("name")),
            status: stepStatus, state: try state(try row.string("state")), createdBy: try row.string("created_by"),
            startedAt: try row.date("started_at"), completedAt: try row.date("completed_at"), attempt: try row["retries"].decode(Int.self),
            nextRetryAt: try row.optionalDate("next_retry_at"), failedReason: try row.optionalString("failed_reason"),
            errorType: try row.optionalString("error_type"), details: try row.optionalString("details").map(JSONValue.parse))
    }

    static func state(_ text: String) throws -> State {
        guard case .object(let members) = try JSONValue.parse(text) else {
            throw PersistenceError(.corruptRow, "a stored state is not a JSON object")
        }
        return State(members)
    }

    /// The INSERT of a log row as `INSERT … SELECT <values>`: `$1`…`$13` are the row's
    /// values (`$2` its process id); append a FROM/WHERE and bind further parameters from `$14`.
    static let insertStepSelect = """
        INSERT INTO process_steps (stepid, process_id, name, status, state, created_by, started_at, completed_at, retries,
            next_retry_at, failed_reason, error_type, details, seq)
        SELECT $1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $10, $11, $12, $13::jsonb,
            (SELECT COALESCE(MAX(s.seq), 0) + 1 FROM process_steps s WHERE s.process_id = $2)
        """

    static func stepBindings(_ step: StepRecord, stateText: String? = nil) -> PostgresBindings {
        var binds = PostgresBindings(capacity: 24)
        binds.append(step.stepID)
        binds.append(step.processID.uuid)
        binds.append(step.key.rawValue)
        binds.append(step.status.rawValue)
        binds.append(stateText ?? step.state.json.jsonText)
        binds.append(step.createdBy)
        binds.append(step.startedAt.milliseconds)
        binds.append(step.completedAt.milliseconds)
        binds.append(step.attempt)
        binds.append(step.nextRetryAt?.milliseconds)
        binds.append(step.failedReason)
        binds.append(step.errorType)
        binds.append(step.details?.jsonText)
        return binds
    }

    static func insert(_ step: StepRecord, _ tx: PostgresTransaction) async throws {
        try await tx.rows(PostgresQuery(unsafeSQL: insertStepSelect, binds: stepBindings(step)))
    }

    static func insert(_ input: InputStateRecord, _ tx: PostgresTransaction) async throws {
        try await tx.rows(
            """
            INSERT INTO input_states (process_id, seq, input_state_id, input_state, input_time, input_type, created_by, page)
            VALUES (\(input.processID.uuid), (SELECT COALESCE(MAX(seq), 0) + 1 FROM input_states WHERE process_id = \(input.processID.uuid)),
                \(UUID()), \(input.input.json.jsonText)::jsonb, \(input.inputTime.milliseconds), \(input.kind.rawValue), \(input.createdBy),
                \(input.page))
            """)
    }
}
