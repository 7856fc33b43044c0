import Foundation
import GRDB
import WorkflowEngine

/// One thing that happened, for `wf audit`: a step a process ran (with the subscription
/// versions it wrote), or an operator's action on a subscription.
public struct AuditEntry: Sendable, Hashable {
    public var time: Date
    public var user: String
    public var workflow: String?
    public var processID: ProcessID?
    public var action: String
    public var status: String
    /// `subscription_id#version` of each version written.
    public var versions: [String]
}

/// Which entries `wf audit` shows.
public struct AuditFilter: Sendable {
    public var user: String?
    public var since: Date?
    /// Entries before this time only.
    public var until: Date?
    public var workflow: String?
    /// The steps of the processes that acted on this subscription, its own events, and the
    /// refusals of requests naming it.
    public var subscriptionID: UUID?
    public var limit: Int

    public init(
        user: String? = nil, since: Date? = nil, until: Date? = nil, workflow: String? = nil, subscriptionID: UUID? = nil, limit: Int = 200
    ) {
        self.user = user
        self.since = since
        self.until = until
        self.workflow = workflow
        self.subscriptionID = subscriptionID
        self.limit = limit
    }
}

extension SQLiteStore {
    public func audit(_ filter: AuditFilter) async throws -> [AuditEntry] {
        try await pool.read { db in
            let since = filter.since.map { SQLiteTime.text($0) }
            let until = filter.until.map { SQLiteTime.text($0) }
            let subscription = filter.subscriptionID?.uuidString.lowercased()
            let rows = try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT * FROM (
                            SELECT st.completed_at AS time, st.created_by AS user, w.name AS workflow, st.process_id AS process_id,
                                st.name AS action, st.status AS status,
                                (SELECT group_concat(v.subscription_id || '#' || v.version, ',') FROM subscription_versions v
                                    WHERE v.process_id = st.process_id AND v.step_name = st.name) AS versions
                            FROM process_steps st JOIN processes p ON p.process_id = st.process_id
                            JOIN workflows w ON w.workflow_id = p.workflow_id
                            WHERE (? IS NULL OR st.created_by = ?) AND (? IS NULL OR st.completed_at >= ?) AND (? IS NULL OR w.name = ?)
                                AND (? IS NULL OR st.completed_at < ?)
                                AND (? IS NULL OR st.process_id IN (SELECT process_id FROM processes_subscriptions WHERE subscription_id = ?))
                            UNION ALL
                            SELECT e.created_at, e.created_by, NULL, NULL, e.event || ' ' || e.subscription_id, e.detail, NULL
                            FROM subscription_events e
                            WHERE (? IS NULL OR e.created_by = ?) AND (? IS NULL OR e.created_at >= ?) AND ? IS NULL
                                AND (? IS NULL OR e.created_at < ?) AND (? IS NULL OR e.subscription_id = ?)
                            UNION ALL
                            SELECT r.at, r.user_name, NULL, NULL, 'refused ' || r.method || ' ' || r.path, r.status || ' ' || r.reason, NULL
                            FROM access_refusals r
                            WHERE (? IS NULL OR r.user_name = ?) AND (? IS NULL OR r.at >= ?) AND ? IS NULL
                                AND (? IS NULL OR r.at < ?) AND (? IS NULL OR instr(r.path, ?) > 0)
                        ) ORDER BY time LIMIT ?
                        """),
                arguments: [
                    filter.user, filter.user, since, since, filter.workflow, filter.workflow, until, until, subscription, subscription,
                    filter.user, filter.user, since, since, filter.workflow, until, until, subscription, subscription,
                    filter.user, filter.user, since, since, filter.workflow, until, until, subscription, subscription, filter.limit,
                ])
            return rows.map { row in
                let process: String? = row["process_id"]
                let versions: String? = row["versions"]
                return AuditEntry(
                    time: row["time"], user: row["user"], workflow: row["workflow"], processID: process.flatMap(ProcessID.init),
                    action: row["action"], status: row["status"], versions: versions?.split(separator: ",").map(String.init) ?? [])
            }
        }
    }
}
