import Foundation
import GRDB
import WorkflowEngine

extension SQLiteStore: SubscriptionStore {
    public func saveSubscription(_ write: SubscriptionWrite, user: String, now: Date) async throws {
        try await pool.write { db in
            let version = try Self.save(write, processID: nil, step: nil, user: user, now: now, db)
            try Self.insert(version.map { [$0] } ?? [], db)
        }
    }

    public func subscription(_ id: UUID) async throws -> SubscriptionModel? {
        try await pool.read { db in try Self.subscription(id.uuidString.lowercased(), db)?.model }
    }

    public func subscription(_ id: UUID, at time: Date) async throws -> SubscriptionModel? {
        try await pool.read { db in try Self.subscription(id.uuidString.lowercased(), at: time, db) }
    }

    public func subscriptionRecords(_ id: UUID, at time: Date?) async throws -> SubscriptionRecords? {
        try await pool.read { db in
            let key = id.uuidString.lowercased()
            guard let now = try Self.subscription(key, db) else { return nil }
            let model: SubscriptionModel
            if let time {
                guard let then = try Self.subscription(key, at: time, db) else { return nil }
                model = then
            } else {
                model = now.model
            }
            return SubscriptionRecords(model: model, lockedBy: now.lockedBy, usedBy: try Self.users(of: key, db))
        }
    }

    /// The model and its holder. A held subscription is never shown in sync: its holder may
    /// be changing it.
    private static func subscription(_ key: String, _ db: Database) throws -> (model: SubscriptionModel, lockedBy: ProcessID?)? {
        guard var model = try loadSubscription(key, db) else { return nil }
        let holder = try String.fetchOne(db.cachedStatement(sql: "SELECT locked_by FROM subscriptions WHERE subscription_id = ?"), arguments: [key])
        if holder != nil { model.insync = false }
        return (model, try holder.map(processID))
    }

    static func subscription(_ key: String, at time: Date, _ db: Database) throws -> SubscriptionModel? {
        try String.fetchOne(
            db.cachedStatement(
                sql: "SELECT model FROM subscription_versions WHERE subscription_id = ? AND created_at <= ? ORDER BY version DESC LIMIT 1"),
            arguments: [key, SQLiteTime.text(time)]
        ).map { try SubscriptionModel(json: try JSONValue.parse($0)) }
    }

    public func subscriptions(_ filter: SubscriptionFilter) async throws -> [SubscriptionSummary] {
        try await pool.read { db in
            var conditions: [String] = []
            var arguments: StatementArguments = []
            if let id = filter.id {
                conditions.append("s.subscription_id = ?")
                arguments += [id.uuidString.lowercased()]
            }
            if let product = filter.product {
                conditions.append("(p.name = ? OR p.product_type = ?)")
                arguments += [product, product]
            }
            if !filter.statuses.isEmpty {
                let statuses = filter.statuses.map(\.rawValue).sorted()
                conditions.append("s.status IN (\(Array(repeating: "?", count: statuses.count).joined(separator: ", ")))")
                arguments += StatementArguments(statuses)
            }
            if let (field, value) = filter.whereValue {
                conditions.append(
                    """
                    s.subscription_id IN (SELECT i.subscription_id FROM subscription_instances i
                        JOIN subscription_instance_values v ON v.subscription_instance_id = i.subscription_instance_id
                        JOIN resource_types r ON r.resource_type_id = v.resource_type_id
                        WHERE r.resource_type = ? AND v.value = ?)
                    """)
                arguments += [field, value]
            }
            if let (field, values) = filter.whereAnyValue {
                conditions.append(
                    """
                    s.subscription_id IN (SELECT i.subscription_id FROM subscription_instances i
                        JOIN subscription_instance_values v ON v.subscription_instance_id = i.subscription_instance_id
                        JOIN resource_types r ON r.resource_type_id = v.resource_type_id
                        WHERE r.resource_type = ? AND v.value IN (SELECT value FROM json_each(?)))
                    """)
                arguments += [field, JSONValue.array(values.map(JSONValue.string)).jsonText]
            }
            if let text = filter.text?.trimmingCharacters(in: .whitespaces), !text.isEmpty {
                conditions.append(
                    "(instr(lower(s.description), lower(?)) > 0 OR instr(lower(s.customer_id), lower(?)) > 0 OR s.subscription_id LIKE ?)")
                arguments += [text, text, text.lowercased() + "%"]
            }
            if let insync = filter.insync {
                conditions.append("s.insync = ?")
                arguments += [insync]
            }
            if let customer = filter.customer {
                conditions.append("s.customer_id = ?")
                arguments += [customer]
            }
            arguments += [filter.limit == SubscriptionFilter.all ? -1 : filter.limit, filter.offset]
            let whereClause = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
            return try Row.fetchAll(
                db.cachedStatement(sql: Self.selectSummary + whereClause + " ORDER BY \(filter.orderClause()) LIMIT ? OFFSET ?"), arguments: arguments
            )
            .map(Self.summary)
        }
    }

    public func subscriptionIDs(withPrefix prefix: String, limit: Int) async throws -> [UUID] {
        try await pool.read { db in
            try String.fetchAll(
                db.cachedStatement(sql: "SELECT subscription_id FROM subscriptions WHERE subscription_id LIKE ? ORDER BY subscription_id LIMIT ?"),
                arguments: [prefix.lowercased() + "%", limit]
            ).compactMap(UUID.init(uuidString:))
        }
    }

    public func changeStamp(of products: [String]?) async throws -> Int {
        // Kept per product by triggers on the subscriptions table (migration 0015).
        try await pool.read { db in
            guard let products else {
                return try Int.fetchOne(db.cachedStatement(sql: "SELECT coalesce(sum(n), 0) FROM subscription_changes")) ?? 0
            }
            let names = JSONValue.array(products.map(JSONValue.string)).jsonText
            return try Int.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT coalesce(sum(c.n), 0) FROM subscription_changes c JOIN products p ON p.product_id = c.product_id
                        WHERE p.name IN (SELECT value FROM json_each(?)) OR p.product_type IN (SELECT value FROM json_each(?))
                        """), arguments: [names, names]) ?? 0
        }
    }

    public func versions(of id: UUID) async throws -> [SubscriptionVersion] {
        try await pool.read { db in
            try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT version, process_id, step_name, created_by, created_at, model, diff FROM subscription_versions
                        WHERE subscription_id = ? ORDER BY version
                        """), arguments: [id.uuidString.lowercased()]
            ).map { row in
                let processID: String? = row["process_id"]
                let step: String? = row["step_name"]
                let diff = try JSONValue.parse(row["diff"] as String).decode([FieldChange].self)
                return SubscriptionVersion(
                    subscriptionID: id, version: row["version"], processID: processID.flatMap(ProcessID.init), step: step.map { StepKey($0) },
                    user: row["created_by"], time: row["created_at"], changes: diff,
                    model: try SubscriptionModel(json: try JSONValue.parse(row["model"] as String)))
            }
        }
    }

    public func events(of id: UUID) async throws -> [SubscriptionEvent] {
        try await pool.read { db in
            try Row.fetchAll(
                db.cachedStatement(
                    sql: "SELECT event, created_by, created_at, detail FROM subscription_events WHERE subscription_id = ? ORDER BY created_at, rowid"),
                arguments: [id.uuidString.lowercased()]
            ).map { SubscriptionEvent(subscriptionID: id, event: $0["event"], user: $0["created_by"], time: $0["created_at"], detail: $0["detail"]) }
        }
    }

    public func processes(of id: UUID) async throws -> [ProcessID] {
        try await pool.read { db in
            try String.fetchAll(
                db.cachedStatement(sql: "SELECT process_id FROM processes_subscriptions WHERE subscription_id = ? ORDER BY created_at, rowid"),
                arguments: [id.uuidString.lowercased()]
            ).compactMap(ProcessID.init)
        }
    }

    public func usedBy(_ id: UUID) async throws -> [SubscriptionSummary] {
        try await pool.read { db in try Self.users(of: id.uuidString.lowercased(), db) }
    }

    public func forceUnlock(_ id: UUID, user: String, reason: String, now: Date) async throws -> ProcessID? {
        try await pool.write { db -> ProcessID? in
            let key = id.uuidString.lowercased()
            guard
                let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT locked_by FROM subscriptions WHERE subscription_id = ?"), arguments: [key])
            else {
                throw WorkflowError(.subscriptionNotFound, "subscription \(id.uuidString.lowercased()) does not exist")
            }
            let holder: String? = row["locked_by"]
            try db.execute(sql: "UPDATE subscriptions SET locked_by = NULL WHERE subscription_id = ?", arguments: [key])
            try db.execute(
                sql: "INSERT INTO subscription_events (subscription_id, event, created_by, created_at, detail) VALUES (?, 'force_unlock', ?, ?, ?)",
                arguments: [key, user, SQLiteTime.text(now), "lock of process \(holder ?? "none") released: \(reason)"])
            let insync =
                try Bool.fetchOne(db.cachedStatement(sql: "SELECT insync FROM subscriptions WHERE subscription_id = ?"), arguments: [key]) ?? false
            try Self.insert([.subscriptionChange("force_unlock", of: id, insync: insync, user: user, at: now)], db)
            return holder.flatMap(ProcessID.init)
        }
    }

    public func setInSync(_ id: UUID, user: String, reason: String, now: Date) async throws {
        try await pool.write { db in
            let key = id.uuidString.lowercased()
            guard
                let row = try Row.fetchOne(
                    db.cachedStatement(sql: "SELECT locked_by, status FROM subscriptions WHERE subscription_id = ?"), arguments: [key])
            else {
                throw WorkflowError(.subscriptionNotFound, "subscription \(key) does not exist")
            }
            if let holder = row["locked_by"] as String? { throw try Self.locked(key, by: holder, db) }
            if (row["status"] as String) == Lifecycle.terminated.rawValue {
                throw WorkflowError(.invalidLifecycle, "subscription \(key) is terminated")
            }
            try db.execute(sql: "UPDATE subscriptions SET insync = 1 WHERE subscription_id = ?", arguments: [key])
            try db.execute(
                sql: "INSERT INTO subscription_events (subscription_id, event, created_by, created_at, detail) VALUES (?, ?, ?, ?, ?)",
                arguments: [key, SubscriptionEvent.setInSync, user, SQLiteTime.text(now), "set in sync: \(reason)"])
            try Self.insert([.subscriptionChange(SubscriptionEvent.setInSync, of: id, insync: true, user: user, at: now)], db)
        }
    }

    // MARK: - Inside transactions

    static let selectSummary = """
        SELECT s.subscription_id, p.name AS product_name, s.customer_id, s.description, s.status, s.insync, s.locked_by
        FROM subscriptions s JOIN products p ON p.product_id = s.product_id
        """

    /// A row of `selectSummary`, its columns by position: a listing of 10,000 reads 70,000
    /// values, and a lookup by name costs more than the value.
    static func summary(_ row: Row) throws -> SubscriptionSummary {
        let id: String = row[0]
        let status: String = row[4]
        let lockedBy: String? = row[6]
        guard let uuid = UUID(uuidString: id), let lifecycle = Lifecycle(rawValue: status) else {
            throw PersistenceError(.corruptRow, "subscription \(id) has a malformed id or status '\(status)'")
        }
        return SubscriptionSummary(
            subscriptionID: uuid, productName: row[1], customerID: row[2], description: row[3],
            // A held subscription is never shown in sync: its holder may be changing it.
            status: lifecycle, insync: (row[5] as Bool) && lockedBy == nil, lockedBy: lockedBy.flatMap(ProcessID.init))
    }

    /// The live subscriptions with a block that points into one of `subscription`'s blocks.
    static func users(of subscription: String, _ db: Database) throws -> [SubscriptionSummary] {
        try Row.fetchAll(
            db.cachedStatement(
                sql: selectSummary + """
                     WHERE s.status != 'terminated' AND s.subscription_id != ? AND s.subscription_id IN (
                        SELECT parent.subscription_id FROM subscription_instance_relations r
                        JOIN subscription_instances parent ON parent.subscription_instance_id = r.in_use_by_id
                        JOIN subscription_instances child ON child.subscription_instance_id = r.depends_on_id
                        WHERE child.subscription_id = ?)
                    ORDER BY s.description
                    """), arguments: [subscription, subscription]
        ).map(summary)
    }

    /// Takes the locks a new process asks for, or throws naming who holds (or uses) the subscription.
    static func takeLocks(_ locks: [SubscriptionLock], for processID: ProcessID, now: Date, _ db: Database) throws {
        for lock in locks {
            let key = lock.subscriptionID.uuidString.lowercased()
            guard
                let row = try Row.fetchOne(
                    db.cachedStatement(sql: "SELECT locked_by, status, insync FROM subscriptions WHERE subscription_id = ?"), arguments: [key])
            else {
                throw WorkflowError(.subscriptionNotFound, "subscription \(key) does not exist")
            }
            if let holder = row["locked_by"] as String? {
                throw try locked(key, by: holder, db)
            }
            let status: String = row["status"]
            if status == Lifecycle.terminated.rawValue {
                throw WorkflowError(.invalidLifecycle, "subscription \(key) is terminated")
            }
            if !lock.sync.allows(insync: row["insync"], status: Lifecycle(rawValue: status) ?? .active) {
                throw StoreShared.outOfSync(key, status: status)
            }
            if lock.refuseIfInUse {
                let users = try users(of: key, db)
                if !users.isEmpty {
                    throw StoreShared.inUse(key, by: users)
                }
            }
            try db.execute(
                sql: "UPDATE subscriptions SET locked_by = ?, insync = 0 WHERE subscription_id = ? AND locked_by IS NULL",
                arguments: [processID.description, key])
            try link(processID, key, now: now, db)
        }
    }

    /// The refusal naming `holder`, the process that holds subscription `key`.
    static func locked(_ key: String, by holder: String, _ db: Database) throws -> WorkflowError {
        let detail = try Row.fetchOne(
            db.cachedStatement(
                sql:
                    "SELECT w.name, p.created_by, p.last_status FROM processes p JOIN workflows w ON w.workflow_id = p.workflow_id WHERE p.process_id = ?"
            ),
            arguments: [holder])
        return StoreShared.locked(
            key, by: holder, holding: detail.map { (workflow: $0["name"], user: $0["created_by"], status: $0["last_status"]) })
    }

    /// Makes `processID` the holder of subscription `key` when nobody holds it (a create's
    /// first save), or throws naming the process that does. A process saves only what it holds.
    static func hold(_ key: String, for processID: ProcessID, _ db: Database) throws {
        let holder = try String.fetchOne(
            db.cachedStatement(sql: "UPDATE subscriptions SET locked_by = COALESCE(locked_by, ?) WHERE subscription_id = ? RETURNING locked_by"),
            arguments: [processID.description, key])
        if let holder, holder != processID.description {
            throw try locked(key, by: holder, db)
        }
    }

    /// Releases every lock `processID` holds; a completed process leaves its subscriptions in sync.
    static func releaseLocks(of processID: ProcessID, completed: Bool, _ db: Database) throws {
        try db.execute(
            sql: "UPDATE subscriptions SET locked_by = NULL, insync = CASE WHEN ? THEN 1 ELSE insync END WHERE locked_by = ?",
            arguments: [completed, processID.description])
    }

    static func link(_ processID: ProcessID, _ subscription: String, now: Date, _ db: Database) throws {
        try db.execute(
            sql: "INSERT OR IGNORE INTO processes_subscriptions (process_id, subscription_id, created_at) VALUES (?, ?, ?)",
            arguments: [processID.description, subscription, SQLiteTime.text(now)])
    }
}
