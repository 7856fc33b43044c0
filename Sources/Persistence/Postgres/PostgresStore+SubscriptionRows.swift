import Foundation
import PostgresNIO
import WorkflowEngine

/// Writing a subscription model into instances, values and relations, and reading it back.
///
/// The same rows as the SQLite store writes, in a constant number of statements: the block
/// tree is walked in memory first (the checks and errors in SQLite's order), then written
/// with one statement per table, because each statement here is a round trip to the server.
extension PostgresStore {
    /// Saves `write` in the current transaction: the subscription row, its block instances,
    /// their values and relations, and a new version when anything changed.
    static func save(_ write: SubscriptionWrite, processID: ProcessID?, step: StepKey?, user: String, now: Date, _ tx: PostgresTransaction)
        async throws
    {
        let model = write.model
        let product = write.product
        let id = model.subscriptionID
        let key = id.uuidString.lowercased()
        guard let productRow = try await tx.rows("SELECT product_id FROM products WHERE name = \(product.name)").first else {
            throw PersistenceError(.unknownWorkflow, "product '\(product.name)' is not in the catalog; run `wf db migrate`")
        }
        let productID = try productRow["product_id"].decode(UUID.self)
        // First: the upsert locks the subscription's row until commit, so saves of one
        // subscription run one after the other, and the version number below is free.
        try await tx.rows(
            """
            INSERT INTO subscriptions (subscription_id, description, status, product_id, customer_id, insync, start_date, end_date, note)
            VALUES (\(id), \(model.description), \(model.status.rawValue), \(productID), \(model.customerID),
                \(model.insync), \(model.startDate?.milliseconds), \(model.endDate?.milliseconds), \(model.note))
            ON CONFLICT (subscription_id) DO UPDATE SET description = excluded.description, status = excluded.status,
                customer_id = excluded.customer_id, insync = excluded.insync, start_date = excluded.start_date,
                end_date = excluded.end_date, note = excluded.note
            """)
        if let processID { try await hold(id, for: processID, tx) }
        if model.status != .terminated { try await checkUnique(model, product: product, tx) }
        let existing = Set(
            try await tx.rows("SELECT subscription_instance_id FROM subscription_instances WHERE subscription_id = \(id)")
                .map { try $0["subscription_instance_id"].decode(UUID.self) })
        if !existing.isEmpty {
            try await tx.rows(
                """
                WITH cleared_values AS (DELETE FROM subscription_instance_values WHERE subscription_instance_id = ANY(\(Array(existing))))
                DELETE FROM subscription_instance_relations WHERE in_use_by_id = ANY(\(Array(existing)))
                """)
        }
        var writer = InstanceWriter(
            subscription: id, owners: try await owners(of: model.root, tx), blockIDs: try await blockIDs(product.root.allSchemas, tx))
        _ = try writer.write(model.root, schema: product.root, label: product.rootAttribute)
        try await writer.insert(tx)
        try await removeBlocks(existing.subtracting(writer.owned), of: key, tx)
        // The version: the model as now stored (read back, so it is exactly what a load gives).
        guard let stored = try await loadSubscription(id, tx) else { return }
        let previous = try await tx.rows(
            "SELECT model::text AS model FROM subscription_versions WHERE subscription_id = \(id) ORDER BY version DESC LIMIT 1"
        )
        .first.map { try JSONValue.parse(try $0.string("model")) }
        let changes = FieldChange.diff(previous, stored.json)
        if previous == nil || !changes.isEmpty {
            try await tx.rows(
                """
                INSERT INTO subscription_versions (subscription_id, version, process_id, step_name, created_by, created_at, model, diff)
                VALUES (\(id), (SELECT COALESCE(MAX(version), 0) + 1 FROM subscription_versions WHERE subscription_id = \(id)),
                    \(processID?.uuid), \(step?.rawValue), \(user), \(now.milliseconds), \(stored.json.jsonText)::jsonb,
                    \(try JSONValue(encoding: changes).jsonText)::jsonb)
                """)
        }
        if let processID { try await link(processID, id, now: now, tx) }
    }

    /// Refuses a save that would give a live subscription a unique root value (a Node's
    /// `node_id`) another live subscription of the same product type holds.
    private static func checkUnique(_ model: SubscriptionModel, product: ProductDefinition, _ tx: PostgresTransaction) async throws {
        for field in product.uniqueFields {
            guard let value = model.root.objectValue?[field], value != .null else { continue }
            let text = value.stringValue ?? value.jsonText
            // Two racing enrolments of one device (two different subscriptions) would each pass
            // the check below before either commits. This lock, held until commit, makes the
            // second wait and then, in its next statement, see the first one's rows.
            let lock = "wf_unique:\(product.type):\(field):\(text)"
            try await tx.rows("SELECT pg_advisory_xact_lock(hashtext(\(lock)))")
            let holder = try await tx.rows(
                """
                SELECT s.subscription_id::text AS subscription_id, s.description FROM subscriptions s
                JOIN products p ON p.product_id = s.product_id
                JOIN subscription_instances i ON i.subscription_id = s.subscription_id AND i.label IS NOT NULL
                JOIN subscription_instance_values v ON v.subscription_instance_id = i.subscription_instance_id
                JOIN resource_types r ON r.resource_type_id = v.resource_type_id
                WHERE p.product_type = \(product.type) AND s.status != 'terminated' AND s.subscription_id != \(model.subscriptionID)
                    AND r.resource_type = \(field) AND v.value = \(text)
                LIMIT 1
                """
            ).first
            if let holder {
                throw WorkflowError(
                    .resourceTaken,
                    "\(product.rootAttribute).\(field) = \(text) is already held by subscription \(try holder.string("subscription_id")) "
                        + "(\(try holder.string("description")))")
            }
        }
    }

    /// Which subscription owns each block instance the model names (a block owned by another
    /// subscription is pointed at, never rewritten).
    private static func owners(of root: JSONValue, _ tx: PostgresTransaction) async throws -> [UUID: UUID] {
        var ids: [UUID] = []
        func collect(_ value: JSONValue) {
            switch value {
            case .object(let object):
                if let id = object[BlockSchema.instanceIDKey]?.stringValue.flatMap(UUID.init(uuidString:)) { ids.append(id) }
                object.values.forEach(collect)
            case .array(let items):
                items.forEach(collect)
            default:
                break
            }
        }
        collect(root)
        guard !ids.isEmpty else { return [:] }
        var owners: [UUID: UUID] = [:]
        for row in try await tx.rows(
            "SELECT subscription_instance_id, subscription_id FROM subscription_instances WHERE subscription_instance_id = ANY(\(ids))")
        {
            owners[try row["subscription_instance_id"].decode(UUID.self)] = try row["subscription_id"].decode(UUID.self)
        }
        return owners
    }

    private static func blockIDs(_ schemas: [BlockSchema], _ tx: PostgresTransaction) async throws -> [String: UUID] {
        var ids: [String: UUID] = [:]
        for row in try await tx.rows("SELECT name, product_block_id FROM product_blocks WHERE name = ANY(\(schemas.map(\.name)))") {
            ids[try row.string("name")] = try row["product_block_id"].decode(UUID.self)
        }
        return ids
    }

    /// Deletes the blocks this subscription no longer has, unless another subscription points at one.
    private static func removeBlocks(_ gone: Set<UUID>, of key: String, _ tx: PostgresTransaction) async throws {
        guard !gone.isEmpty else { return }
        let ids = gone.sorted { $0.uuidString.lowercased() < $1.uuidString.lowercased() }
        // FOR UPDATE waits for a save that has just pointed a relation at one of these blocks
        // (its foreign key check holds a share lock), so the check below sees that relation.
        try await tx.rows("SELECT 1 FROM subscription_instances WHERE subscription_instance_id = ANY(\(ids)) FOR UPDATE")
        var users: [UUID: String] = [:]
        for row in try await tx.rows(
            """
            SELECT r.depends_on_id, string_agg(DISTINCT parent.subscription_id::text, ', ' ORDER BY parent.subscription_id::text) AS users
            FROM subscription_instance_relations r
            JOIN subscription_instances parent ON parent.subscription_instance_id = r.in_use_by_id
            WHERE r.depends_on_id = ANY(\(ids)) GROUP BY r.depends_on_id
            """)
        {
            users[try row["depends_on_id"].decode(UUID.self)] = try row.string("users")
        }
        if let used = ids.first(where: { users[$0] != nil }), let names = users[used] {
            throw WorkflowError(
                .subscriptionInUse, "block \(used.uuidString.lowercased()) of subscription \(key) is in use by \(names) and cannot be removed")
        }
        try await tx.rows("DELETE FROM subscription_instances WHERE subscription_instance_id = ANY(\(ids))")
    }

    /// Walks a model's block tree and collects the rows of each block this subscription owns.
    private struct InstanceWriter {
        let subscription: UUID
        /// The owner of each instance the model names, as stored before this save.
        let owners: [UUID: UUID]
        let blockIDs: [String: UUID]
        var owned: Set<UUID> = []
        private var instances: [(id: UUID, blockID: UUID, label: String?)] = []
        private var values: [JSONValue] = []
        /// The resource types `values` name.
        private var fields: Set<String> = []
        private var relations: [JSONValue] = []

        init(subscription: UUID, owners: [UUID: UUID], blockIDs: [String: UUID]) {
            self.subscription = subscription
            self.owners = owners
            self.blockIDs = blockIDs
        }

        /// Collects `block` and returns its instance id. A block owned by another subscription
        /// is only pointed at, never rewritten.
        mutating func write(_ block: JSONValue, schema: BlockSchema, label: String?) throws -> UUID {
            guard case .object(let object) = block else {
                throw WorkflowError(.invalidModel, "a \(schema.name) must be a JSON object, got \(block.typeName)")
            }
            let id: UUID
            if let text = object[BlockSchema.instanceIDKey]?.stringValue {
                // SQLite keeps any text; a uuid column takes only a UUID.
                guard let uuid = UUID(uuidString: text) else {
                    throw WorkflowError(.invalidModel, "\(schema.name).\(BlockSchema.instanceIDKey) '\(text)' is not a UUID")
                }
                id = uuid
            } else {
                id = UUID()
            }
            if let owner = owners[id], owner != subscription { return id }
            guard let blockID = blockIDs[schema.name] else {
                throw PersistenceError(.unknownWorkflow, "product block '\(schema.name)' is not in the catalog; run `wf db migrate`")
            }
            instances.append((id, blockID, label))
            owned.insert(id)
            let known = Set(schema.fields.map(\.name)).union([BlockSchema.instanceIDKey])
            if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
                throw WorkflowError(.invalidModel, "\(schema.name) has no field '\(unknown)'")
            }
            for field in schema.fields {
                guard let value = object[field.name] else { continue }
                switch (field.kind, value) {
                case (_, .null):
                    addValue(id, field.name, .null, index: nil)
                case (.value, _):
                    addValue(id, field.name, value, index: nil)
                case (.values, .array(let items)):
                    if items.isEmpty { addEmptyList(id, field.name) }
                    for (index, item) in items.enumerated() { addValue(id, field.name, item, index: index) }
                case (.values, _):
                    throw WorkflowError(.invalidModel, "\(schema.name).\(field.name) must be a list, got \(value.typeName)")
                case (.block(let child), _):
                    let childID = try write(value, schema: child, label: nil)
                    relate(id, childID, field.name, order: nil)
                case (.blocks(let child, _), .array(let items)):
                    if items.isEmpty { addEmptyList(id, field.name) }
                    for (index, item) in items.enumerated() {
                        let childID = try write(item, schema: child, label: nil)
                        relate(id, childID, field.name, order: index)
                    }
                case (.blocks, _):
                    throw WorkflowError(.invalidModel, "\(schema.name).\(field.name) must be a list of blocks, got \(value.typeName)")
                }
            }
            return id
        }

        private mutating func addValue(_ instance: UUID, _ field: String, _ value: JSONValue, index: Int?) {
            let (text, type) = StoreShared.encode(value)
            values.append(Self.row(instance: instance, field: field, value: text, type: type, index: index))
            fields.insert(field)
        }

        private mutating func addEmptyList(_ instance: UUID, _ field: String) {
            values.append(Self.row(instance: instance, field: field, value: nil, type: "empty_list", index: -1))
            fields.insert(field)
        }

        private static func row(instance: UUID, field: String, value: String?, type: String, index: Int?) -> JSONValue {
            [
                "instance": .string(instance.uuidString.lowercased()), "field": .string(field), "value": value.map(JSONValue.string) ?? .null,
                "value_type": .string(type), "list_index": index.map(JSONValue.int) ?? .null,
            ]
        }

        private mutating func relate(_ parent: UUID, _ child: UUID, _ attribute: String, order: Int?) {
            relations.append([
                "in_use_by_id": .string(parent.uuidString.lowercased()), "depends_on_id": .string(child.uuidString.lowercased()),
                "order_id": order.map(JSONValue.int) ?? .null, "domain_model_attr": .string(attribute),
            ])
        }

        /// Writes what `write` collected: one statement per table, the rows passed as one JSON
        /// array each (which carries nulls, unlike postgres-nio's arrays).
        func insert(_ tx: PostgresTransaction) async throws {
            // A block named twice in one model is written once, as its last mention says.
            var blocks: [UUID: JSONValue] = [:]
            for instance in instances {
                blocks[instance.id] = [
                    "id": .string(instance.id.uuidString.lowercased()), "block": .string(instance.blockID.uuidString.lowercased()),
                    "label": instance.label.map(JSONValue.string) ?? .null,
                ]
            }
            if !blocks.isEmpty {
                try await tx.rows(
                    """
                    INSERT INTO subscription_instances (subscription_instance_id, subscription_id, product_block_id, label)
                    SELECT i.id, \(subscription), i.block, i.label FROM json_to_recordset(\(JSONValue.array(Array(blocks.values)).jsonText)::json)
                        AS i(id uuid, block uuid, label text)
                    ON CONFLICT (subscription_instance_id) DO UPDATE SET product_block_id = excluded.product_block_id, label = excluded.label
                    """)
            }
            if !values.isEmpty {
                // Resource types come from the catalog sync; one missing is added, as SQLite does.
                // ON CONFLICT: a concurrent save may add the same one.
                try await tx.rows(
                    """
                    INSERT INTO resource_types (resource_type_id, resource_type, description)
                    SELECT gen_random_uuid(), f.name, '' FROM unnest(\(fields.sorted())::text[]) AS f(name)
                    WHERE NOT EXISTS (SELECT 1 FROM resource_types r WHERE r.resource_type = f.name)
                    ON CONFLICT (resource_type) DO NOTHING
                    """)
                // Counted: a value whose resource type the join missed would otherwise vanish unseen.
                let inserted = try await tx.rows(
                    """
                    WITH inserted AS (
                        INSERT INTO subscription_instance_values (subscription_instance_value_id, subscription_instance_id, resource_type_id,
                            value, value_type, list_index)
                        SELECT gen_random_uuid(), v.instance, r.resource_type_id, v.value, v.value_type, v.list_index
                        FROM json_to_recordset(\(JSONValue.array(values).jsonText)::json)
                            AS v(instance uuid, field text, value text, value_type text, list_index integer)
                        JOIN resource_types r ON r.resource_type = v.field
                        RETURNING 1)
                    SELECT count(*) AS count FROM inserted
                    """
                ).first?["count"].decode(Int.self)
                guard inserted == values.count else {
                    throw PersistenceError(
                        .corruptRow,
                        "subscription \(subscription.uuidString.lowercased()): \(inserted ?? 0) of \(values.count) values written; a resource type is missing"
                    )
                }
            }
            if !relations.isEmpty {
                try await tx.rows(
                    """
                    INSERT INTO subscription_instance_relations (in_use_by_id, depends_on_id, order_id, domain_model_attr)
                    SELECT r.in_use_by_id, r.depends_on_id, r.order_id, r.domain_model_attr
                    FROM json_to_recordset(\(JSONValue.array(relations).jsonText)::json)
                        AS r(in_use_by_id uuid, depends_on_id uuid, order_id integer, domain_model_attr text)
                    """)
            }
        }
    }

    /// Reads a subscription back from its rows: values with their types and list order,
    /// nulls as nulls, nested blocks and blocks of other subscriptions it points at.
    static func loadSubscription(_ id: UUID, _ tx: PostgresTransaction) async throws -> SubscriptionModel? {
        guard
            let row = try await tx.rows(
                """
                SELECT p.name AS product_name, s.customer_id, s.description, s.status, s.insync, s.start_date, s.end_date, s.note,
                    (SELECT i.subscription_instance_id FROM subscription_instances i
                        WHERE i.subscription_id = s.subscription_id AND i.label IS NOT NULL LIMIT 1) AS root
                FROM subscriptions s JOIN products p ON p.product_id = s.product_id WHERE s.subscription_id = \(id)
                """
            ).first
        else { return nil }
        let key = id.uuidString.lowercased()
        guard let root = try row["root"].decode(UUID?.self) else {
            throw PersistenceError(.corruptRow, "subscription \(key) has no root block")
        }
        let status = try row.string("status")
        guard let lifecycle = Lifecycle(rawValue: status) else {
            throw PersistenceError(.corruptRow, "subscription \(key) has a malformed id or status '\(status)'")
        }
        return SubscriptionModel(
            subscriptionID: id, productName: try row.string("product_name"), customerID: try row.string("customer_id"),
            description: try row.string("description"), status: lifecycle, insync: try row["insync"].decode(Bool.self),
            startDate: try row.optionalDate("start_date"), endDate: try row.optionalDate("end_date"), note: try row.optionalString("note"),
            root: try await BlockTree(root: root, tx).block(root, depth: 0))
    }

    /// The blocks reachable from a root block, read in two statements (not two per block):
    /// the relations of the whole tree by a recursive query, then the values of its blocks.
    private struct BlockTree {
        static let maxDepth = 32
        private var values: [UUID: [(field: String, value: String?, type: String, index: Int?)]] = [:]
        private var children: [UUID: [(child: UUID, order: Int?, field: String)]] = [:]

        init(root: UUID, _ tx: PostgresTransaction) async throws {
            var instances: Set<UUID> = [root]
            // UNION (not ALL) and the depth bound end the walk even if relations form a cycle;
            // block(_:depth:) reports a tree deeper than maxDepth as SQLite does.
            for row in try await tx.rows(
                """
                WITH RECURSIVE tree (instance, depth) AS (
                    SELECT \(root)::uuid, 0
                    UNION
                    SELECT r.depends_on_id, t.depth + 1 FROM subscription_instance_relations r JOIN tree t ON r.in_use_by_id = t.instance
                    WHERE t.depth < \(Self.maxDepth))
                SELECT in_use_by_id, depends_on_id, order_id, domain_model_attr FROM subscription_instance_relations
                WHERE in_use_by_id IN (SELECT instance FROM tree)
                """)
            {
                let parent = try row["in_use_by_id"].decode(UUID.self)
                let child = try row["depends_on_id"].decode(UUID.self)
                children[parent, default: []].append((child, try row["order_id"].decode(Int?.self), try row.string("domain_model_attr")))
                instances.insert(child)
            }
            for row in try await tx.rows(
                """
                SELECT v.subscription_instance_id, r.resource_type, v.value, v.value_type, v.list_index FROM subscription_instance_values v
                JOIN resource_types r ON r.resource_type_id = v.resource_type_id WHERE v.subscription_instance_id = ANY(\(Array(instances)))
                """)
            {
                values[try row["subscription_instance_id"].decode(UUID.self), default: []].append(
                    (
                        try row.string("resource_type"), try row.optionalString("value"), try row.string("value_type"),
                        try row["list_index"].decode(Int?.self)
                    ))
            }
        }

        func block(_ instance: UUID, depth: Int) throws -> JSONValue {
            let key = instance.uuidString.lowercased()
            guard depth < Self.maxDepth else { throw PersistenceError(.corruptRow, "block \(key) nests more than \(Self.maxDepth) levels deep") }
            var object: [String: JSONValue] = [BlockSchema.instanceIDKey: .string(key)]
            var lists: [String: [(Int, JSONValue)]] = [:]
            for (field, text, type, index) in values[instance] ?? [] {
                let value = try StoreShared.decode(text: text, type: type)
                switch (type, index) {
                case ("empty_list", _): lists[field, default: []] = []
                case (_, let index?): lists[field, default: []].append((index, value))
                case (_, nil): object[field] = value
                }
            }
            for (child, order, field) in children[instance] ?? [] {
                let nested = try block(child, depth: depth + 1)
                if let order {
                    lists[field, default: []].append((order, nested))
                } else {
                    object[field] = nested
                }
            }
            for (field, items) in lists {
                object[field] = .array(items.sorted { $0.0 < $1.0 }.map(\.1))
            }
            return .object(object)
        }
    }
}
