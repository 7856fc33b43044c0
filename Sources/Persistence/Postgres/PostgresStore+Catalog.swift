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
            var report = CatalogSyncReport()
            let time = now.milliseconds
            var blockIDs: [String: UUID] = [:]
            var codeBlocks: Set<String> = []
            var codeResources: Set<String> = []
            for schema in products.flatMap(\.root.allSchemas) where !codeBlocks.contains(schema.name) {
                codeBlocks.insert(schema.name)
                blockIDs[schema.name] = try await Self.upsertBlock(schema.name, time: time, report: &report, tx)
            }
            for schema in products.flatMap(\.root.allSchemas) {
                let blockID = blockIDs[schema.name]!
                for field in schema.fields {
                    codeResources.insert(field.name)
                    let resourceID = try await Self.resourceTypeID(field.name, description: field.description, tx)
                    try await tx.rows(
                        """
                        INSERT INTO product_block_resource_types (product_block_id, resource_type_id) VALUES (\(blockID), \(resourceID))
                        ON CONFLICT DO NOTHING
                        """)
                    switch field.kind {
                    case .block(let child):
                        try await Self.relateBlocks(blockID, blockIDs[child.name]!, min: field.required == .never ? 0 : 1, max: 1, tx)
                    case .blocks(let child, let count):
                        try await Self.relateBlocks(blockID, blockIDs[child.name]!, min: count?.lowerBound, max: count?.upperBound, tx)
                    case .value, .values:
                        break
                    }
                }
            }
            for product in products {
                let productID = try await Self.upsertProduct(product, time: time, report: &report, tx)
                try await tx.rows(
                    """
                    INSERT INTO product_product_blocks (product_id, product_block_id) VALUES (\(productID), \(blockIDs[product.root.name]!))
                    ON CONFLICT DO NOTHING
                    """)
                var stored: [String: String] = [:]
                for row in try await tx.rows("SELECT name, value FROM fixed_inputs WHERE product_id = \(productID)") {
                    stored[try row.string("name")] = try row.string("value")
                }
                for (name, value) in product.fixedInputs.sorted(by: { $0.key < $1.key }) where stored[name] != value {
                    try await tx.rows(
                        """
                        INSERT INTO fixed_inputs (fixed_input_id, name, value, product_id, created_at) VALUES (\(UUID()), \(name), \(value), \(productID), \(time))
                        ON CONFLICT (product_id, name) DO UPDATE SET value = excluded.value
                        """)
                    if stored[name] != nil { report.updated.append("fixed input \(product.name).\(name)") }
                }
                for name in stored.keys.sorted() where product.fixedInputs[name] == nil {
                    report.orphans.append("fixed input \(product.name).\(name) (not in code)")
                }
                for workflow in product.workflows {
                    guard let workflowID = try await tx.rows("SELECT workflow_id FROM workflows WHERE name = \(workflow)").first else {
                        throw PersistenceError(.unknownWorkflow, "product \(product.name) names workflow '\(workflow)', which is not registered")
                    }
                    try await tx.rows(
                        """
                        INSERT INTO products_workflows (product_id, workflow_id) VALUES (\(productID), \(try workflowID["workflow_id"].decode(UUID.self)))
                        ON CONFLICT DO NOTHING
                        """)
                }
            }
            // COLLATE "C": byte order, as SQLite sorts, whatever the database's locale.
            let codeProducts = Set(products.map(\.name))
            for row in try await tx.rows(#"SELECT name FROM products ORDER BY name COLLATE "C""#) {
                let name = try row.string("name")
                if !codeProducts.contains(name) { report.orphans.append("product \(name) (not in code)") }
            }
            for row in try await tx.rows(#"SELECT name FROM product_blocks ORDER BY name COLLATE "C""#) {
                let name = try row.string("name")
                if !codeBlocks.contains(name) { report.orphans.append("product block \(name) (not in code)") }
            }
            for row in try await tx.rows(#"SELECT resource_type FROM resource_types ORDER BY resource_type COLLATE "C""#) {
                let name = try row.string("resource_type")
                if !codeResources.contains(name) { report.orphans.append("resource type \(name) (not in code)") }
            }
            return report
        }
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

    private static func upsertBlock(_ name: String, time: Date, report: inout CatalogSyncReport, _ tx: PostgresTransaction) async throws -> UUID {
        if let row = try await tx.rows("SELECT product_block_id FROM product_blocks WHERE name = \(name)").first {
            return try row["product_block_id"].decode(UUID.self)
        }
        let id = UUID()
        try await tx.rows("INSERT INTO product_blocks (product_block_id, name, created_at) VALUES (\(id), \(name), \(time))")
        report.created.append("product block \(name)")
        return id
    }

    /// The resource type's id, adding it if missing (ON CONFLICT: a concurrent save may add it too).
    private static func resourceTypeID(_ name: String, description: String, _ tx: PostgresTransaction) async throws -> UUID {
        let select: PostgresQuery = "SELECT resource_type_id FROM resource_types WHERE resource_type = \(name)"
        if let row = try await tx.rows(select).first { return try row["resource_type_id"].decode(UUID.self) }
        try await tx.rows(
            """
            INSERT INTO resource_types (resource_type_id, resource_type, description) VALUES (\(UUID()), \(name), \(description))
            ON CONFLICT (resource_type) DO NOTHING
            """)
        guard let row = try await tx.rows(select).first else {
            throw PersistenceError(.corruptRow, "resource type '\(name)' could not be added")
        }
        return try row["resource_type_id"].decode(UUID.self)
    }

    private static func relateBlocks(_ parent: UUID, _ child: UUID, min: Int?, max: Int?, _ tx: PostgresTransaction) async throws {
        try await tx.rows(
            """
            INSERT INTO product_block_relations (in_use_by_id, depends_on_id, min, max) VALUES (\(parent), \(child), \(min), \(max))
            ON CONFLICT (in_use_by_id, depends_on_id) DO UPDATE SET min = excluded.min, max = excluded.max
            """)
    }

    private static func upsertProduct(_ product: ProductDefinition, time: Date, report: inout CatalogSyncReport, _ tx: PostgresTransaction)
        async throws -> UUID
    {
        if let row = try await tx.rows("SELECT product_id, description, product_type, tag FROM products WHERE name = \(product.name)").first {
            let id = try row["product_id"].decode(UUID.self)
            if try row.string("description") != product.description || row.string("product_type") != product.type || row.string("tag") != product.tag
            {
                try await tx.rows(
                    "UPDATE products SET description = \(product.description), product_type = \(product.type), tag = \(product.tag) WHERE product_id = \(id)"
                )
                report.updated.append("product \(product.name)")
            }
            return id
        }
        let id = UUID()
        try await tx.rows(
            """
            INSERT INTO products (product_id, name, description, product_type, tag, created_at)
            VALUES (\(id), \(product.name), \(product.description), \(product.type), \(product.tag), \(time))
            """)
        report.created.append("product \(product.name)")
        return id
    }
}
