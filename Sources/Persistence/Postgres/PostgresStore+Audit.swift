import Foundation
import PostgresNIO
import WorkflowEngine

extension PostgresStore {
    public func audit(_ filter: AuditFilter) async throws -> [AuditEntry] {
        let since = filter.since?.milliseconds
        let until = filter.until?.milliseconds
        let subscription = filter.subscriptionID
        // Each `IS NULL` test is cast: a bound NULL has no type of its own to infer.
        return try await rows(
            """
            SELECT * FROM (
                SELECT st.completed_at AS time, st.created_by AS user, w.name AS workflow, st.process_id AS process_id,
                    st.name AS action, st.status AS status,
                    (SELECT string_agg(v.subscription_id::text || '#' || v.version, ',' ORDER BY v.created_at, v.subscription_id, v.version)
                        FROM subscription_versions v
                        WHERE v.process_id = st.process_id AND v.step_name = st.name) AS versions
                FROM process_steps st JOIN processes p ON p.process_id = st.process_id
                JOIN workflows w ON w.workflow_id = p.workflow_id
                WHERE (\(filter.user)::text IS NULL OR st.created_by = \(filter.user))
                    AND (\(since)::timestamptz IS NULL OR st.completed_at >= \(since))
                    AND (\(filter.workflow)::text IS NULL OR w.name = \(filter.workflow))
                    AND (\(until)::timestamptz IS NULL OR st.completed_at < \(until))
                    AND (\(subscription)::uuid IS NULL
                        OR st.process_id IN (SELECT process_id FROM processes_subscriptions WHERE subscription_id = \(subscription)))
                UNION ALL
                SELECT e.created_at, e.created_by, NULL, NULL, e.event || ' ' || e.subscription_id::text, e.detail, NULL
                FROM subscription_events e
                WHERE (\(filter.user)::text IS NULL OR e.created_by = \(filter.user))
                    AND (\(since)::timestamptz IS NULL OR e.created_at >= \(since)) AND \(filter.workflow)::text IS NULL
                    AND (\(until)::timestamptz IS NULL OR e.created_at < \(until))
                    AND (\(subscription)::uuid IS NULL OR e.subscription_id = \(subscription))
                UNION ALL
                SELECT r.at, r.user_name, NULL, NULL, 'refused ' || r.method || ' ' || r.path, r.status::text || ' ' || r.reason, NULL
                FROM access_refusals r
                WHERE (\(filter.user)::text IS NULL OR r.user_name = \(filter.user))
                    AND (\(since)::timestamptz IS NULL OR r.at >= \(since)) AND \(filter.workflow)::text IS NULL
                    AND (\(until)::timestamptz IS NULL OR r.at < \(until))
                    AND (\(subscription)::uuid IS NULL OR strpos(r.path, \(subscription?.uuidString.lowercased())) > 0)
            ) AS entries ORDER BY time LIMIT \(filter.limit)
            """
        ).map { row in
            AuditEntry(
                time: try row.date("time"), user: try row.string("user"), workflow: try row.optionalString("workflow"),
                processID: try row["process_id"].decode(UUID?.self).map(ProcessID.init), action: try row.string("action"),
                status: try row.string("status"), versions: try row.optionalString("versions")?.split(separator: ",").map(String.init) ?? [])
        }
    }
}
