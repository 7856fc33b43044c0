import Foundation
import GRDB
import Synchronization
import WorkflowEngine

extension SQLiteStore: EventLog {
    /// SQLite has one writer at a time: ids become visible in the order they were given, so
    /// every event committed is final.
    public func events(after id: Int64, matching filter: EventFilter, limit: Int) async throws -> [EngineEvent] {
        try await pool.read { db in
            var sql = "SELECT id, at, kind, process_id, subscription_id, data FROM events WHERE id > ?"
            var arguments: StatementArguments = [id]
            if let processID = filter.processID {
                sql += " AND process_id = ?"
                arguments += [processID.description]
            }
            if let subscriptionID = filter.subscriptionID {
                sql += " AND subscription_id = ?"
                arguments += [subscriptionID.uuidString.lowercased()]
            }
            arguments += [limit]
            return try Row.fetchAll(db.cachedStatement(sql: sql + " ORDER BY id LIMIT ?"), arguments: arguments).map(Self.event)
        }
    }

    public func lastEventID() async throws -> Int64 {
        try await pool.read { db in try Self.lastEventID(db) }
    }

    /// Looks at the latest id every 100 ms, so that events other processes write to the same
    /// file are seen too (SQLite cannot notify another process). Each stream polls in the
    /// task that iterates it, and stops with it.
    public func eventSignals() -> AsyncStream<Void> {
        let seen = SeenEventID()
        let pool = self.pool
        return AsyncStream(unfolding: {
            while !Task.isCancelled {
                guard let latest = try? await pool.read({ db in try Self.lastEventID(db) }) else {
                    // A busy or closing database: look again at the next tick.
                    if (try? await Task.sleep(for: Self.eventPollInterval)) == nil { return nil }
                    continue
                }
                if seen.update(latest) { return () }
                if (try? await Task.sleep(for: Self.eventPollInterval)) == nil { return nil }
            }
            return nil
        })
    }

    static let eventPollInterval = Duration.milliseconds(100)

    static func lastEventID(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT COALESCE(MAX(id), 0) FROM events")) ?? 0
    }

    static func event(_ row: Row) throws -> EngineEvent {
        let kind: String = row["kind"]
        let id: Int64 = row["id"]
        guard let eventKind = EngineEventKind(rawValue: kind) else {
            throw PersistenceError(.corruptRow, "event \(id) has unknown kind '\(kind)'")
        }
        let process: String? = row["process_id"]
        let subscription: String? = row["subscription_id"]
        return EngineEvent(
            id: id, at: row["at"], kind: eventKind, processID: try process.map(processID),
            subscriptionID: try subscription.map { text in
                guard let id = UUID(uuidString: text) else { throw PersistenceError(.corruptRow, "'\(text)' is not a subscription id") }
                return id
            }, data: try JSONValue.parse(row["data"] as String))
    }

    /// Writes `drafts` in the current transaction, in order, with one statement.
    static func insert(_ drafts: [EventDraft], _ db: Database) throws {
        guard !drafts.isEmpty else { return }
        let values = Array(repeating: "(?, ?, ?, ?, ?)", count: drafts.count).joined(separator: ", ")
        var arguments: StatementArguments = []
        for draft in drafts {
            arguments += [
                SQLiteTime.text(draft.at), draft.kind.rawValue, draft.processID?.description, draft.subscriptionID?.uuidString.lowercased(),
                draft.data.jsonText,
            ]
        }
        try db.cachedStatement(sql: "INSERT INTO events (at, kind, process_id, subscription_id, data) VALUES " + values)
            .execute(arguments: arguments)
    }

    /// The status of a process as stored, read in the transaction that is about to change it.
    static func storedStatus(_ processID: ProcessID, _ db: Database) throws -> ProcessStatus? {
        try String.fetchOne(
            db.cachedStatement(sql: "SELECT last_status FROM processes WHERE process_id = ?"), arguments: [processID.description]
        ).flatMap(ProcessStatus.init)
    }
}

/// The latest event id a signal stream has reported; the first look always signals.
private final class SeenEventID: Sendable {
    private let latest = Mutex<Int64?>(nil)

    /// Records `id`; true when it differs from the last one seen (or is the first).
    func update(_ id: Int64) -> Bool {
        latest.withLock { latest in
            defer { latest = id }
            return latest != id
        }
    }
}
