import Foundation
import GRDB
import WorkflowEngine

/// The mapping between rows and records; the only place that knows the column names.
extension SQLiteStore {
    static let selectProcess = """
        SELECT p.process_id, w.name AS workflow_name, p.workflow_version, p.is_task, p.last_status, p.last_step, p.state, p.form,
            p.failed_reason, p.created_by, p.started_at, p.last_modified_at, p.lease_owner, p.lease_expires_at, p.next_retry_at
        FROM processes p JOIN workflows w ON w.workflow_id = p.workflow_id
        """

    static func fetchProcess(_ processID: ProcessID, _ db: Database) throws -> ProcessRecord? {
        try Row.fetchOne(db, sql: selectProcess + " WHERE p.process_id = ?", arguments: [processID.description]).map(processRecord)
    }

    static func processRecord(_ row: Row) throws -> ProcessRecord {
        let status: String = row["last_status"]
        let formText: String? = row["form"]
        let lastStep: String? = row["last_step"]
        guard let processStatus = ProcessStatus(rawValue: status) else {
            throw PersistenceError(.corruptRow, "process \(row["process_id"] as String) has unknown status '\(status)'")
        }
        return ProcessRecord(
            processID: try processID(row["process_id"]), workflowName: row["workflow_name"], workflowVersion: row["workflow_version"],
            isTask: row["is_task"], status: processStatus, lastStep: lastStep.map { StepKey($0) }, state: try state(row["state"]),
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

    static func insert(_ step: StepRecord, stateText: String? = nil, _ db: Database) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO process_steps (stepid, process_id, name, status, state, created_by, started_at, completed_at, retries,
                    next_retry_at, failed_reason, error_type, details, seq)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
                    (SELECT COALESCE(MAX(seq), 0) + 1 FROM process_steps WHERE process_id = ?))
                """
        ).execute(arguments: [
            step.stepID.uuidString.lowercased(), step.processID.description, step.key.rawValue, step.status.rawValue,
            stateText ?? step.state.json.jsonText, step.createdBy, SQLiteTime.text(step.startedAt), SQLiteTime.text(step.completedAt), step.attempt,
            SQLiteTime.text(step.nextRetryAt),
            step.failedReason, step.errorType, step.details?.jsonText, step.processID.description,
        ])
    }

    static func insert(_ input: InputStateRecord, _ db: Database) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO input_states (input_state_id, process_id, input_state, input_time, input_type, created_by)
                VALUES (?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            UUID().uuidString.lowercased(), input.processID.description, input.input.json.jsonText, SQLiteTime.text(input.inputTime),
            input.kind.rawValue,
            input.createdBy,
        ])
    }
}
