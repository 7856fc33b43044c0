import Foundation
import GRDB
import WorkflowEngine

/// Syncing the product catalog from code into the database.
extension SQLiteStore {
    public func syncProducts(_ products: [ProductDefinition], now: Date) async throws -> CatalogSyncReport {
        try await pool.write { db -> CatalogSyncReport in
            let plan = try CatalogSyncPlan(products, stored: try Self.storedCatalog(db)) { UUID().uuidString.lowercased() }
            let time = SQLiteTime.text(now)
            for (id, name) in plan.newBlocks {
                try db.execute(sql: "INSERT INTO product_blocks (product_block_id, name, created_at) VALUES (?, ?, ?)", arguments: [id, name, time])
            }
            for (name, description) in plan.newResourceTypes {
                try db.execute(
                    sql: "INSERT INTO resource_types (resource_type_id, resource_type, description) VALUES (?, ?, ?)",
                    arguments: [UUID().uuidString.lowercased(), name, description])
            }
            for (block, resourceType) in plan.blockResourceTypes {
                try db.execute(
                    sql: """
                        INSERT OR IGNORE INTO product_block_resource_types (product_block_id, resource_type_id)
                        SELECT ?, resource_type_id FROM resource_types WHERE resource_type = ?
                        """, arguments: [block, resourceType])
            }
            for relation in plan.blockRelations {
                try db.execute(
                    sql: """
                        INSERT INTO product_block_relations (in_use_by_id, depends_on_id, min, max) VALUES (?, ?, ?, ?)
                        ON CONFLICT (in_use_by_id, depends_on_id) DO UPDATE SET min = excluded.min, max = excluded.max
                        """, arguments: [relation.parent, relation.child, relation.min, relation.max])
            }
            for (id, product) in plan.newProducts {
                try db.execute(
                    sql: "INSERT INTO products (product_id, name, description, product_type, tag, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                    arguments: [id, product.name, product.description, product.type, product.tag, time])
            }
            for (id, product) in plan.changedProducts {
                try db.execute(
                    sql: "UPDATE products SET description = ?, product_type = ?, tag = ? WHERE product_id = ?",
                    arguments: [product.description, product.type, product.tag, id])
            }
            for (product, block) in plan.productBlocks {
                try db.execute(
                    sql: "INSERT OR IGNORE INTO product_product_blocks (product_id, product_block_id) VALUES (?, ?)", arguments: [product, block])
            }
            for input in plan.fixedInputs {
                try db.execute(
                    sql: """
                        INSERT INTO fixed_inputs (fixed_input_id, name, value, product_id, created_at) VALUES (?, ?, ?, ?, ?)
                        ON CONFLICT (product_id, name) DO UPDATE SET value = excluded.value
                        """, arguments: [UUID().uuidString.lowercased(), input.name, input.value, input.product, time])
            }
            for (product, workflow) in plan.productWorkflows {
                try db.execute(
                    sql: "INSERT OR IGNORE INTO products_workflows (product_id, workflow_id) VALUES (?, ?)", arguments: [product, workflow])
            }
            return plan.report
        }
    }

    /// The catalog as stored, for the sync to compare with the code.
    private static func storedCatalog(_ db: Database) throws -> CatalogSyncPlan<String>.Stored {
        var stored = CatalogSyncPlan<String>.Stored()
        for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT name, product_block_id FROM product_blocks")) {
            stored.blocks[row["name"]] = row["product_block_id"]
        }
        stored.resourceTypes = Set(try String.fetchAll(db.cachedStatement(sql: "SELECT resource_type FROM resource_types")))
        for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT product_id, name, description, product_type, tag FROM products")) {
            stored.products[row["name"]] = .init(id: row["product_id"], description: row["description"], type: row["product_type"], tag: row["tag"])
        }
        for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT product_id, name, value FROM fixed_inputs")) {
            stored.fixedInputs[row["product_id"], default: [:]][row["name"]] = row["value"]
        }
        for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT name, workflow_id FROM workflows")) {
            stored.workflows[row["name"]] = row["workflow_id"]
        }
        return stored
    }

    /// The products in the database, with their fixed inputs and subscription counts.
    public func productRows() async throws -> [ProductRow] {
        try await pool.read { db in
            try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT p.product_id, p.name, p.product_type, p.description, p.tag, p.status,
                            (SELECT COUNT(*) FROM subscriptions s WHERE s.product_id = p.product_id) AS subscriptions
                        FROM products p ORDER BY p.name
                        """
                )
            ).map { row in
                let productID: String = row["product_id"]
                let inputs = try Row.fetchAll(
                    db.cachedStatement(sql: "SELECT name, value FROM fixed_inputs WHERE product_id = ? ORDER BY name"), arguments: [productID])
                return ProductRow(
                    name: row["name"], type: row["product_type"], description: row["description"], tag: row["tag"], status: row["status"],
                    fixedInputs: Dictionary(uniqueKeysWithValues: inputs.map { ($0["name"] as String, $0["value"] as String) }),
                    subscriptionCount: row["subscriptions"])
            }
        }
    }

    /// The resource type's id, adding it if missing.
    static func resourceTypeID(_ name: String, _ db: Database) throws -> String {
        if let id = try String.fetchOne(
            db.cachedStatement(sql: "SELECT resource_type_id FROM resource_types WHERE resource_type = ?"), arguments: [name])
        {
            return id
        }
        let id = UUID().uuidString.lowercased()
        try db.execute(sql: "INSERT INTO resource_types (resource_type_id, resource_type, description) VALUES (?, ?, '')", arguments: [id, name])
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
