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
    /// their values and relations, and a new version when anything changed. Returns the
    /// event of that version, for the caller to write with the transaction's others.
    @discardableResult
    func save(_ write: SubscriptionWrite, processID: ProcessID?, step: StepKey?, user: String, now: Date, _ tx: PostgresTransaction)
        async throws -> EventDraft?
    {
        let model = write.model
        let product = write.product
        let id = model.subscriptionID
        let key = id.uuidString.lowercased()
        let productID: UUID
        if let known = catalogIDs.withLock({ $0["product:" + product.name] }) {
            productID = known
        } else {
            guard let productRow = try await tx.rows("SELECT product_id FROM products WHERE name = \(product.name)").first else {
                throw SubscriptionRowPlan.unknownProduct(product)
            }
            productID = try productRow["product_id"].decode(UUID.self)
            catalogIDs.withLock { $0["product:" + product.name] = productID }
        }
        // First: the upsert locks the subscription's row until commit, so saves of one
        // subscription run one after the other, and the version number below is free.
        let upserted = try await tx.rows(
            """
            INSERT INTO subscriptions (subscription_id, description, status, product_id, customer_id, insync, start_date, end_date, note)
            VALUES (\(id), \(model.description), \(model.status.rawValue), \(productID), \(model.customerID),
                \(model.insync), \(model.startDate?.milliseconds), \(model.endDate?.milliseconds), \(model.note))
            ON CONFLICT (subscription_id) DO UPDATE SET description = excluded.description, status = excluded.status,
                customer_id = excluded.customer_id, insync = excluded.insync, start_date = excluded.start_date,
                end_date = excluded.end_date, note = excluded.note
            RETURNING locked_by
            """)
        let held = try processID != nil || upserted.first?["locked_by"].decode(UUID?.self) != nil
        if let processID { try await Self.hold(id, for: processID, tx) }
        try await Self.checkUnique(write, tx)
        let existing = try await tx.rows("SELECT subscription_instance_id FROM subscription_instances WHERE subscription_id = \(id)")
            .map { try $0["subscription_instance_id"].decode(UUID.self) }
        if !existing.isEmpty {
            try await tx.rows(
                """
                WITH cleared_values AS (DELETE FROM subscription_instance_values WHERE subscription_instance_id = ANY(\(existing)))
                DELETE FROM subscription_instance_relations WHERE in_use_by_id = ANY(\(existing))
                """)
        }
        let plan = try SubscriptionRowPlan(
            write, owners: try await Self.owners(of: BlockSchema.instanceIDs(in: model.root), tx),
            blockIDs: try await blockIDs(product.root.allSchemas, tx), instanceIDsAreUUIDs: true)
        try await Self.insert(plan, tx)
        try await Self.removeBlocks(plan.gone(from: Set(existing.map(\.lowercased))), of: key, tx)
        // The version: the model as now stored (read back, so it is exactly what a load gives).
        guard let stored = try await Self.loadSubscription(id, tx) else { return nil }
        let previous = try await tx.rows(
            "SELECT model::text AS model FROM subscription_versions WHERE subscription_id = \(id) ORDER BY version DESC LIMIT 1"
        )
        .first.map { try JSONValue.parse(try $0.string("model")) }
        var event: EventDraft?
        if let changes = SubscriptionRowPlan.versionChanges(previous: previous, stored: stored.json) {
            let inserted = try await tx.rows(
                """
                INSERT INTO subscription_versions (subscription_id, version, process_id, step_name, created_by, created_at, model, diff)
                VALUES (\(id), (SELECT COALESCE(MAX(version), 0) + 1 FROM subscription_versions WHERE subscription_id = \(id)),
                    \(processID?.uuid), \(step?.rawValue), \(user), \(now.milliseconds), \(stored.json.jsonText)::jsonb,
                    \(try JSONValue(encoding: changes).jsonText)::jsonb)
                RETURNING version
                """)
            let version = try inserted.first?["version"].decode(Int.self) ?? 0
            event = .version(version, of: stored, held: held, processID: processID, step: step, user: user, at: now)
        }
        if let processID { try await Self.link(processID, id, now: now, tx) }
        return event
    }

    /// Refuses a save that would give a live subscription a unique root value (a Node's
    /// `node_id`) another live subscription of the same product type holds.
    private static func checkUnique(_ write: SubscriptionWrite, _ tx: PostgresTransaction) async throws {
        let product = write.product
        for unique in SubscriptionRowPlan.uniqueKeys(of: write) {
            // Two racing enrolments of one device (two different subscriptions) would each pass
            // the check below before either commits. This lock, held until commit, makes the
            // second wait and then, in its next statement, see the first one's rows.
            let lock = "wf_unique:\(product.type):\(unique.field):\(unique.text)"
            try await tx.rows("SELECT pg_advisory_xact_lock(hashtext(\(lock)))")
            let holder = try await tx.rows(
                """
                SELECT s.subscription_id::text AS subscription_id, s.description FROM subscriptions s
                JOIN products p ON p.product_id = s.product_id
                JOIN subscription_instances i ON i.subscription_id = s.subscription_id AND i.label IS NOT NULL
                JOIN subscription_instance_values v ON v.subscription_instance_id = i.subscription_instance_id
                JOIN resource_types r ON r.resource_type_id = v.resource_type_id
                WHERE p.product_type = \(product.type) AND s.status != 'terminated' AND s.subscription_id != \(write.model.subscriptionID)
                    AND r.resource_type = \(unique.field) AND v.value = \(unique.text)
                LIMIT 1
                """
            ).first
            if let holder {
                throw SubscriptionRowPlan.taken(
                    unique, of: product, holder: try holder.string("subscription_id"), description: try holder.string("description"))
            }
        }
    }

    /// Which subscription owns each of `ids` (a block owned by another is pointed at, never
    /// rewritten). An id that is no UUID owns nothing here; the plan refuses it.
    private static func owners(of ids: [String], _ tx: PostgresTransaction) async throws -> [String: String] {
        let uuids = ids.compactMap(UUID.init(uuidString:))
        guard !uuids.isEmpty else { return [:] }
        var owners: [String: String] = [:]
        for row in try await tx.rows(
            "SELECT subscription_instance_id, subscription_id FROM subscription_instances WHERE subscription_instance_id = ANY(\(uuids))")
        {
            owners[try row["subscription_instance_id"].decode(UUID.self).lowercased] = try row["subscription_id"].decode(UUID.self).lowercased
        }
        return owners
    }

    private func blockIDs(_ schemas: [BlockSchema], _ tx: PostgresTransaction) async throws -> [String: String] {
        let names = schemas.map(\.name)
        let known = catalogIDs.withLock { ids in names.compactMap { name in ids["block:" + name].map { (name, $0) } } }
        if known.count == names.count { return Dictionary(known.map { ($0.0, $0.1.lowercased) }, uniquingKeysWith: { first, _ in first }) }
        var ids: [String: String] = [:]
        var found: [String: UUID] = [:]
        for row in try await tx.rows("SELECT name, product_block_id FROM product_blocks WHERE name = ANY(\(names))") {
            let id = try row["product_block_id"].decode(UUID.self)
            ids[try row.string("name")] = id.lowercased
            found["block:" + (try row.string("name"))] = id
        }
        catalogIDs.withLock { $0.merge(found) { _, new in new } }
        return ids
    }

    /// Deletes the blocks this subscription no longer has, unless another subscription points at one.
    private static func removeBlocks(_ gone: [String], of key: String, _ tx: PostgresTransaction) async throws {
        let ids = gone.compactMap(UUID.init(uuidString:))
        guard !ids.isEmpty else { return }
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
            throw SubscriptionRowPlan.blockInUse(used.lowercased, of: key, by: names)
        }
        try await tx.rows("DELETE FROM subscription_instances WHERE subscription_instance_id = ANY(\(ids))")
    }

    /// Writes the planned rows: one statement per table, the rows passed as one JSON array
    /// each (which carries nulls, unlike postgres-nio's arrays).
    private static func insert(_ plan: SubscriptionRowPlan, _ tx: PostgresTransaction) async throws {
        if !plan.instances.isEmpty {
            let instances = plan.instances.map { instance -> JSONValue in
                ["id": .string(instance.id), "block": .string(instance.blockID), "label": instance.label.map(JSONValue.string) ?? .null]
            }
            try await tx.rows(
                """
                INSERT INTO subscription_instances (subscription_instance_id, subscription_id, product_block_id, label)
                SELECT i.id, \(plan.subscription)::uuid, i.block, i.label FROM json_to_recordset(\(JSONValue.array(instances).jsonText)::json)
                    AS i(id uuid, block uuid, label text)
                ON CONFLICT (subscription_instance_id) DO UPDATE SET product_block_id = excluded.product_block_id, label = excluded.label
                """)
        }
        if !plan.values.isEmpty {
            // Resource types come from the catalog sync; one missing is added, as SQLite does.
            // ON CONFLICT: a concurrent save may add the same one.
            try await tx.rows(
                """
                INSERT INTO resource_types (resource_type_id, resource_type, description)
                SELECT gen_random_uuid(), f.name, '' FROM unnest(\(plan.fields)::text[]) AS f(name)
                WHERE NOT EXISTS (SELECT 1 FROM resource_types r WHERE r.resource_type = f.name)
                ON CONFLICT (resource_type) DO NOTHING
                """)
            let values = plan.values.map { value -> JSONValue in
                [
                    "instance": .string(value.instance), "field": .string(value.field), "value": value.text.map(JSONValue.string) ?? .null,
                    "value_type": .string(value.type), "list_index": value.index.map(JSONValue.int) ?? .null,
                ]
            }
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
                    .corruptRow, "subscription \(plan.subscription): \(inserted ?? 0) of \(values.count) values written; a resource type is missing")
            }
        }
        if !plan.relations.isEmpty {
            let relations = plan.relations.map { relation -> JSONValue in
                [
                    "in_use_by_id": .string(relation.parent), "depends_on_id": .string(relation.child),
                    "order_id": relation.order.map(JSONValue.int) ?? .null, "domain_model_attr": .string(relation.attribute),
                ]
            }
            try await tx.rows(
                """
                INSERT INTO subscription_instance_relations (in_use_by_id, depends_on_id, order_id, domain_model_attr)
                SELECT r.in_use_by_id, r.depends_on_id, r.order_id, r.domain_model_attr
                FROM json_to_recordset(\(JSONValue.array(relations).jsonText)::json)
                    AS r(in_use_by_id uuid, depends_on_id uuid, order_id integer, domain_model_attr text)
                """)
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
        let stored = StoredSubscription(
            key: id.lowercased, productName: try row.string("product_name"), customerID: try row.string("customer_id"),
            description: try row.string("description"), status: try row.string("status"), insync: try row["insync"].decode(Bool.self),
            startDate: try row.optionalDate("start_date"), endDate: try row.optionalDate("end_date"), note: try row.optionalString("note"),
            root: try row["root"].decode(UUID?.self)?.lowercased)
        let tree = try await blockTree(try stored.rootInstance(), tx)
        return try stored.model { try tree.block($0) }
    }

    /// The blocks reachable from `root`, read in two statements (not two per block): the
    /// relations of the whole tree by a recursive query, then the values of its blocks.
    private static func blockTree(_ root: String, _ tx: PostgresTransaction) async throws -> BlockTree {
        var binds = PostgresBindings()
        binds.append(root)
        let relations = try await tx.rows(PostgresQuery(unsafeSQL: StoredSubscription.relationsQuery(root: "$1::uuid"), binds: binds)).map { row in
            SubscriptionRowPlan.Relation(
                parent: try row["in_use_by_id"].decode(UUID.self).lowercased, child: try row["depends_on_id"].decode(UUID.self).lowercased,
                attribute: try row.string("domain_model_attr"), order: try row["order_id"].decode(Int?.self))
        }
        let instances = ([root] + relations.map(\.child)).compactMap(UUID.init(uuidString:))
        let values = try await tx.rows(
            """
            SELECT v.subscription_instance_id, r.resource_type, v.value, v.value_type, v.list_index FROM subscription_instance_values v
            JOIN resource_types r ON r.resource_type_id = v.resource_type_id WHERE v.subscription_instance_id = ANY(\(instances))
            """
        ).map { row in
            SubscriptionRowPlan.Value(
                instance: try row["subscription_instance_id"].decode(UUID.self).lowercased, field: try row.string("resource_type"),
                text: try row.optionalString("value"), type: try row.string("value_type"), index: try row["list_index"].decode(Int?.self))
        }
        return BlockTree(values: values, relations: relations)
    }
}
