import Foundation
import GRDB
import WorkflowEngine

extension SQLiteStore: ChangeLedger {
    public func recordIntent(_ entry: LedgerEntry, fence: LedgerFence?) async throws -> Bool {
        try await pool.write { db in
            // The fence and the insert are one statement: an expired or lost lease inserts nothing.
            try db.execute(
                sql: """
                    INSERT INTO ledger_entries (entry_id, process_id, step_name, execution_id, attempt, runner, subscription_id, action,
                        object_type, object_id, label, adopt_key, sent, replaced, answer, finder, outcome, error, held_by, released_at,
                        started_at, finished_at)
                    SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
                    WHERE ? = 0 OR EXISTS (SELECT 1 FROM processes WHERE process_id = ? AND lease_owner = ? AND last_status = 'running'
                        AND lease_expires_at > ?)
                    """,
                arguments: [
                    entry.entryID.uuidString.lowercased(), entry.processID.description, entry.step.rawValue,
                    entry.execution.uuidString.lowercased(), entry.attempt, entry.runner, entry.subscriptionID?.uuidString.lowercased(),
                    entry.action.rawValue, entry.objectType, entry.objectID, entry.label, entry.key, entry.sent.jsonText,
                    entry.replaced?.jsonText, entry.answer?.jsonText, entry.finder?.jsonText, entry.outcome.rawValue, entry.error,
                    entry.heldBy.uuidString.lowercased(), SQLiteTime.text(entry.releasedAt), SQLiteTime.text(entry.startedAt),
                    SQLiteTime.text(entry.finishedAt), fence == nil ? 0 : 1, entry.processID.description, fence?.owner,
                    fence.map { SQLiteTime.text($0.now) },
                ])
            return db.changesCount == 1
        }
    }

    public func recordOutcome(
        _ entryID: UUID, _ outcome: LedgerEntry.Outcome, objectID: Int?, label: String?, answer: JSONValue?, error: String?, at: Date,
        netboxRequestID: String?
    ) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                sql: """
                    UPDATE ledger_entries SET outcome = ?, object_id = COALESCE(?, object_id), label = COALESCE(?, label), answer = ?,
                        error = ?, finished_at = ?, netbox_request_id = COALESCE(?, netbox_request_id)
                    WHERE entry_id = ? AND outcome IN ('pending', 'not_made')
                    """,
                arguments: [
                    outcome.rawValue, objectID, label, answer?.jsonText, error, SQLiteTime.text(at), netboxRequestID,
                    entryID.uuidString.lowercased(),
                ])
            return db.changesCount == 1
        }
    }

    public func claim(_ entryID: UUID, for execution: UUID) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE ledger_entries SET held_by = ? WHERE entry_id = ? AND released_at IS NULL",
                arguments: [execution.uuidString.lowercased(), entryID.uuidString.lowercased()])
            return db.changesCount == 1
        }
    }

    public func markReleased(_ entryID: UUID, heldBy: UUID, at: Date) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE ledger_entries SET released_at = ? WHERE entry_id = ? AND held_by = ? AND released_at IS NULL",
                arguments: [SQLiteTime.text(at), entryID.uuidString.lowercased(), heldBy.uuidString.lowercased()])
            return db.changesCount == 1
        }
    }

    public func unmarkReleased(_ entryID: UUID, heldBy: UUID) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE ledger_entries SET released_at = NULL WHERE entry_id = ? AND held_by = ?",
                arguments: [entryID.uuidString.lowercased(), heldBy.uuidString.lowercased()])
        }
    }

    public func ledger(_ query: LedgerQuery) async throws -> [LedgerEntry] {
        try await pool.read { db in try Self.ledger(query, db) }
    }

    static func ledger(_ query: LedgerQuery, _ db: Database) throws -> [LedgerEntry] {
        let rows = try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT * FROM ledger_entries
                    WHERE (? IS NULL OR process_id = ?) AND (? IS NULL OR subscription_id = ?) AND (? IS NULL OR object_type = ?)
                        AND (? IS NULL OR object_id = ?)
                    ORDER BY rowid LIMIT ?
                    """),
            arguments: [
                query.processID?.description, query.processID?.description, query.subscriptionID?.uuidString.lowercased(),
                query.subscriptionID?.uuidString.lowercased(), query.objectType, query.objectType, query.objectID, query.objectID,
                query.limit,
            ])
        return try rows.map(Self.ledgerEntry)
    }

    static func ledgerEntry(_ row: Row) throws -> LedgerEntry {
        func uuid(_ column: String) throws -> UUID {
            let text: String = row[column]
            guard let id = UUID(uuidString: text) else { throw PersistenceError(.corruptRow, "ledger \(column) '\(text)' is no UUID") }
            return id
        }
        func json(_ column: String) throws -> JSONValue? {
            try (row[column] as String?).map(JSONValue.parse)
        }
        let action: String = row["action"]
        let outcome: String = row["outcome"]
        guard let theAction = LedgerEntry.Action(rawValue: action), let theOutcome = LedgerEntry.Outcome(rawValue: outcome) else {
            throw PersistenceError(.corruptRow, "ledger entry \(row["entry_id"] as String) has action '\(action)', outcome '\(outcome)'")
        }
        let subscription: String? = row["subscription_id"]
        return LedgerEntry(
            entryID: try uuid("entry_id"), processID: try processID(row["process_id"]), step: StepKey(row["step_name"] as String),
            execution: try uuid("execution_id"), attempt: row["attempt"], runner: row["runner"],
            subscriptionID: subscription.flatMap(UUID.init(uuidString:)), action: theAction, objectType: row["object_type"],
            objectID: row["object_id"], label: row["label"], key: row["adopt_key"], sent: try json("sent") ?? .object([:]),
            replaced: try json("replaced"), answer: try json("answer"), finder: try json("finder"), outcome: theOutcome,
            error: row["error"], heldBy: try uuid("held_by"), releasedAt: row["released_at"], startedAt: row["started_at"],
            finishedAt: row["finished_at"])
    }
}
