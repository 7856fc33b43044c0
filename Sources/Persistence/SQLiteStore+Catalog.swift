import Foundation
import GRDB
import WorkflowEngine

/// Syncing the product catalog from code into the database.
extension SQLiteStore {
    public func syncProducts(_ products: [ProductDefinition], now: Date) async throws -> CatalogSyncReport {
        try await pool.write { db -> CatalogSyncReport in
            var report = CatalogSyncReport()
            let time = SQLiteTime.text(now)
            var blockIDs: [String: String] = [:]
            var codeBlocks: Set<String> = []
            var codeResources: Set<String> = []
            for schema in products.flatMap(\.root.allSchemas) where !codeBlocks.contains(schema.name) {
                codeBlocks.insert(schema.name)
                blockIDs[schema.name] = try Self.upsertBlock(schema.name, time: time, report: &report, db)
            }
            for schema in products.flatMap(\.root.allSchemas) {
                let blockID = blockIDs[schema.name]!
                for field in schema.fields {
                    codeResources.insert(field.name)
                    let resourceID = try Self.resourceTypeID(field.name, description: field.description, db)
                    try db.execute(
                        sql: "INSERT OR IGNORE INTO product_block_resource_types (product_block_id, resource_type_id) VALUES (?, ?)",
                        arguments: [blockID, resourceID])
                    switch field.kind {
                    case .block(let child):
                        try Self.relateBlocks(blockID, blockIDs[child.name]!, min: field.required == .never ? 0 : 1, max: 1, db)
                    case .blocks(let child, let count):
                        try Self.relateBlocks(blockID, blockIDs[child.name]!, min: count?.lowerBound, max: count?.upperBound, db)
                    case .value, .values:
                        break
                    }
                }
            }
            for product in products {
                let productID = try Self.upsertProduct(product, time: time, report: &report, db)
                try db.execute(
                    sql: "INSERT OR IGNORE INTO product_product_blocks (product_id, product_block_id) VALUES (?, ?)",
                    arguments: [productID, blockIDs[product.root.name]!])
                let storedInputs = try Row.fetchAll(db, sql: "SELECT name, value FROM fixed_inputs WHERE product_id = ?", arguments: [productID])
                let stored = Dictionary(uniqueKeysWithValues: storedInputs.map { ($0["name"] as String, $0["value"] as String) })
                for (name, value) in product.fixedInputs.sorted(by: { $0.key < $1.key }) where stored[name] != value {
                    try db.execute(
                        sql: """
                            INSERT INTO fixed_inputs (fixed_input_id, name, value, product_id, created_at) VALUES (?, ?, ?, ?, ?)
                            ON CONFLICT (product_id, name) DO UPDATE SET value = excluded.value
                            """, arguments: [UUID().uuidString.lowercased(), name, value, productID, time])
                    if stored[name] != nil { report.updated.append("fixed input \(product.name).\(name)") }
                }
                for name in stored.keys.sorted() where product.fixedInputs[name] == nil {
                    report.orphans.append("fixed input \(product.name).\(name) (not in code)")
                }
                for workflow in product.workflows {
                    guard let workflowID = try String.fetchOne(db, sql: "SELECT workflow_id FROM workflows WHERE name = ?", arguments: [workflow])
                    else {
                        throw PersistenceError(.unknownWorkflow, "product \(product.name) names workflow '\(workflow)', which is not registered")
                    }
                    try db.execute(
                        sql: "INSERT OR IGNORE INTO products_workflows (product_id, workflow_id) VALUES (?, ?)", arguments: [productID, workflowID])
                }
            }
            let codeProducts = Set(products.map(\.name))
            for name in try String.fetchAll(db, sql: "SELECT name FROM products ORDER BY name") where !codeProducts.contains(name) {
                report.orphans.append("product \(name) (not in code)")
            }
            for name in try String.fetchAll(db, sql: "SELECT name FROM product_blocks ORDER BY name") where !codeBlocks.contains(name) {
                report.orphans.append("product block \(name) (not in code)")
            }
            for name in try String.fetchAll(db, sql: "SELECT resource_type FROM resource_types ORDER BY resource_type")
            where !codeResources.contains(name) {
                report.orphans.append("resource type \(name) (not in code)")
            }
            return report
        }
    }

    /// The products in the database, with their fixed inputs and subscription counts.
    public func productRows() async throws -> [ProductRow] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT p.product_id, p.name, p.product_type, p.description, p.tag, p.status,
                        (SELECT COUNT(*) FROM subscriptions s WHERE s.product_id = p.product_id) AS subscriptions
                    FROM products p ORDER BY p.name
                    """
            ).map { row in
                let productID: String = row["product_id"]
                let inputs = try Row.fetchAll(
                    db, sql: "SELECT name, value FROM fixed_inputs WHERE product_id = ? ORDER BY name", arguments: [productID])
                return ProductRow(
                    name: row["name"], type: row["product_type"], description: row["description"], tag: row["tag"], status: row["status"],
                    fixedInputs: Dictionary(uniqueKeysWithValues: inputs.map { ($0["name"] as String, $0["value"] as String) }),
                    subscriptionCount: row["subscriptions"])
            }
        }
    }

    private static func upsertBlock(_ name: String, time: String, report: inout CatalogSyncReport, _ db: Database) throws -> String {
        if let id = try String.fetchOne(db, sql: "SELECT product_block_id FROM product_blocks WHERE name = ?", arguments: [name]) { return id }
        let id = UUID().uuidString.lowercased()
        try db.execute(
            sql: "INSERT INTO product_blocks (product_block_id, name, created_at) VALUES (?, ?, ?)", arguments: [id, name, time])
        report.created.append("product block \(name)")
        return id
    }

    static func resourceTypeID(_ name: String, description: String = "", _ db: Database) throws -> String {
        if let id = try String.fetchOne(db, sql: "SELECT resource_type_id FROM resource_types WHERE resource_type = ?", arguments: [name]) {
            return id
        }
        let id = UUID().uuidString.lowercased()
        try db.execute(
            sql: "INSERT INTO resource_types (resource_type_id, resource_type, description) VALUES (?, ?, ?)", arguments: [id, name, description])
        return id
    }

    private static func relateBlocks(_ parent: String, _ child: String, min: Int?, max: Int?, _ db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO product_block_relations (in_use_by_id, depends_on_id, min, max) VALUES (?, ?, ?, ?)
                ON CONFLICT (in_use_by_id, depends_on_id) DO UPDATE SET min = excluded.min, max = excluded.max
                """, arguments: [parent, child, min, max])
    }

    private static func upsertProduct(_ product: ProductDefinition, time: String, report: inout CatalogSyncReport, _ db: Database) throws
        -> String
    {
        if let row = try Row.fetchOne(
            db, sql: "SELECT product_id, description, product_type, tag FROM products WHERE name = ?", arguments: [product.name])
        {
            let id: String = row["product_id"]
            if row["description"] != product.description || row["product_type"] != product.type || row["tag"] != product.tag {
                try db.execute(
                    sql: "UPDATE products SET description = ?, product_type = ?, tag = ? WHERE product_id = ?",
                    arguments: [product.description, product.type, product.tag, id])
                report.updated.append("product \(product.name)")
            }
            return id
        }
        let id = UUID().uuidString.lowercased()
        try db.execute(
            sql: "INSERT INTO products (product_id, name, description, product_type, tag, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            arguments: [id, product.name, product.description, product.type, product.tag, time])
        report.created.append("product \(product.name)")
        return id
    }
}

/// A product as stored, for `wf products`.
public struct ProductRow: Sendable, Hashable {
    public var name: String
    public var type: String
    public var description: String
    public var tag: String
    public var status: String
    public var fixedInputs: [String: String]
    public var subscriptionCount: Int
}
