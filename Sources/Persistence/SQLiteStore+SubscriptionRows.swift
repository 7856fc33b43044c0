import Foundation
import GRDB
import WorkflowEngine

/// Writing a subscription model into instances, values and relations, and reading it back.
extension SQLiteStore {
    /// Saves `write` in the current transaction: the subscription row, its block instances,
    /// their values and relations, and a new version when anything changed. Returns the
    /// event of that version, for the caller to write with the transaction's others.
    @discardableResult
    static func save(_ write: SubscriptionWrite, processID: ProcessID?, step: StepKey?, user: String, now: Date, _ db: Database) throws
        -> EventDraft?
    {
        let model = write.model
        let product = write.product
        let key = model.subscriptionID.uuidString.lowercased()
        guard
            let productID = try String.fetchOne(db.cachedStatement(sql: "SELECT product_id FROM products WHERE name = ?"), arguments: [product.name])
        else {
            throw SubscriptionRowPlan.unknownProduct(product)
        }
        try db.cachedStatement(
            sql: """
                INSERT INTO subscriptions (subscription_id, description, status, product_id, customer_id, insync, start_date, end_date, note)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (subscription_id) DO UPDATE SET description = excluded.description, status = excluded.status,
                    customer_id = excluded.customer_id, insync = excluded.insync, start_date = excluded.start_date,
                    end_date = excluded.end_date, note = excluded.note
                """
        ).execute(arguments: [
            key, model.description, model.status.rawValue, productID, model.customerID, model.insync, SQLiteTime.text(model.startDate),
            SQLiteTime.text(model.endDate), model.note,
        ])
        if let processID { try hold(key, for: processID, db) }
        try checkUnique(write, db)
        let existing = Set(
            try String.fetchAll(
                db.cachedStatement(sql: "SELECT subscription_instance_id FROM subscription_instances WHERE subscription_id = ?"), arguments: [key]))
        try db.cachedStatement(
            sql: """
                DELETE FROM subscription_instance_values WHERE subscription_instance_id IN
                    (SELECT subscription_instance_id FROM subscription_instances WHERE subscription_id = ?)
                """
        ).execute(arguments: [key])
        try db.cachedStatement(
            sql: """
                DELETE FROM subscription_instance_relations WHERE in_use_by_id IN
                    (SELECT subscription_instance_id FROM subscription_instances WHERE subscription_id = ?)
                """
        ).execute(arguments: [key])
        let plan = try SubscriptionRowPlan(
            write, owners: try owners(of: BlockSchema.instanceIDs(in: model.root), db),
            blockIDs: try blockIDs(product.root.allSchemas.map(\.name), db), instanceIDsAreUUIDs: false)
        try insert(plan, db)
        for gone in plan.gone(from: existing) {
            let users = try String.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT DISTINCT parent.subscription_id FROM subscription_instance_relations r
                        JOIN subscription_instances parent ON parent.subscription_instance_id = r.in_use_by_id WHERE r.depends_on_id = ?
                        """), arguments: [gone])
            guard users.isEmpty else { throw SubscriptionRowPlan.blockInUse(gone, of: key, by: users.joined(separator: ", ")) }
            try db.cachedStatement(sql: "DELETE FROM subscription_instances WHERE subscription_instance_id = ?").execute(arguments: [gone])
        }
        // The version: the model as now stored (read back, so it is exactly what a load gives).
        guard let stored = try loadSubscription(key, db) else { return nil }
        let previous = try String.fetchOne(
            db.cachedStatement(sql: "SELECT model FROM subscription_versions WHERE subscription_id = ? ORDER BY version DESC LIMIT 1"),
            arguments: [key]
        ).map { try JSONValue.parse($0) }
        var event: EventDraft?
        if let changes = SubscriptionRowPlan.versionChanges(previous: previous, stored: stored.json) {
            let version =
                try Int.fetchOne(
                    db.cachedStatement(sql: "SELECT COALESCE(MAX(version), 0) + 1 FROM subscription_versions WHERE subscription_id = ?"),
                    arguments: [key]) ?? 1
            let held =
                try processID != nil
                || String.fetchOne(db.cachedStatement(sql: "SELECT locked_by FROM subscriptions WHERE subscription_id = ?"), arguments: [key]) != nil
            event = .version(version, of: stored, held: held, processID: processID, step: step, user: user, at: now)
            try db.cachedStatement(
                sql: """
                    INSERT INTO subscription_versions (subscription_id, version, process_id, step_name, created_by, created_at, model, diff)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """
            ).execute(arguments: [
                key, version, processID?.description, step?.rawValue, user, SQLiteTime.text(now), stored.json.jsonText,
                try JSONValue(encoding: changes).jsonText,
            ])
        }
        if let processID { try link(processID, key, now: now, db) }
        return event
    }

    /// Refuses a save that would give a live subscription a unique root value (a Node's
    /// `node_id`) another live subscription of the same product type holds. Checked inside
    /// the write transaction, so two racing enrolments of one device cannot both succeed.
    private static func checkUnique(_ write: SubscriptionWrite, _ db: Database) throws {
        for unique in SubscriptionRowPlan.uniqueKeys(of: write) {
            let holder = try Row.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT s.subscription_id, s.description FROM subscriptions s
                        JOIN products p ON p.product_id = s.product_id
                        JOIN subscription_instances i ON i.subscription_id = s.subscription_id AND i.label IS NOT NULL
                        JOIN subscription_instance_values v ON v.subscription_instance_id = i.subscription_instance_id
                        JOIN resource_types r ON r.resource_type_id = v.resource_type_id
                        WHERE p.product_type = ? AND s.status != 'terminated' AND s.subscription_id != ? AND r.resource_type = ? AND v.value = ?
                        LIMIT 1
                        """),
                arguments: [write.product.type, write.model.subscriptionID.uuidString.lowercased(), unique.field, unique.text])
            if let holder {
                throw SubscriptionRowPlan.taken(unique, of: write.product, holder: holder["subscription_id"], description: holder["description"])
            }
        }
    }

    /// Which subscription owns each of `ids` (a block owned by another is pointed at, never rewritten).
    private static func owners(of ids: [String], _ db: Database) throws -> [String: String] {
        guard !ids.isEmpty else { return [:] }
        var owners: [String: String] = [:]
        for row in try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT subscription_instance_id, subscription_id FROM subscription_instances
                    WHERE subscription_instance_id IN (SELECT value FROM json_each(?))
                    """), arguments: [JSONValue.array(ids.map(JSONValue.string)).jsonText])
        {
            owners[row["subscription_instance_id"]] = row["subscription_id"]
        }
        return owners
    }

    /// The catalog's id of each block in `names`.
    private static func blockIDs(_ names: [String], _ db: Database) throws -> [String: String] {
        var ids: [String: String] = [:]
        for row in try Row.fetchAll(
            db.cachedStatement(sql: "SELECT name, product_block_id FROM product_blocks WHERE name IN (SELECT value FROM json_each(?))"),
            arguments: [JSONValue.array(names.map(JSONValue.string)).jsonText])
        {
            ids[row["name"]] = row["product_block_id"]
        }
        return ids
    }

    /// Writes the planned rows a row at a time (SQLite has no round trips to save).
    private static func insert(_ plan: SubscriptionRowPlan, _ db: Database) throws {
        for instance in plan.instances {
            try db.cachedStatement(
                sql: """
                    INSERT INTO subscription_instances (subscription_instance_id, subscription_id, product_block_id, label) VALUES (?, ?, ?, ?)
                    ON CONFLICT (subscription_instance_id) DO UPDATE SET product_block_id = excluded.product_block_id, label = excluded.label
                    """
            ).execute(arguments: [instance.id, plan.subscription, instance.blockID, instance.label])
        }
        var resourceTypes: [String: String] = [:]
        for field in plan.fields { resourceTypes[field] = try resourceTypeID(field, db) }
        let insertValue = try db.cachedStatement(
            sql: """
                INSERT INTO subscription_instance_values (subscription_instance_value_id, subscription_instance_id, resource_type_id, value,
                    value_type, list_index) VALUES (?, ?, ?, ?, ?, ?)
                """)
        for value in plan.values {
            try insertValue.execute(arguments: [
                UUID().uuidString.lowercased(), value.instance, resourceTypes[value.field], value.text, value.type, value.index,
            ])
        }
        for relation in plan.relations {
            try db.cachedStatement(
                sql: "INSERT INTO subscription_instance_relations (in_use_by_id, depends_on_id, order_id, domain_model_attr) VALUES (?, ?, ?, ?)"
            ).execute(arguments: [relation.parent, relation.child, relation.order, relation.attribute])
        }
    }

    /// Reads a subscription back from its rows: values with their types and list order,
    /// nulls as nulls, nested blocks and blocks of other subscriptions it points at.
    static func loadSubscription(_ key: String, _ db: Database) throws -> SubscriptionModel? {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT s.subscription_id, p.name AS product_name, s.customer_id, s.description, s.status, s.insync, s.start_date,
                            s.end_date, s.note FROM subscriptions s JOIN products p ON p.product_id = s.product_id WHERE s.subscription_id = ?
                        """), arguments: [key])
        else { return nil }
        let stored = StoredSubscription(
            key: key, productName: row["product_name"], customerID: row["customer_id"], description: row["description"], status: row["status"],
            insync: row["insync"], startDate: row["start_date"], endDate: row["end_date"], note: row["note"],
            root: try String.fetchOne(
                db.cachedStatement(
                    sql: "SELECT subscription_instance_id FROM subscription_instances WHERE subscription_id = ? AND label IS NOT NULL"),
                arguments: [key]))
        let tree = try blockTree(try stored.rootInstance(), db)
        return try stored.model { try tree.block($0) }
    }

    /// The blocks reachable from `root`, read in two statements: the relations of the whole
    /// tree by a recursive query, then the values of its blocks.
    private static func blockTree(_ root: String, _ db: Database) throws -> BlockTree {
        let relationsQuery = StoredSubscription.relationsQuery(root: "?")
        let relations = try Row.fetchAll(db.cachedStatement(sql: relationsQuery), arguments: [root]).map { row in
            SubscriptionRowPlan.Relation(
                parent: row["in_use_by_id"], child: row["depends_on_id"], attribute: row["domain_model_attr"], order: row["order_id"])
        }
        let values = try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT v.subscription_instance_id, r.resource_type, v.value, v.value_type, v.list_index FROM subscription_instance_values v
                    JOIN resource_types r ON r.resource_type_id = v.resource_type_id
                    WHERE v.subscription_instance_id IN (SELECT value FROM json_each(?))
                    """), arguments: [JSONValue.array(([root] + relations.map(\.child)).map(JSONValue.string)).jsonText]
        ).map { row in
            SubscriptionRowPlan.Value(
                instance: row["subscription_instance_id"], field: row["resource_type"], text: row["value"], type: row["value_type"],
                index: row["list_index"])
        }
        return BlockTree(values: values, relations: relations)
    }
}
