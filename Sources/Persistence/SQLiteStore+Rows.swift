import Foundation
import GRDB
import WorkflowEngine

/// The mapping between rows and records; the only place that knows the column names.
extension SQLiteStore {
    /// While a process runs, its row is written only when it stops (one page less per step);
    /// its current step and state are those of its latest log row, read here.
    static let selectProcess = """
        SELECT p.process_id, w.name AS workflow_name, p.workflow_version, p.is_task, p.last_status, p.last_step, p.state, p.form,
            p.failed_reason, p.created_by, p.started_at, p.last_modified_at, p.lease_owner, p.lease_expires_at, p.next_retry_at,
            l.name AS logged_step, l.state AS logged_state
        FROM processes p JOIN workflows w ON w.workflow_id = p.workflow_id
        LEFT JOIN process_steps l ON p.last_status = 'running' AND l.process_id = p.process_id
            AND l.seq = (SELECT MAX(x.seq) FROM process_steps x WHERE x.process_id = p.process_id)
        """

    static func fetchProcess(_ processID: ProcessID, _ db: Database) throws -> ProcessRecord? {
        try Row.fetchOne(db.cachedStatement(sql: selectProcess + " WHERE p.process_id = ?"), arguments: [processID.description]).map(processRecord)
    }

    static func processRecord(_ row: Row) throws -> ProcessRecord {
        let status: String = row["last_status"]
        let formText: String? = row["form"]
        let loggedStep: String? = row["logged_step"]
        let lastStep: String? = loggedStep ?? row["last_step"]
        let stateText: String = row["logged_state"] ?? row["state"]
        guard let processStatus = ProcessStatus(rawValue: status) else {
            throw PersistenceError(.corruptRow, "process \(row["process_id"] as String) has unknown status '\(status)'")
        }
        return ProcessRecord(
            processID: try processID(row["process_id"]), workflowName: row["workflow_name"], workflowVersion: row["workflow_version"],
            isTask: row["is_task"], status: processStatus, lastStep: lastStep.map { StepKey($0) }, state: try state(stateText),
            form: try formText.map { try JSONValue.parse($0).decode(Form.self) }, failedReason: row["failed_reason"],
            createdBy: row["created_by"], startedAt: row["started_at"], lastModifiedAt: row["last_modified_at"],
            leaseOwner: row["lease_owner"], leaseExpiresAt: row["lease_expires_at"], nextRetryAt: row["next_retry_at"])
    }

    static func stepRecord(_ row: Row) throws -> StepRecord {
        let status: String = row["status"]
        let stepID: String = row["stepid"]
        let details: String? = row["details"]
        guard let stepStatus = StepStatus(rawValue: status), let uuid = UUID(uuidString: stepID) else {
            throw PersistenceError(.corruptRow, "step \(stepID) has unknown status '\(status)' or a malformed id")
        }
        return StepRecord(
            stepID: uuid, processID: try processID(row["process_id"]), key: StepKey(row["name"] as String), status: stepStatus,
            state: try state(row["state"]), createdBy: row["created_by"], startedAt: row["started_at"], completedAt: row["completed_at"],
            attempt: row["retries"], nextRetryAt: row["next_retry_at"], failedReason: row["failed_reason"], errorType: row["error_type"],
            details: try details.map(JSONValue.parse))
    }

    static func processID(_ text: String) throws -> ProcessID {
        guard let id = ProcessID(text) else { throw PersistenceError(.corruptRow, "'\(text)' is not a process id") }
        return id
    }

    static func state(_ text: String) throws -> State {
        guard case .object(let members) = try JSONValue.parse(text) else {
            throw PersistenceError(.corruptRow, "a stored state is not a JSON object")
        }
        return State(members)
    }

    private static let insertStepColumns = """
        INSERT INTO process_steps (stepid, process_id, name, status, state, created_by, started_at, completed_at, retries,
            next_retry_at, failed_reason, error_type, details, seq)
        """
    private static let insertStepValues =
        "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM process_steps WHERE process_id = ?)"
    private static let insertStep = insertStepColumns + " VALUES (" + insertStepValues + ")"
    private static let insertFencedStep =
        insertStepColumns + " SELECT " + insertStepValues
        + " WHERE EXISTS (SELECT 1 FROM processes WHERE process_id = ? AND lease_owner = ? AND last_status = 'running')"

    /// Appends a step row. With `fencedBy`, the row is written only while that runner holds
    /// the lease of the process and it is `running` (check `db.changesCount`).
    static func insert(_ step: StepRecord, stateText: String? = nil, fencedBy owner: String? = nil, _ db: Database) throws {
        let processID = step.processID.description
        var arguments: StatementArguments = [
            step.stepID.uuidString.lowercased(), processID, step.key.rawValue, step.status.rawValue,
            stateText ?? step.state.json.jsonText, step.createdBy, SQLiteTime.text(step.startedAt), SQLiteTime.text(step.completedAt),
            step.attempt, SQLiteTime.text(step.nextRetryAt), step.failedReason, step.errorType, step.details?.jsonText, processID,
        ]
        guard let owner else {
            try db.cachedStatement(sql: insertStep).execute(arguments: arguments)
            return
        }
        arguments += [processID, owner]
        try db.cachedStatement(sql: insertFencedStep).execute(arguments: arguments)
    }

    static func insert(_ input: InputStateRecord, _ db: Database) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO input_states (process_id, seq, input_state_id, input_state, input_time, input_type, created_by, page)
                VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM input_states WHERE process_id = ?), ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            input.processID.description, input.processID.description, UUID().uuidString.lowercased(), input.input.json.jsonText,
            SQLiteTime.text(input.inputTime), input.kind.rawValue, input.createdBy, input.page,
        ])
    }
}
