import Foundation
import PostgresNIO
import WorkflowEngine

/// Syncing the product catalog from code into the database.
extension PostgresStore {
    public func syncProducts(_ products: [ProductDefinition], now: Date) async throws -> CatalogSyncReport {
        let lock = "wf_catalog:" + (location.schema ?? "public")
        return try await transaction { tx -> CatalogSyncReport in
            // Every `wf` syncs on start: two at once would both find a block missing and both
            // insert it (the second failing on the unique name). One sync at a time.
            try await tx.rows("SELECT pg_advisory_xact_lock(hashtext(\(lock)))")
            let plan = try CatalogSyncPlan(products, stored: try await Self.storedCatalog(tx)) { UUID() }
            let time = now.milliseconds
            for (id, name) in plan.newBlocks {
                try await tx.rows("INSERT INTO product_blocks (product_block_id, name, created_at) VALUES (\(id), \(name), \(time))")
            }
            // ON CONFLICT: a concurrent save may add a resource type too.
            for (name, description) in plan.newResourceTypes {
                try await tx.rows(
                    """
                    INSERT INTO resource_types (resource_type_id, resource_type, description) VALUES (\(UUID()), \(name), \(description))
                    ON CONFLICT (resource_type) DO NOTHING
                    """)
            }
            for (block, resourceType) in plan.blockResourceTypes {
                try await tx.rows(
                    """
                    INSERT INTO product_block_resource_types (product_block_id, resource_type_id)
                    SELECT \(block), resource_type_id FROM resource_types WHERE resource_type = \(resourceType)
                    ON CONFLICT DO NOTHING
                    """)
            }
            for relation in plan.blockRelations {
                try await tx.rows(
                    """
                    INSERT INTO product_block_relations (in_use_by_id, depends_on_id, min, max)
                    VALUES (\(relation.parent), \(relation.child), \(relation.min), \(relation.max))
                    ON CONFLICT (in_use_by_id, depends_on_id) DO UPDATE SET min = excluded.min, max = excluded.max
                    """)
            }
            for (id, product) in plan.newProducts {
                try await tx.rows(
                    """
                    INSERT INTO products (product_id, name, description, product_type, tag, created_at)
                    VALUES (\(id), \(product.name), \(product.description), \(product.type), \(product.tag), \(time))
                    """)
            }
            for (id, product) in plan.changedProducts {
                try await tx.rows(
                    "UPDATE products SET description = \(product.description), product_type = \(product.type), tag = \(product.tag) WHERE product_id = \(id)"
                )
            }
            for (product, block) in plan.productBlocks {
                try await tx.rows(
                    "INSERT INTO product_product_blocks (product_id, product_block_id) VALUES (\(product), \(block)) ON CONFLICT DO NOTHING")
            }
            for input in plan.fixedInputs {
                try await tx.rows(
                    """
                    INSERT INTO fixed_inputs (fixed_input_id, name, value, product_id, created_at)
                    VALUES (\(UUID()), \(input.name), \(input.value), \(input.product), \(time))
                    ON CONFLICT (product_id, name) DO UPDATE SET value = excluded.value
                    """)
            }
            for (product, workflow) in plan.productWorkflows {
                try await tx.rows("INSERT INTO products_workflows (product_id, workflow_id) VALUES (\(product), \(workflow)) ON CONFLICT DO NOTHING")
            }
            return plan.report
        }
    }

    /// The catalog as stored, for the sync to compare with the code.
    private static func storedCatalog(_ tx: PostgresTransaction) async throws -> CatalogSyncPlan<UUID>.Stored {
        var stored = CatalogSyncPlan<UUID>.Stored()
        for row in try await tx.rows("SELECT name, product_block_id FROM product_blocks") {
            stored.blocks[try row.string("name")] = try row["product_block_id"].decode(UUID.self)
        }
        for row in try await tx.rows("SELECT resource_type FROM resource_types") {
            stored.resourceTypes.insert(try row.string("resource_type"))
        }
        for row in try await tx.rows("SELECT product_id, name, description, product_type, tag FROM products") {
            stored.products[try row.string("name")] = .init(
                id: try row["product_id"].decode(UUID.self), description: try row.string("description"), type: try row.string("product_type"),
                tag: try row.string("tag"))
        }
        for row in try await tx.rows("SELECT product_id, name, value FROM fixed_inputs") {
            stored.fixedInputs[try row["product_id"].decode(UUID.self), default: [:]][try row.string("name")] = try row.string("value")
        }
        for row in try await tx.rows("SELECT name, workflow_id FROM workflows") {
            stored.workflows[try row.string("name")] = try row["workflow_id"].decode(UUID.self)
        }
        return stored
    }

    /// The products in the database, with their fixed inputs and subscription counts.
    public func productRows() async throws -> [ProductRow] {
        try await rows(
            """
            SELECT p.name, p.product_type, p.description, p.tag, p.status,
                (SELECT COUNT(*) FROM subscriptions s WHERE s.product_id = p.product_id) AS subscriptions,
                (SELECT COALESCE(json_object_agg(f.name, f.value), '{}')::text FROM fixed_inputs f WHERE f.product_id = p.product_id) AS fixed_inputs
            FROM products p ORDER BY p.name COLLATE "C"
            """
        ).map { row in
            let inputs = try JSONValue.parse(try row.string("fixed_inputs")).objectValue ?? [:]
            return ProductRow(
                name: try row.string("name"), type: try row.string("product_type"), description: try row.string("description"),
                tag: try row.string("tag"), status: try row.string("status"), fixedInputs: inputs.compactMapValues(\.stringValue),
                subscriptionCount: try row["subscriptions"].decode(Int.self))
        }
    }
}
