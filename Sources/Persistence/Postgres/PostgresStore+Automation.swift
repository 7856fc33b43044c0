import Foundation
import PostgresNIO
import WorkflowEngine

extension PostgresStore: ScheduleStore {
    public func addSchedule(_ schedule: Schedule) async throws {
        let inserted =
            try await committed(
                """
                INSERT INTO schedules (schedule_id, name, workflow, cron, time_zone, input, paused, next_due_at, created_by, created_at)
                VALUES (\(schedule.id), \(schedule.name), \(schedule.workflow.description), \(schedule.cron), \(schedule.timeZone),
                    \(schedule.input.jsonText)::jsonb, \(schedule.paused), \(schedule.nextDueAt?.milliseconds), \(schedule.createdBy),
                    \(schedule.createdAt.milliseconds))
                ON CONFLICT (name) DO NOTHING RETURNING 1
                """
            ).count == 1
        guard inserted else { throw AutomationColumns.nameTaken(schedule.name) }
    }

    private static let selectSchedule = """
        SELECT schedule_id, name, workflow, cron, time_zone, input::text AS input, paused, next_due_at, created_by, created_at FROM schedules
        """

    public func schedules() async throws -> [Schedule] {
        try await rows("\(unescaped: Self.selectSchedule) ORDER BY name").map(Self.schedule)
    }

    public func schedule(named name: String) async throws -> Schedule? {
        try await rows("\(unescaped: Self.selectSchedule) WHERE name = \(name)").first.map(Self.schedule)
    }

    public func setSchedulePaused(_ name: String, paused: Bool, nextDue: Date?) async throws -> Bool {
        try await committed(
            """
            UPDATE schedules SET paused = \(paused), next_due_at = COALESCE(\(nextDue?.milliseconds), next_due_at) WHERE name = \(name) RETURNING 1
            """
        ).count == 1
    }

    public func removeSchedule(named name: String) async throws -> Bool {
        try await committed("DELETE FROM schedules WHERE name = \(name) RETURNING 1").count == 1
    }

    public func dueSchedules(now: Date, limit: Int) async throws -> [Schedule] {
        try await rows(
            """
            \(unescaped: Self.selectSchedule) WHERE NOT paused AND (next_due_at IS NULL OR next_due_at <= \(now.milliseconds))
            ORDER BY next_due_at NULLS FIRST LIMIT \(limit)
            """
        ).map(Self.schedule)
    }

    public func initializeNextDue(_ scheduleID: UUID, to date: Date) async throws -> Bool {
        try await committed(
            "UPDATE schedules SET next_due_at = \(date.milliseconds) WHERE schedule_id = \(scheduleID) AND next_due_at IS NULL RETURNING 1"
        ).count == 1
    }

    public func fire(_ firing: ScheduleFiring) async throws -> Bool {
        let run = firing.run
        do {
            return try await transaction { tx in
                if let expected = firing.expectedNextDue {
                    // The row lock this takes makes a second scheduler wait, then find next_due_at moved on.
                    let moved = try await tx.rows(
                        """
                        UPDATE schedules SET next_due_at = \(firing.nextDue?.milliseconds)
                        WHERE schedule_id = \(run.scheduleID) AND next_due_at = \(expected.milliseconds) RETURNING 1
                        """)
                    guard moved.count == 1 else { return false }
                }
                let inserted = try await tx.rows(
                    """
                    INSERT INTO schedule_runs (schedule_id, schedule_name, due_at, fired_at, fired_by, process_id, refusal)
                    VALUES (\(run.scheduleID), \(run.scheduleName), \(run.dueAt.milliseconds), \(run.firedAt.milliseconds), \(run.firedBy),
                        \(run.processID?.uuid), \(run.refusal))
                    ON CONFLICT DO NOTHING RETURNING 1
                    """)
                // Another scheduler fired this due time: roll back the move of next_due_at too.
                guard inserted.count == 1 else { throw AutomationColumns.AlreadyFired() }
                if let process = firing.process {
                    try await self.insertProcess(process.process, inputs: process.inputs, locks: process.locks, tx)
                }
                return true
            }
        } catch is AutomationColumns.AlreadyFired {
            return false
        }
    }

    public func scheduleRuns(of scheduleID: UUID?, limit: Int) async throws -> [ScheduleRun] {
        try await rows(
            """
            SELECT * FROM schedule_runs WHERE \(scheduleID)::uuid IS NULL OR schedule_id = \(scheduleID)
            ORDER BY fired_at DESC, due_at DESC LIMIT \(limit)
            """
        ).map(Self.scheduleRun)
    }

    public func scheduleRun(startedProcess processID: ProcessID) async throws -> ScheduleRun? {
        try await rows("SELECT * FROM schedule_runs WHERE process_id = \(processID.uuid)").first.map(Self.scheduleRun)
    }

    static func schedule(_ row: PostgresRandomAccessRow) throws -> Schedule {
        Schedule(
            id: try row["schedule_id"].decode(UUID.self), name: try row.string("name"), workflow: WorkflowName(try row.string("workflow")),
            cron: try row.string("cron"), timeZone: try row.string("time_zone"),
            input: try AutomationColumns.json(try row.string("input"), "schedule input"), paused: try row["paused"].decode(Bool.self),
            nextDueAt: try row.optionalDate("next_due_at"), createdBy: try row.string("created_by"), createdAt: try row.date("created_at"))
    }

    static func scheduleRun(_ row: PostgresRandomAccessRow) throws -> ScheduleRun {
        ScheduleRun(
            scheduleID: try row["schedule_id"].decode(UUID.self), scheduleName: try row.string("schedule_name"), dueAt: try row.date("due_at"),
            firedAt: try row.date("fired_at"), firedBy: try row.string("fired_by"),
            processID: try row["process_id"].decode(UUID?.self).map(ProcessID.init), refusal: try row.optionalString("refusal"))
    }
}

extension PostgresStore: DriftCheckStore, SettingsStore {
    public func recordDelivery(_ delivery: NetBoxDelivery, checkDueAt dueAt: Date) async throws -> Bool {
        try await transaction { tx in
            let inserted = try await tx.rows(
                """
                INSERT INTO netbox_deliveries (body_sha256, received_at, request_id, event, object_type, object_id, owners)
                VALUES (\(delivery.bodySHA256), \(delivery.receivedAt.milliseconds), \(delivery.requestID), \(delivery.event),
                    \(delivery.objectType), \(delivery.objectID), \(AutomationColumns.idsText(delivery.owners))::jsonb)
                ON CONFLICT (body_sha256) DO UPDATE SET repeats = netbox_deliveries.repeats + 1
                RETURNING repeats
                """)
            guard try inserted.first?["repeats"].decode(Int.self) == 0 else { return false }
            let requestIDs = AutomationColumns.stringsText(delivery.requestID.map { [$0] } ?? [])
            for owner in delivery.owners {
                try await tx.rows(
                    """
                    INSERT INTO drift_checks (subscription_id, first_at, due_at, changes, request_ids)
                    VALUES (\(owner), \(delivery.receivedAt.milliseconds), \(dueAt.milliseconds), 1, \(requestIDs)::jsonb)
                    ON CONFLICT (subscription_id) DO UPDATE SET changes = drift_checks.changes + 1,
                        request_ids = (SELECT jsonb_agg(DISTINCT value) FROM jsonb_array_elements(drift_checks.request_ids || excluded.request_ids))
                    """)
            }
            return true
        }
    }

    public func takeDueDriftChecks(now: Date, limit: Int) async throws -> [DriftCheck] {
        // SKIP LOCKED: two schedulers taking at once each get their own rows.
        try await committed(
            """
            DELETE FROM drift_checks WHERE subscription_id IN (
                SELECT subscription_id FROM drift_checks WHERE due_at <= \(now.milliseconds) LIMIT \(limit) FOR UPDATE SKIP LOCKED)
            RETURNING subscription_id, first_at, due_at, changes, request_ids::text AS request_ids
            """
        ).map { row in
            DriftCheck(
                subscriptionID: try row["subscription_id"].decode(UUID.self), firstAt: try row.date("first_at"), dueAt: try row.date("due_at"),
                changes: try row["changes"].decode(Int.self), requestIDs: try AutomationColumns.strings(try row.string("request_ids")))
        }
    }

    public func postponeDriftCheck(_ check: DriftCheck, to dueAt: Date) async throws {
        _ = try await committed(
            """
            INSERT INTO drift_checks (subscription_id, first_at, due_at, changes, request_ids)
            VALUES (\(check.subscriptionID), \(check.firstAt.milliseconds), \(dueAt.milliseconds), \(check.changes),
                \(AutomationColumns.stringsText(check.requestIDs))::jsonb)
            ON CONFLICT (subscription_id) DO UPDATE SET first_at = LEAST(drift_checks.first_at, excluded.first_at),
                changes = drift_checks.changes + excluded.changes,
                request_ids = (SELECT jsonb_agg(DISTINCT value) FROM jsonb_array_elements(drift_checks.request_ids || excluded.request_ids))
            """)
    }

    public func netBoxDeliveries(limit: Int) async throws -> [NetBoxDelivery] {
        try await rows(
            """
            SELECT body_sha256, received_at, request_id, event, object_type, object_id, owners::text AS owners FROM netbox_deliveries
            ORDER BY received_at DESC LIMIT \(limit)
            """
        ).map { row in
            NetBoxDelivery(
                bodySHA256: try row.string("body_sha256"), receivedAt: try row.date("received_at"), requestID: try row.optionalString("request_id"),
                event: try row.string("event"), objectType: try row.string("object_type"), objectID: try row["object_id"].decode(Int?.self),
                owners: try AutomationColumns.ids(try row.string("owners")))
        }
    }

    public func isOwnNetBoxRequest(_ requestID: String) async throws -> Bool {
        try await rows("SELECT 1 FROM ledger_entries WHERE netbox_request_id = \(requestID) LIMIT 1").count == 1
    }

    public func setting(_ name: String) async throws -> String? {
        try await rows("SELECT value FROM settings WHERE name = \(name)").first.map { try $0.string("value") }
    }

    public func setSetting(_ name: String, value: String?, user: String, now: Date) async throws {
        guard let value else {
            _ = try await committed("DELETE FROM settings WHERE name = \(name)")
            return
        }
        _ = try await committed(
            """
            INSERT INTO settings (name, value, updated_by, updated_at) VALUES (\(name), \(value), \(user), \(now.milliseconds))
            ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_by = excluded.updated_by, updated_at = excluded.updated_at
            """)
    }
}

extension PostgresStore: HookStore {
    public func addHook(_ hook: Hook) async throws -> Hook {
        let cursor = try await committed(
            """
            INSERT INTO hooks (hook_id, url, events, secret, created_by, created_at, event_cursor)
            VALUES (\(hook.id), \(hook.url), \(AutomationColumns.eventsText(hook.events))::jsonb, \(hook.secret), \(hook.createdBy),
                \(hook.createdAt.milliseconds), (SELECT COALESCE(max(id), 0) FROM events))
            RETURNING event_cursor
            """
        ).first?["event_cursor"].decode(Int64.self)
        var hook = hook
        hook.cursor = cursor ?? 0
        return hook
    }

    private static let selectHook = """
        SELECT hook_id, url, events::text AS events, secret, created_by, created_at, event_cursor, failures, next_attempt_at, last_error FROM hooks
        """

    public func hooks() async throws -> [Hook] {
        try await rows("\(unescaped: Self.selectHook) ORDER BY created_at").map(Self.hook)
    }

    public func removeHook(_ id: UUID) async throws -> Bool {
        try await committed("DELETE FROM hooks WHERE hook_id = \(id) RETURNING 1").count == 1
    }

    public func hookIDs(withPrefix prefix: String) async throws -> [UUID] {
        let prefix = prefix.lowercased()
        return try await rows(
            "SELECT hook_id FROM hooks WHERE left(hook_id::text, length(\(prefix)::text)) = \(prefix) ORDER BY hook_id"
        ).map { try $0["hook_id"].decode(UUID.self) }
    }

    public func leaseHooks(owner: String, now: Date, until: Date, limit: Int) async throws -> [Hook] {
        try await committed(
            """
            UPDATE hooks SET lease_owner = \(owner), lease_expires_at = \(until.milliseconds)
            WHERE hook_id IN (
                SELECT hook_id FROM hooks
                WHERE (lease_owner IS NULL OR lease_expires_at < \(now.milliseconds))
                    AND (next_attempt_at IS NULL OR next_attempt_at <= \(now.milliseconds))
                    AND event_cursor < (SELECT COALESCE(max(id), 0) FROM events)
                LIMIT \(limit) FOR UPDATE SKIP LOCKED)
            RETURNING hook_id, url, events::text AS events, secret, created_by, created_at, event_cursor, failures, next_attempt_at, last_error
            """
        ).map(Self.hook)
    }

    public func recordHookAttempt(_ hookID: UUID, owner: String, delivery: HookDelivery?, cursor: Int64, retryAt: Date?) async throws -> Bool {
        let failed = delivery.map { !$0.succeeded } ?? false
        return try await transaction { tx in
            let updated = try await tx.rows(
                """
                UPDATE hooks SET event_cursor = \(cursor), failures = CASE WHEN \(failed) THEN failures + 1 ELSE 0 END,
                    next_attempt_at = \(retryAt?.milliseconds), last_error = CASE WHEN \(failed) THEN \(delivery.flatMap(AutomationColumns.errorText)) ELSE last_error END
                WHERE hook_id = \(hookID) AND lease_owner = \(owner) RETURNING 1
                """)
            guard updated.count == 1 else { return false }
            if let delivery {
                try await tx.rows(
                    """
                    INSERT INTO hook_deliveries (hook_id, event_id, event, attempt, at, status, error, duration_ms)
                    VALUES (\(hookID), \(delivery.eventID), \(delivery.event), \(delivery.attempt), \(delivery.at.milliseconds), \(delivery.status),
                        \(delivery.error), \(delivery.durationMilliseconds))
                    """)
            }
            return true
        }
    }

    public func releaseHook(_ hookID: UUID, owner: String) async throws {
        _ = try await committed(
            "UPDATE hooks SET lease_owner = NULL, lease_expires_at = NULL WHERE hook_id = \(hookID) AND lease_owner = \(owner)")
    }

    public func hookDeliveries(of hookID: UUID?, limit: Int) async throws -> [HookDelivery] {
        try await rows(
            """
            SELECT * FROM hook_deliveries WHERE \(hookID)::uuid IS NULL OR hook_id = \(hookID) ORDER BY delivery_id DESC LIMIT \(limit)
            """
        ).map { row in
            HookDelivery(
                hookID: try row["hook_id"].decode(UUID.self), eventID: try row["event_id"].decode(Int64.self), event: try row.string("event"),
                attempt: try row["attempt"].decode(Int.self), at: try row.date("at"), status: try row["status"].decode(Int?.self),
                error: try row.optionalString("error"), durationMilliseconds: try row["duration_ms"].decode(Int.self))
        }
    }

    static func hook(_ row: PostgresRandomAccessRow) throws -> Hook {
        Hook(
            id: try row["hook_id"].decode(UUID.self), url: try row.string("url"), events: try AutomationColumns.events(try row.string("events")),
            secret: try row.string("secret"), createdBy: try row.string("created_by"), createdAt: try row.date("created_at"),
            cursor: try row["event_cursor"].decode(Int64.self), failures: try row["failures"].decode(Int.self),
            nextAttemptAt: try row.optionalDate("next_attempt_at"), lastError: try row.optionalString("last_error"))
    }
}
