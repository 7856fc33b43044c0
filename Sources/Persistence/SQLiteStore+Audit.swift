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
        // Each part's WHERE names only the filters given: SQLite plans a statement once, and a
        // `(? IS NULL OR column = ?)` would keep it from the indexes on user and time.
        let since = filter.since.map { SQLiteTime.text($0) }
        let until = filter.until.map { SQLiteTime.text($0) }
        let subscription = filter.subscriptionID?.uuidString.lowercased()
        var arguments: StatementArguments = []
        func part(user: String, time: String, extra: [(String, (any DatabaseValueConvertible)?)]) -> String {
            var conditions: [String] = []
            let given: [(String, (any DatabaseValueConvertible)?)] =
                [("\(user) = ?", filter.user), ("\(time) >= ?", since), ("\(time) < ?", until)] + extra
            for (condition, value) in given {
                guard let value else { continue }
                conditions.append(condition)
                arguments += [value]
            }
            return conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        }
        // Events and refusals belong to no workflow: a workflow filter leaves them out.
        let onlySteps = filter.workflow != nil
        let steps = part(
            user: "st.created_by", time: "st.completed_at",
            extra: [
                ("w.name = ?", filter.workflow),
                ("st.process_id IN (SELECT process_id FROM processes_subscriptions WHERE subscription_id = ?)", subscription),
            ])
        let events = onlySteps ? "" : part(user: "e.created_by", time: "e.created_at", extra: [("e.subscription_id = ?", subscription)])
        let refusals = onlySteps ? "" : part(user: "r.user_name", time: "r.at", extra: [("instr(r.path, ?) > 0", subscription)])
        arguments += [filter.limit]
        let sql = """
            SELECT * FROM (
                SELECT st.completed_at AS time, st.created_by AS user, w.name AS workflow, st.process_id AS process_id,
                    st.name AS action, st.status AS status,
                    (SELECT group_concat(v.subscription_id || '#' || v.version, ',') FROM subscription_versions v
                        WHERE v.process_id = st.process_id AND v.step_name = st.name) AS versions
                FROM process_steps st JOIN processes p ON p.process_id = st.process_id
                JOIN workflows w ON w.workflow_id = p.workflow_id
                \(steps)
            \(onlySteps ? "" : """
                UNION ALL
                SELECT e.created_at, e.created_by, NULL, NULL, e.event || ' ' || e.subscription_id, e.detail, NULL
                FROM subscription_events e \(events)
                UNION ALL
                SELECT r.at, r.user_name, NULL, NULL, 'refused ' || r.method || ' ' || r.path, r.status || ' ' || r.reason, NULL
                FROM access_refusals r \(refusals)
                """)
            ) ORDER BY time LIMIT ?
            """
        let bound = arguments
        return try await pool.read { db in
            try Row.fetchAll(db.cachedStatement(sql: sql), arguments: bound).map { row in
                let process: String? = row["process_id"]
                let versions: String? = row["versions"]
                return AuditEntry(
                    time: row["time"], user: row["user"], workflow: row["workflow"], processID: process.flatMap(ProcessID.init),
                    action: row["action"], status: row["status"], versions: versions?.split(separator: ",").map(String.init) ?? [])
            }
        }
    }
}
