import Foundation
import PostgresNIO
import WorkflowEngine

extension PostgresStore: EventLog {
    /// Reads up to the horizon (`event_horizon()`, see `migrations/postgres/0008_events.sql`):
    /// every id up to it belongs to a transaction that has ended, so none can appear there later.
    public func events(after id: Int64, matching filter: EventFilter, limit: Int) async throws -> [EngineEvent] {
        let horizon = try await lastEventID()
        guard horizon > id else { return [] }
        var binds = PostgresBindings()
        binds.append(id)
        binds.append(horizon)
        var sql = """
            SELECT id, at, kind, process_id, subscription_id, data::text AS data FROM events WHERE id > $1 AND id <= $2
            """
        if let processID = filter.processID {
            binds.append(processID.uuid)
            sql += " AND process_id = $\(binds.count)"
        }
        if let subscriptionID = filter.subscriptionID {
            binds.append(subscriptionID)
            sql += " AND subscription_id = $\(binds.count)"
        }
        binds.append(limit)
        return try await rows(PostgresQuery(unsafeSQL: sql + " ORDER BY id LIMIT $\(binds.count)", binds: binds)).map(Self.event)
    }

    /// The horizon: it waits for the transactions writing events now to end.
    public func lastEventID() async throws -> Int64 {
        try await rows("SELECT event_horizon() AS horizon").first?["horizon"].decode(Int64.self) ?? 0
    }

    /// Shares one `LISTEN` connection among all of this store's streams (`PostgresEventListener`).
    public func eventSignals() -> AsyncStream<Void> {
        eventListener.signals()
    }

    /// The channel every transaction that writes events NOTIFYs (one per schema, as `workChannel`).
    var eventChannel: String { Self.eventChannel(location) }

    static func eventChannel(_ location: PostgresLocation) -> String { "wf_events" + (location.schema.map { "_" + $0 } ?? "") }

    static func event(_ row: PostgresRandomAccessRow) throws -> EngineEvent {
        let id = try row["id"].decode(Int64.self)
        let kind = try row.string("kind")
        guard let eventKind = EngineEventKind(rawValue: kind) else {
            throw PersistenceError(.corruptRow, "event \(id) has unknown kind '\(kind)'")
        }
        return EngineEvent(
            id: id, at: try row.date("at"), kind: eventKind, processID: try row["process_id"].decode(UUID?.self).map(ProcessID.init),
            subscriptionID: try row["subscription_id"].decode(UUID?.self), data: try JSONValue.parse(try row.string("data")))
    }

    /// Writes `drafts` in the transaction, in order, with one statement that also NOTIFYs
    /// (delivered when the transaction commits, not at all when it rolls back).
    static func insert(_ drafts: [EventDraft], channel: String, _ tx: PostgresTransaction) async throws {
        guard !drafts.isEmpty else { return }
        var binds = PostgresBindings(capacity: 6)
        binds.append(drafts.map { $0.at.milliseconds.timeIntervalSince1970 })
        binds.append(drafts.map(\.kind.rawValue))
        binds.append(drafts.map { $0.processID?.description ?? "" })
        binds.append(drafts.map { $0.subscriptionID?.uuidString.lowercased() ?? "" })
        binds.append(drafts.map(\.data.jsonText))
        binds.append(channel)
        try await tx.rows(
            PostgresQuery(
                unsafeSQL: """
                    WITH logged AS (
                        INSERT INTO events (at, kind, process_id, subscription_id, data)
                        SELECT to_timestamp(e.at), e.kind, NULLIF(e.process_id, '')::uuid, NULLIF(e.subscription_id, '')::uuid, e.data::jsonb
                        FROM unnest($1::float8[], $2::text[], $3::text[], $4::text[], $5::text[])
                            WITH ORDINALITY AS e (at, kind, process_id, subscription_id, data, n)
                        ORDER BY e.n
                    )
                    SELECT pg_notify($6, '')
                    """, binds: binds))
    }

    /// The events of a prepared step statement (see `stepEventsSQL`): its process's events'
    /// kinds and data, and the channel to notify; empty (and no channel) when the caller
    /// writes them itself later in the transaction.
    static func appendStepEvents(_ drafts: [EventDraft], channel: String, to binds: inout PostgresBindings) {
        binds.append(drafts.map(\.kind.rawValue))
        binds.append(drafts.map(\.data.jsonText))
        binds.append(drafts.isEmpty ? "" : channel)
    }

    /// A CTE `logged` writing the events of the process `step` holds (a CTE returning its
    /// `process_id`), at `$at`, kinds and data from the arrays `$kinds` and `$data`; the
    /// statement then ends with `notifySQL(channel:)`.
    static func stepEventsSQL(at: Int, kinds: Int, data: Int) -> String {
        """
        logged AS (
            INSERT INTO events (at, kind, process_id, data)
            SELECT $\(at), e.kind, step.process_id, e.data::jsonb FROM step, unnest($\(kinds)::text[], $\(data)::text[]) WITH ORDINALITY AS e (kind, data, n)
            ORDER BY e.n
        )
        """
    }

    /// The NOTIFY on channel `$channel` (none when it is empty), one row per row of `source`.
    static func notifySQL(channel: Int, from source: String) -> String {
        "SELECT CASE WHEN $\(channel) = '' THEN NULL ELSE pg_notify($\(channel), '') END AS notified FROM \(source)"
    }
}
