import Foundation
import GRDB
import WorkflowEngine

/// Reads of many subscriptions at once (the network map, a form's node list): one read
/// transaction and one statement per subscription, instead of one transaction and four
/// statements each.
extension SQLiteStore {
    public func newestVersions(_ ids: [UUID], at time: Date?) async throws -> [SubscriptionModel] {
        try await pool.read { db in
            try ids.compactMap { id -> SubscriptionModel? in
                let key = id.uuidString.lowercased()
                if let time { return try Self.subscription(key, at: time, db) }
                guard
                    let row = try Row.fetchOne(
                        db.cachedStatement(
                            sql: """
                                SELECT s.status, s.insync, s.locked_by, s.description, s.customer_id, s.start_date, s.end_date, s.note,
                                    (SELECT v.model FROM subscription_versions v WHERE v.subscription_id = s.subscription_id
                                        ORDER BY v.version DESC LIMIT 1) AS model
                                FROM subscriptions s WHERE s.subscription_id = ?
                                """), arguments: [key])
                else { return nil }
                guard let json: String = row["model"] else { return try Self.loadSubscription(key, db) }
                var model = try SubscriptionModel(json: try JSONValue.parse(json))
                guard let status = Lifecycle(rawValue: row["status"]) else {
                    throw PersistenceError(.corruptRow, "subscription \(key) has an unknown status '\(row["status"] as String)'")
                }
                model.status = status
                model.insync = row["insync"] && (row["locked_by"] as String?) == nil
                model.description = row["description"]
                model.customerID = row["customer_id"]
                model.startDate = row["start_date"]
                model.endDate = row["end_date"]
                model.note = row["note"]
                return model
            }
        }
    }

    public func blockValues(_ field: String, of ids: [UUID]) async throws -> [UUID: [String]] {
        try await pool.read { db in
            var values: [UUID: [String]] = [:]
            let rows = try Row.fetchCursor(
                db.cachedStatement(
                    sql: """
                        SELECT i.subscription_id, v.value FROM subscription_instances i
                        JOIN subscription_instance_values v ON v.subscription_instance_id = i.subscription_instance_id
                        WHERE v.resource_type_id = (SELECT resource_type_id FROM resource_types WHERE resource_type = ?)
                            AND i.subscription_id IN (SELECT value FROM json_each(?))
                        """),
                arguments: [field, JSONValue.array(ids.map { .string($0.uuidString.lowercased()) }).jsonText])
            while let row = try rows.next() {
                guard let id = UUID(uuidString: row["subscription_id"]) else { continue }
                values[id, default: []].append(row["value"])
            }
            return values.mapValues { $0.sorted() }
        }
    }

    public func owners(ofBlocks instanceIDs: [UUID]) async throws -> [UUID: UUID] {
        guard !instanceIDs.isEmpty else { return [:] }
        return try await pool.read { db in
            var owners: [UUID: UUID] = [:]
            let rows = try Row.fetchCursor(
                db.cachedStatement(
                    sql: """
                        SELECT subscription_instance_id, subscription_id FROM subscription_instances
                        WHERE subscription_instance_id IN (SELECT value FROM json_each(?))
                        """),
                arguments: [JSONValue.array(instanceIDs.map { .string($0.uuidString.lowercased()) }).jsonText])
            while let row = try rows.next() {
                guard let block = UUID(uuidString: row[0]), let owner = UUID(uuidString: row[1]) else { continue }
                owners[block] = owner
            }
            return owners
        }
    }
}
