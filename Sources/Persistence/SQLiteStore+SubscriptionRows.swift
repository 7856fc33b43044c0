import Foundation
import GRDB
import WorkflowEngine

/// Writing a subscription model into instances, values and relations, and reading it back.
extension SQLiteStore {
    /// Saves `write` in the current transaction: the subscription row, its block instances,
    /// their values and relations, and a new version when anything changed.
    static func save(_ write: SubscriptionWrite, processID: ProcessID?, step: StepKey?, user: String, now: Date, _ db: Database) throws {
        let model = write.model
        let product = write.product
        let key = model.subscriptionID.uuidString.lowercased()
        guard let productID = try String.fetchOne(db, sql: "SELECT product_id FROM products WHERE name = ?", arguments: [product.name]) else {
            throw PersistenceError(.unknownWorkflow, "product '\(product.name)' is not in the catalog; run `wf db migrate`")
        }
        try db.execute(
            sql: """
                INSERT INTO subscriptions (subscription_id, description, status, product_id, customer_id, insync, start_date, end_date, note)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (subscription_id) DO UPDATE SET description = excluded.description, status = excluded.status,
                    customer_id = excluded.customer_id, insync = excluded.insync, start_date = excluded.start_date,
                    end_date = excluded.end_date, note = excluded.note
                """,
            arguments: [
                key, model.description, model.status.rawValue, productID, model.customerID, model.insync, SQLiteTime.text(model.startDate),
                SQLiteTime.text(model.endDate), model.note,
            ])
        if let processID { try hold(key, for: processID, db) }
        if model.status != .terminated { try checkUnique(model, product: product, db) }
        let existing = Set(
            try String.fetchAll(db, sql: "SELECT subscription_instance_id FROM subscription_instances WHERE subscription_id = ?", arguments: [key]))
        try db.execute(
            sql: """
                DELETE FROM subscription_instance_values WHERE subscription_instance_id IN
                    (SELECT subscription_instance_id FROM subscription_instances WHERE subscription_id = ?)
                """, arguments: [key])
        try db.execute(
            sql: """
                DELETE FROM subscription_instance_relations WHERE in_use_by_id IN
                    (SELECT subscription_instance_id FROM subscription_instances WHERE subscription_id = ?)
                """, arguments: [key])
        var writer = InstanceWriter(subscription: key, db: db)
        _ = try writer.write(model.root, schema: product.root, label: product.rootAttribute)
        for gone in existing.subtracting(writer.owned).sorted() {
            let users = try String.fetchAll(
                db,
                sql: """
                    SELECT DISTINCT parent.subscription_id FROM subscription_instance_relations r
                    JOIN subscription_instances parent ON parent.subscription_instance_id = r.in_use_by_id WHERE r.depends_on_id = ?
                    """, arguments: [gone])
            guard users.isEmpty else {
                throw WorkflowError(
                    .subscriptionInUse, "block \(gone) of subscription \(key) is in use by \(users.joined(separator: ", ")) and cannot be removed")
            }
            try db.execute(sql: "DELETE FROM subscription_instances WHERE subscription_instance_id = ?", arguments: [gone])
        }
        // The version: the model as now stored (read back, so it is exactly what a load gives).
        guard let stored = try loadSubscription(key, db) else { return }
        let previous = try String.fetchOne(
            db, sql: "SELECT model FROM subscription_versions WHERE subscription_id = ? ORDER BY version DESC LIMIT 1", arguments: [key]
        ).map { try JSONValue.parse($0) }
        let changes = FieldChange.diff(previous, stored.json)
        if previous == nil || !changes.isEmpty {
            let version =
                try Int.fetchOne(
                    db, sql: "SELECT COALESCE(MAX(version), 0) + 1 FROM subscription_versions WHERE subscription_id = ?", arguments: [key]) ?? 1
            try db.execute(
                sql: """
                    INSERT INTO subscription_versions (subscription_id, version, process_id, step_name, created_by, created_at, model, diff)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    key, version, processID?.description, step?.rawValue, user, SQLiteTime.text(now), stored.json.jsonText,
                    try JSONValue(encoding: changes).jsonText,
                ])
        }
        if let processID { try link(processID, key, now: now, db) }
    }

    /// Refuses a save that would give a live subscription a unique root value (a Node's
    /// `node_id`) another live subscription of the same product type holds. Checked inside
    /// the write transaction, so two racing enrolments of one device cannot both succeed.
    private static func checkUnique(_ model: SubscriptionModel, product: ProductDefinition, _ db: Database) throws {
        for field in product.uniqueFields {
            guard let value = model.root.objectValue?[field], value != .null else { continue }
            let text = value.stringValue ?? value.jsonText
            let holder = try Row.fetchOne(
                db,
                sql: """
                    SELECT s.subscription_id, s.description FROM subscriptions s
                    JOIN products p ON p.product_id = s.product_id
                    JOIN subscription_instances i ON i.subscription_id = s.subscription_id AND i.label IS NOT NULL
                    JOIN subscription_instance_values v ON v.subscription_instance_id = i.subscription_instance_id
                    JOIN resource_types r ON r.resource_type_id = v.resource_type_id
                    WHERE p.product_type = ? AND s.status != 'terminated' AND s.subscription_id != ? AND r.resource_type = ? AND v.value = ?
                    LIMIT 1
                    """, arguments: [product.type, model.subscriptionID.uuidString.lowercased(), field, text])
            if let holder {
                throw WorkflowError(
                    .resourceTaken,
                    "\(product.rootAttribute).\(field) = \(text) is already held by subscription \(holder["subscription_id"] as String) "
                        + "(\(holder["description"] as String))")
            }
        }
    }

    /// Walks a model's block tree and writes each block this subscription owns.
    private struct InstanceWriter {
        let subscription: String
        let db: Database
        var owned: Set<String> = []

        /// Writes `block` and returns its instance id. A block owned by another subscription
        /// is only pointed at, never rewritten.
        mutating func write(_ block: JSONValue, schema: BlockSchema, label: String?) throws -> String {
            guard case .object(let object) = block else {
                throw WorkflowError(.invalidModel, "a \(schema.name) must be a JSON object, got \(block.typeName)")
            }
            let id = object[BlockSchema.instanceIDKey]?.stringValue?.lowercased() ?? UUID().uuidString.lowercased()
            if let owner = try String.fetchOne(
                db, sql: "SELECT subscription_id FROM subscription_instances WHERE subscription_instance_id = ?", arguments: [id]),
                owner != subscription
            {
                return id
            }
            guard
                let blockID = try String.fetchOne(db, sql: "SELECT product_block_id FROM product_blocks WHERE name = ?", arguments: [schema.name])
            else {
                throw PersistenceError(.unknownWorkflow, "product block '\(schema.name)' is not in the catalog; run `wf db migrate`")
            }
            try db.execute(
                sql: """
                    INSERT INTO subscription_instances (subscription_instance_id, subscription_id, product_block_id, label) VALUES (?, ?, ?, ?)
                    ON CONFLICT (subscription_instance_id) DO UPDATE SET product_block_id = excluded.product_block_id, label = excluded.label
                    """, arguments: [id, subscription, blockID, label])
            owned.insert(id)
            let known = Set(schema.fields.map(\.name)).union([BlockSchema.instanceIDKey])
            if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
                throw WorkflowError(.invalidModel, "\(schema.name) has no field '\(unknown)'")
            }
            for field in schema.fields {
                guard let value = object[field.name] else { continue }
                switch (field.kind, value) {
                case (_, .null):
                    try insertValue(id, field.name, .null, index: nil)
                case (.value, _):
                    try insertValue(id, field.name, value, index: nil)
                case (.values, .array(let items)):
                    if items.isEmpty { try insertEmptyList(id, field.name) }
                    for (index, item) in items.enumerated() { try insertValue(id, field.name, item, index: index) }
                case (.values, _):
                    throw WorkflowError(.invalidModel, "\(schema.name).\(field.name) must be a list, got \(value.typeName)")
                case (.block(let child), _):
                    let childID = try write(value, schema: child, label: nil)
                    try relate(id, childID, field.name, order: nil)
                case (.blocks(let child, _), .array(let items)):
                    if items.isEmpty { try insertEmptyList(id, field.name) }
                    for (index, item) in items.enumerated() {
                        let childID = try write(item, schema: child, label: nil)
                        try relate(id, childID, field.name, order: index)
                    }
                case (.blocks, _):
                    throw WorkflowError(.invalidModel, "\(schema.name).\(field.name) must be a list of blocks, got \(value.typeName)")
                }
            }
            return id
        }

        private func insertValue(_ instance: String, _ field: String, _ value: JSONValue, index: Int?) throws {
            let (text, type) = StoreShared.encode(value)
            try db.cachedStatement(
                sql: """
                    INSERT INTO subscription_instance_values (subscription_instance_value_id, subscription_instance_id, resource_type_id, value,
                        value_type, list_index) VALUES (?, ?, ?, ?, ?, ?)
                    """
            ).execute(arguments: [UUID().uuidString.lowercased(), instance, try SQLiteStore.resourceTypeID(field, db), text, type, index])
        }

        private func insertEmptyList(_ instance: String, _ field: String) throws {
            try db.execute(
                sql: """
                    INSERT INTO subscription_instance_values (subscription_instance_value_id, subscription_instance_id, resource_type_id, value,
                        value_type, list_index) VALUES (?, ?, ?, NULL, 'empty_list', -1)
                    """, arguments: [UUID().uuidString.lowercased(), instance, try SQLiteStore.resourceTypeID(field, db)])
        }

        private func relate(_ parent: String, _ child: String, _ attribute: String, order: Int?) throws {
            try db.execute(
                sql: "INSERT INTO subscription_instance_relations (in_use_by_id, depends_on_id, order_id, domain_model_attr) VALUES (?, ?, ?, ?)",
                arguments: [parent, child, order, attribute])
        }
    }

    /// Reads a subscription back from its rows: values with their types and list order,
    /// nulls as nulls, nested blocks and blocks of other subscriptions it points at.
    static func loadSubscription(_ key: String, _ db: Database) throws -> SubscriptionModel? {
        guard
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT s.subscription_id, p.name AS product_name, s.customer_id, s.description, s.status, s.insync, s.start_date,
                        s.end_date, s.note FROM subscriptions s JOIN products p ON p.product_id = s.product_id WHERE s.subscription_id = ?
                    """, arguments: [key])
        else { return nil }
        guard
            let root = try String.fetchOne(
                db, sql: "SELECT subscription_instance_id FROM subscription_instances WHERE subscription_id = ? AND label IS NOT NULL",
                arguments: [key])
        else {
            throw PersistenceError(.corruptRow, "subscription \(key) has no root block")
        }
        let status: String = row["status"]
        guard let id = UUID(uuidString: key), let lifecycle = Lifecycle(rawValue: status) else {
            throw PersistenceError(.corruptRow, "subscription \(key) has a malformed id or status '\(status)'")
        }
        return SubscriptionModel(
            subscriptionID: id, productName: row["product_name"], customerID: row["customer_id"], description: row["description"],
            status: lifecycle, insync: row["insync"], startDate: row["start_date"], endDate: row["end_date"], note: row["note"],
            root: try loadBlock(root, db, depth: 0))
    }

    private static func loadBlock(_ instance: String, _ db: Database, depth: Int) throws -> JSONValue {
        guard depth < 32 else { throw PersistenceError(.corruptRow, "block \(instance) nests more than 32 levels deep") }
        var object: [String: JSONValue] = [BlockSchema.instanceIDKey: .string(instance)]
        var lists: [String: [(Int, JSONValue)]] = [:]
        for row in try Row.fetchAll(
            db,
            sql: """
                SELECT r.resource_type, v.value, v.value_type, v.list_index FROM subscription_instance_values v
                JOIN resource_types r ON r.resource_type_id = v.resource_type_id WHERE v.subscription_instance_id = ?
                """, arguments: [instance])
        {
            let field: String = row["resource_type"]
            let type: String = row["value_type"]
            let index: Int? = row["list_index"]
            let text: String? = row["value"]
            let value = try StoreShared.decode(text: text, type: type)
            switch (type, index) {
            case ("empty_list", _): lists[field, default: []] = []
            case (_, let index?): lists[field, default: []].append((index, value))
            case (_, nil): object[field] = value
            }
        }
        for row in try Row.fetchAll(
            db, sql: "SELECT depends_on_id, order_id, domain_model_attr FROM subscription_instance_relations WHERE in_use_by_id = ?",
            arguments: [instance])
        {
            let child = try loadBlock(row["depends_on_id"], db, depth: depth + 1)
            let field: String = row["domain_model_attr"]
            if let order = row["order_id"] as Int? {
                lists[field, default: []].append((order, child))
            } else {
                object[field] = child
            }
        }
        for (field, items) in lists {
            object[field] = .array(items.sorted { $0.0 < $1.0 }.map(\.1))
        }
        return .object(object)
    }
}
