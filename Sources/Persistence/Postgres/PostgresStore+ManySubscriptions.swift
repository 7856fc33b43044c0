import Foundation
import PostgresNIO
import WorkflowEngine

/// Reads of many subscriptions at once (the network map, a form's node list): one statement
/// for all of them, instead of a transaction and four statements each.
extension PostgresStore {
    public func newestVersions(_ ids: [UUID], at time: Date?) async throws -> [SubscriptionModel] {
        guard !ids.isEmpty else { return [] }
        var found: [UUID: SubscriptionModel] = [:]
        if let time {
            for row in try await rows(
                """
                SELECT DISTINCT ON (subscription_id) subscription_id, model::text AS model FROM subscription_versions
                WHERE subscription_id = ANY(\(ids)) AND created_at <= \(time.milliseconds) ORDER BY subscription_id, version DESC
                """)
            {
                found[try row["subscription_id"].decode(UUID.self)] = try SubscriptionModel(json: try JSONValue.parse(try row.string("model")))
            }
        } else {
            for row in try await rows(
                """
                SELECT s.subscription_id, s.status, s.insync, s.locked_by, s.description, s.customer_id, s.start_date, s.end_date, s.note,
                    (SELECT v.model::text FROM subscription_versions v WHERE v.subscription_id = s.subscription_id
                        ORDER BY v.version DESC LIMIT 1) AS model
                FROM subscriptions s WHERE s.subscription_id = ANY(\(ids))
                """)
            {
                let id = try row["subscription_id"].decode(UUID.self)
                guard let json = try row.optionalString("model") else {
                    found[id] = try await subscription(id)
                    continue
                }
                var model = try SubscriptionModel(json: try JSONValue.parse(json))
                let status = try row.string("status")
                guard let lifecycle = Lifecycle(rawValue: status) else {
                    throw PersistenceError(.corruptRow, "subscription \(id.lowercased) has an unknown status '\(status)'")
                }
                model.status = lifecycle
                model.insync = try row["insync"].decode(Bool.self) && row["locked_by"].decode(UUID?.self) == nil
                model.description = try row.string("description")
                model.customerID = try row.string("customer_id")
                model.startDate = try row.optionalDate("start_date")
                model.endDate = try row.optionalDate("end_date")
                model.note = try row.optionalString("note")
                found[id] = model
            }
        }
        return ids.compactMap { found[$0] }
    }

    public func blockValues(_ field: String, of ids: [UUID]) async throws -> [UUID: [String]] {
        guard !ids.isEmpty else { return [:] }
        var values: [UUID: [String]] = [:]
        for row in try await rows(
            """
            SELECT i.subscription_id, v.value FROM subscription_instances i
            JOIN subscription_instance_values v ON v.subscription_instance_id = i.subscription_instance_id
            WHERE v.resource_type_id = (SELECT resource_type_id FROM resource_types WHERE resource_type = \(field))
                AND i.subscription_id = ANY(\(ids))
            """)
        {
            values[try row["subscription_id"].decode(UUID.self), default: []].append(try row.string("value"))
        }
        return values.mapValues { $0.sorted() }
    }

    public func owners(ofBlocks instanceIDs: [UUID]) async throws -> [UUID: UUID] {
        guard !instanceIDs.isEmpty else { return [:] }
        var owners: [UUID: UUID] = [:]
        for row in try await rows(
            "SELECT subscription_instance_id, subscription_id FROM subscription_instances WHERE subscription_instance_id = ANY(\(instanceIDs))")
        {
            owners[try row["subscription_instance_id"].decode(UUID.self)] = try row["subscription_id"].decode(UUID.self)
        }
        return owners
    }
}
