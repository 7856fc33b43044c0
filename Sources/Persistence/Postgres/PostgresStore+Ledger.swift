import Foundation
import PostgresNIO
import WorkflowEngine

extension PostgresStore: ChangeLedger {
    public func recordIntent(_ entry: LedgerEntry, fence: LedgerFence?) async throws -> Bool {
        // The fence and the insert are one statement: an expired or lost lease inserts nothing.
        try await committed(
            """
            INSERT INTO ledger_entries (entry_id, process_id, step_name, execution_id, attempt, runner, subscription_id, action,
                object_type, object_id, label, adopt_key, sent, replaced, answer, finder, outcome, error, held_by, released_at,
                started_at, finished_at)
            SELECT \(entry.entryID), \(entry.processID.uuid), \(entry.step.rawValue), \(entry.execution), \(entry.attempt), \(entry.runner),
                \(entry.subscriptionID), \(entry.action.rawValue), \(entry.objectType), \(entry.objectID), \(entry.label), \(entry.key),
                \(entry.sent.jsonText)::jsonb, \(entry.replaced?.jsonText)::jsonb, \(entry.answer?.jsonText)::jsonb,
                \(entry.finder?.jsonText)::jsonb, \(entry.outcome.rawValue), \(entry.error), \(entry.heldBy),
                \(entry.releasedAt?.milliseconds), \(entry.startedAt.milliseconds), \(entry.finishedAt?.milliseconds)
            WHERE \(fence == nil) OR EXISTS (SELECT 1 FROM processes WHERE process_id = \(entry.processID.uuid)
                AND lease_owner = \(fence?.owner) AND last_status = 'running' AND lease_expires_at > \(fence?.now.milliseconds))
            RETURNING 1
            """
        ).count == 1
    }

    public func recordOutcome(
        _ entryID: UUID, _ outcome: LedgerEntry.Outcome, objectID: Int?, label: String?, answer: JSONValue?, error: String?, at: Date,
        netboxRequestID: String?
    ) async throws -> Bool {
        try await committed(
            """
            UPDATE ledger_entries SET outcome = \(outcome.rawValue), object_id = COALESCE(\(objectID), object_id),
                label = COALESCE(\(label), label), answer = \(answer?.jsonText)::jsonb, error = \(error), finished_at = \(at.milliseconds),
                netbox_request_id = COALESCE(\(netboxRequestID), netbox_request_id)
            WHERE entry_id = \(entryID) AND outcome IN ('pending', 'not_made')
            RETURNING 1
            """
        ).count == 1
    }

    public func claim(_ entryID: UUID, for execution: UUID) async throws -> Bool {
        try await committed(
            "UPDATE ledger_entries SET held_by = \(execution) WHERE entry_id = \(entryID) AND released_at IS NULL RETURNING 1"
        ).count == 1
    }

    public func markReleased(_ entryID: UUID, heldBy: UUID, at: Date) async throws -> Bool {
        try await committed(
            """
            UPDATE ledger_entries SET released_at = \(at.milliseconds)
            WHERE entry_id = \(entryID) AND held_by = \(heldBy) AND released_at IS NULL RETURNING 1
            """
        ).count == 1
    }

    public func unmarkReleased(_ entryID: UUID, heldBy: UUID) async throws {
        try await committed("UPDATE ledger_entries SET released_at = NULL WHERE entry_id = \(entryID) AND held_by = \(heldBy)")
    }

    public func ledger(_ query: LedgerQuery) async throws -> [LedgerEntry] {
        try await rows(
            """
            SELECT entry_id, process_id, step_name, execution_id, attempt, runner, subscription_id, action, object_type, object_id, label,
                adopt_key, sent::text AS sent, replaced::text AS replaced, answer::text AS answer, finder::text AS finder, outcome, error,
                held_by, released_at, started_at, finished_at
            FROM ledger_entries
            WHERE (\(query.processID?.uuid)::uuid IS NULL OR process_id = \(query.processID?.uuid))
                AND (\(query.subscriptionID)::uuid IS NULL OR subscription_id = \(query.subscriptionID))
                AND (\(query.objectType)::text IS NULL OR object_type = \(query.objectType))
                AND (\(query.objectID)::integer IS NULL OR object_id = \(query.objectID))
            ORDER BY seq LIMIT \(query.limit)
            """
        ).map(Self.ledgerEntry)
    }

    static func ledgerEntry(_ row: PostgresRandomAccessRow) throws -> LedgerEntry {
        func json(_ column: String) throws -> JSONValue? { try row.optionalString(column).map(JSONValue.parse) }
        let action = try row.string("action")
        let outcome = try row.string("outcome")
        let entryID = try row["entry_id"].decode(UUID.self)
        guard let theAction = LedgerEntry.Action(rawValue: action), let theOutcome = LedgerEntry.Outcome(rawValue: outcome) else {
            throw PersistenceError(.corruptRow, "ledger entry \(entryID) has action '\(action)', outcome '\(outcome)'")
        }
        return LedgerEntry(
            entryID: entryID, processID: ProcessID(try row["process_id"].decode(UUID.self)), step: StepKey(try row.string("step_name")),
            execution: try row["execution_id"].decode(UUID.self), attempt: try row["attempt"].decode(Int.self), runner: try row.string("runner"),
            subscriptionID: try row["subscription_id"].decode(UUID?.self), action: theAction, objectType: try row.string("object_type"),
            objectID: try row["object_id"].decode(Int?.self), label: try row.optionalString("label"), key: try row.optionalString("adopt_key"),
            sent: try json("sent") ?? .object([:]), replaced: try json("replaced"), answer: try json("answer"), finder: try json("finder"),
            outcome: theOutcome, error: try row.optionalString("error"), heldBy: try row["held_by"].decode(UUID.self),
            releasedAt: try row.optionalDate("released_at"), startedAt: try row.date("started_at"), finishedAt: try row.optionalDate("finished_at"))
    }
}
