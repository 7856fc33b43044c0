import Foundation
import GRDB
import WorkflowEngine

extension SQLiteStore: ScheduleStore {
    public func addSchedule(_ schedule: Schedule) async throws {
        let inserted = try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO schedules (schedule_id, name, workflow, cron, time_zone, input, paused, next_due_at, created_by, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING
                    """,
                arguments: [
                    Self.text(schedule.id), schedule.name, schedule.workflow, schedule.cron, schedule.timeZone, schedule.input.jsonText,
                    schedule.paused, SQLiteTime.text(schedule.nextDueAt), schedule.createdBy, SQLiteTime.text(schedule.createdAt),
                ])
            return db.changesCount == 1
        }
        guard inserted else { throw AutomationColumns.nameTaken(schedule.name) }
    }

    public func schedules() async throws -> [Schedule] {
        try await pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM schedules ORDER BY name").map(Self.schedule) }
    }

    public func schedule(named name: String) async throws -> Schedule? {
        try await pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM schedules WHERE name = ?", arguments: [name]).map(Self.schedule) }
    }

    public func setSchedulePaused(_ name: String, paused: Bool, nextDue: Date?) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE schedules SET paused = ?, next_due_at = coalesce(?, next_due_at) WHERE name = ?",
                arguments: [paused, SQLiteTime.text(nextDue), name])
            return db.changesCount == 1
        }
    }

    public func removeSchedule(named name: String) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM schedules WHERE name = ?", arguments: [name])
            return db.changesCount == 1
        }
    }

    public func dueSchedules(now: Date, limit: Int) async throws -> [Schedule] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM schedules WHERE paused = 0 AND (next_due_at IS NULL OR next_due_at <= ?)
                    ORDER BY next_due_at IS NOT NULL, next_due_at LIMIT ?
                    """, arguments: [SQLiteTime.text(now), limit]
            ).map(Self.schedule)
        }
    }

    public func initializeNextDue(_ scheduleID: UUID, to date: Date) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE schedules SET next_due_at = ? WHERE schedule_id = ? AND next_due_at IS NULL",
                arguments: [SQLiteTime.text(date), Self.text(scheduleID)])
            return db.changesCount == 1
        }
    }

    public func fire(_ firing: ScheduleFiring) async throws -> Bool {
        let run = firing.run
        do {
            return try await pool.write { db in
                if let expected = firing.expectedNextDue {
                    try db.execute(
                        sql: "UPDATE schedules SET next_due_at = ? WHERE schedule_id = ? AND next_due_at = ?",
                        arguments: [SQLiteTime.text(firing.nextDue), Self.text(run.scheduleID), SQLiteTime.text(expected)])
                    guard db.changesCount == 1 else { return false }
                }
                try db.execute(
                    sql: """
                        INSERT INTO schedule_runs (schedule_id, schedule_name, due_at, fired_at, fired_by, process_id, refusal)
                        VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
                        """,
                    arguments: [
                        Self.text(run.scheduleID), run.scheduleName, SQLiteTime.text(run.dueAt), SQLiteTime.text(run.firedAt), run.firedBy,
                        run.processID?.description, run.refusal,
                    ])
                guard db.changesCount == 1 else {
                    // Another scheduler fired this due time: undo the move of next_due_at too.
                    throw AutomationColumns.AlreadyFired()
                }
                if let process = firing.process { try self.insertProcess(process.process, inputs: process.inputs, locks: process.locks, db) }
                return true
            }
        } catch is AutomationColumns.AlreadyFired {
            return false
        }
    }

    public func scheduleRuns(of scheduleID: UUID?, limit: Int) async throws -> [ScheduleRun] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM schedule_runs WHERE (? IS NULL OR schedule_id = ?) ORDER BY fired_at DESC, due_at DESC LIMIT ?
                    """, arguments: [scheduleID.map(Self.text), scheduleID.map(Self.text), limit]
            ).map(Self.scheduleRun)
        }
    }

    public func scheduleRun(startedProcess processID: ProcessID) async throws -> ScheduleRun? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM schedule_runs WHERE process_id = ?", arguments: [processID.description]).map(Self.scheduleRun)
        }
    }

    static func text(_ id: UUID) -> String { id.uuidString.lowercased() }

    static func uuid(_ text: String, _ what: String) throws -> UUID {
        guard let id = UUID(uuidString: text) else { throw PersistenceError(.corruptRow, "\(what) '\(text)' is no UUID") }
        return id
    }

    static func schedule(_ row: Row) throws -> Schedule {
        Schedule(
            id: try uuid(row["schedule_id"], "schedule id"), name: row["name"], workflow: WorkflowName(row["workflow"] as String),
            cron: row["cron"], timeZone: row["time_zone"], input: try AutomationColumns.json(row["input"], "schedule input"),
            paused: row["paused"], nextDueAt: row["next_due_at"], createdBy: row["created_by"], createdAt: row["created_at"])
    }

    static func scheduleRun(_ row: Row) throws -> ScheduleRun {
        let process: String? = row["process_id"]
        return ScheduleRun(
            scheduleID: try uuid(row["schedule_id"], "schedule id"), scheduleName: row["schedule_name"], dueAt: row["due_at"],
            firedAt: row["fired_at"], firedBy: row["fired_by"], processID: try process.map { ProcessID(try uuid($0, "process id")) },
            refusal: row["refusal"])
    }
}

extension SQLiteStore: DriftCheckStore, SettingsStore {
    public func recordDelivery(_ delivery: NetBoxDelivery, checkDueAt dueAt: Date) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO netbox_deliveries (body_sha256, received_at, request_id, event, object_type, object_id, owners)
                    VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (body_sha256) DO NOTHING
                    """,
                arguments: [
                    delivery.bodySHA256, SQLiteTime.text(delivery.receivedAt), delivery.requestID, delivery.event, delivery.objectType,
                    delivery.objectID, AutomationColumns.idsText(delivery.owners),
                ])
            guard db.changesCount == 1 else {
                try db.execute(sql: "UPDATE netbox_deliveries SET repeats = repeats + 1 WHERE body_sha256 = ?", arguments: [delivery.bodySHA256])
                return false
            }
            let requestIDs = AutomationColumns.stringsText(delivery.requestID.map { [$0] } ?? [])
            for owner in delivery.owners {
                try db.execute(
                    sql: """
                        INSERT INTO drift_checks (subscription_id, first_at, due_at, changes, request_ids) VALUES (?, ?, ?, 1, ?)
                        ON CONFLICT (subscription_id) DO UPDATE SET changes = changes + 1,
                            request_ids = (SELECT json_group_array(value) FROM (
                                SELECT value FROM json_each(drift_checks.request_ids) UNION SELECT value FROM json_each(excluded.request_ids)))
                        """,
                    arguments: [Self.text(owner), SQLiteTime.text(delivery.receivedAt), SQLiteTime.text(dueAt), requestIDs])
            }
            return true
        }
    }

    public func takeDueDriftChecks(now: Date, limit: Int) async throws -> [DriftCheck] {
        // Asked every second by every scheduler: a read first, so that an idle one takes no write lock.
        let due = try await pool.read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM drift_checks WHERE due_at <= ?)", arguments: [SQLiteTime.text(now)]) ?? false
        }
        guard due else { return [] }
        return try await pool.write { db in
            try Row.fetchAll(
                db,
                sql:
                    "DELETE FROM drift_checks WHERE subscription_id IN (SELECT subscription_id FROM drift_checks WHERE due_at <= ? LIMIT ?) RETURNING *",
                arguments: [SQLiteTime.text(now), limit]
            ).map { row in
                DriftCheck(
                    subscriptionID: try Self.uuid(row["subscription_id"], "subscription id"), firstAt: row["first_at"], dueAt: row["due_at"],
                    changes: row["changes"], requestIDs: try AutomationColumns.strings(row["request_ids"]))
            }
        }
    }

    public func postponeDriftCheck(_ check: DriftCheck, to dueAt: Date) async throws {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO drift_checks (subscription_id, first_at, due_at, changes, request_ids) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (subscription_id) DO UPDATE SET first_at = min(drift_checks.first_at, excluded.first_at),
                        changes = drift_checks.changes + excluded.changes,
                        request_ids = (SELECT json_group_array(value) FROM (
                            SELECT value FROM json_each(drift_checks.request_ids) UNION SELECT value FROM json_each(excluded.request_ids)))
                    """,
                arguments: [
                    Self.text(check.subscriptionID), SQLiteTime.text(check.firstAt), SQLiteTime.text(dueAt), check.changes,
                    AutomationColumns.stringsText(check.requestIDs),
                ])
        }
    }

    public func netBoxDeliveries(limit: Int) async throws -> [NetBoxDelivery] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM netbox_deliveries ORDER BY received_at DESC LIMIT ?", arguments: [limit]).map { row in
                NetBoxDelivery(
                    bodySHA256: row["body_sha256"], receivedAt: row["received_at"], requestID: row["request_id"], event: row["event"],
                    objectType: row["object_type"], objectID: row["object_id"], owners: try AutomationColumns.ids(row["owners"]))
            }
        }
    }

    public func isOwnNetBoxRequest(_ requestID: String) async throws -> Bool {
        try await pool.read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM ledger_entries WHERE netbox_request_id = ?)", arguments: [requestID]) ?? false
        }
    }

    public func setting(_ name: String) async throws -> String? {
        try await pool.read { db in try String.fetchOne(db, sql: "SELECT value FROM settings WHERE name = ?", arguments: [name]) }
    }

    public func setSetting(_ name: String, value: String?, user: String, now: Date) async throws {
        try await pool.write { db in
            guard let value else {
                try db.execute(sql: "DELETE FROM settings WHERE name = ?", arguments: [name])
                return
            }
            try db.execute(
                sql: """
                    INSERT INTO settings (name, value, updated_by, updated_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_by = excluded.updated_by, updated_at = excluded.updated_at
                    """, arguments: [name, value, user, SQLiteTime.text(now)])
        }
    }
}

extension SQLiteStore: HookStore {
    public func addHook(_ hook: Hook) async throws -> Hook {
        try await pool.write { db in
            var hook = hook
            hook.cursor = try Int64.fetchOne(db, sql: "SELECT coalesce(max(id), 0) FROM events") ?? 0
            try db.execute(
                sql: """
                    INSERT INTO hooks (hook_id, url, events, secret, created_by, created_at, event_cursor) VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    Self.text(hook.id), hook.url, AutomationColumns.eventsText(hook.events), hook.secret, hook.createdBy,
                    SQLiteTime.text(hook.createdAt), hook.cursor,
                ])
            return hook
        }
    }

    public func hooks() async throws -> [Hook] {
        try await pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM hooks ORDER BY created_at").map(Self.hook) }
    }

    public func removeHook(_ id: UUID) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM hooks WHERE hook_id = ?", arguments: [Self.text(id)])
            return db.changesCount == 1
        }
    }

    public func hookIDs(withPrefix prefix: String) async throws -> [UUID] {
        let prefix = prefix.lowercased()
        return try await pool.read { db in
            try String.fetchAll(
                db, sql: "SELECT hook_id FROM hooks WHERE substr(hook_id, 1, length(?)) = ? ORDER BY hook_id", arguments: [prefix, prefix]
            )
            .map { try Self.uuid($0, "hook id") }
        }
    }

    public func leaseHooks(owner: String, now: Date, until: Date, limit: Int) async throws -> [Hook] {
        // Asked every second by every deliverer: a read first, so that an idle one takes no write lock.
        let behind = try await pool.read { db in
            try Bool.fetchOne(
                db, sql: "SELECT EXISTS (SELECT 1 FROM hooks WHERE event_cursor < (SELECT coalesce(max(id), 0) FROM events))") ?? false
        }
        guard behind else { return [] }
        return try await pool.write { db in
            try Row.fetchAll(
                db,
                sql: """
                    UPDATE hooks SET lease_owner = ?, lease_expires_at = ?
                    WHERE hook_id IN (
                        SELECT hook_id FROM hooks
                        WHERE (lease_owner IS NULL OR lease_expires_at < ?) AND (next_attempt_at IS NULL OR next_attempt_at <= ?)
                            AND event_cursor < (SELECT coalesce(max(id), 0) FROM events)
                        LIMIT ?)
                    RETURNING *
                    """,
                arguments: [owner, SQLiteTime.text(until), SQLiteTime.text(now), SQLiteTime.text(now), limit]
            ).map(Self.hook)
        }
    }

    public func recordHookAttempt(_ hookID: UUID, owner: String, delivery: HookDelivery?, cursor: Int64, retryAt: Date?) async throws -> Bool {
        try await pool.write { db in
            let failed = delivery.map { !$0.succeeded } ?? false
            try db.execute(
                sql: """
                    UPDATE hooks SET event_cursor = ?, failures = CASE WHEN ? THEN failures + 1 ELSE 0 END, next_attempt_at = ?,
                        last_error = CASE WHEN ? THEN ? ELSE last_error END
                    WHERE hook_id = ? AND lease_owner = ?
                    """,
                arguments: [
                    cursor, failed, SQLiteTime.text(retryAt), failed, delivery.map(AutomationColumns.errorText), Self.text(hookID), owner,
                ])
            guard db.changesCount == 1 else { return false }
            if let delivery {
                try db.execute(
                    sql: """
                        INSERT INTO hook_deliveries (hook_id, event_id, event, attempt, at, status, error, duration_ms)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        Self.text(hookID), delivery.eventID, delivery.event, delivery.attempt, SQLiteTime.text(delivery.at), delivery.status,
                        delivery.error, delivery.durationMilliseconds,
                    ])
            }
            return true
        }
    }

    public func releaseHook(_ hookID: UUID, owner: String) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE hooks SET lease_owner = NULL, lease_expires_at = NULL WHERE hook_id = ? AND lease_owner = ?",
                arguments: [Self.text(hookID), owner])
        }
    }

    public func hookDeliveries(of hookID: UUID?, limit: Int) async throws -> [HookDelivery] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM hook_deliveries WHERE (? IS NULL OR hook_id = ?) ORDER BY delivery_id DESC LIMIT ?",
                arguments: [hookID.map(Self.text), hookID.map(Self.text), limit]
            ).map { row in
                HookDelivery(
                    hookID: try Self.uuid(row["hook_id"], "hook id"), eventID: row["event_id"], event: row["event"], attempt: row["attempt"],
                    at: row["at"], status: row["status"], error: row["error"], durationMilliseconds: row["duration_ms"])
            }
        }
    }

    static func hook(_ row: Row) throws -> Hook {
        Hook(
            id: try uuid(row["hook_id"], "hook id"), url: row["url"], events: try AutomationColumns.events(row["events"]), secret: row["secret"],
            createdBy: row["created_by"], createdAt: row["created_at"], cursor: row["event_cursor"], failures: row["failures"],
            nextAttemptAt: row["next_attempt_at"], lastError: row["last_error"])
    }
}

/// How both stores keep the lists of schedules, deliveries and hooks (shared with
/// `PostgresStore+Automation.swift`).
enum AutomationColumns {
    /// A scheduler lost the race for a due time: the transaction is rolled back.
    struct AlreadyFired: Error {}

    static func nameTaken(_ name: String) -> WorkflowError {
        WorkflowError(.nameTaken, "a schedule named '\(name)' exists already; pick another name or remove that one first")
    }

    static func json(_ text: String, _ what: String) throws -> JSONValue {
        do { return try JSONValue.parse(text) } catch { throw PersistenceError(.corruptRow, "\(what) '\(text)' is not JSON") }
    }

    static func stringsText(_ strings: [String]) -> String { JSONValue.array(strings.map(JSONValue.string)).jsonText }

    static func strings(_ text: String) throws -> [String] {
        guard case .array(let items) = try json(text, "list") else { throw PersistenceError(.corruptRow, "'\(text)' is not a JSON array") }
        return items.compactMap(\.stringValue)
    }

    static func idsText(_ ids: [UUID]) -> String { stringsText(ids.map { $0.uuidString.lowercased() }) }

    static func ids(_ text: String) throws -> [UUID] { try strings(text).compactMap(UUID.init(uuidString:)) }

    static func eventsText(_ events: [HookEvent]) -> String { stringsText(events.map(\.rawValue)) }

    static func events(_ text: String) throws -> [HookEvent] {
        try strings(text).map { name in
            guard let event = HookEvent(rawValue: name) else { throw PersistenceError(.corruptRow, "hook event '\(name)' is not known") }
            return event
        }
    }

    /// What a failed attempt says: the error, or the status it answered.
    static func errorText(_ delivery: HookDelivery) -> String? {
        guard !delivery.succeeded else { return nil }
        return delivery.error ?? delivery.status.map { "answered HTTP \($0)" }
    }
}
