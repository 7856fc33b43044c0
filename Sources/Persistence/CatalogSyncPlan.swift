import Foundation
import WorkflowEngine

/// What a catalog sync writes and reports: the products in code against the catalog as
/// stored, decided once for both stores, with no database in sight.
///
/// Each store reads `Stored`, then runs the plan in its own dialect. `ID` is the store's
/// key type (SQLite's text, PostgreSQL's uuid).
struct CatalogSyncPlan<ID: Hashable> {
    /// The catalog as read before the sync.
    struct Stored {
        /// `product_blocks`: id by name.
        var blocks: [String: ID] = [:]
        /// `resource_types` by name.
        var resourceTypes: Set<String> = []
        /// `products` by name.
        var products: [String: Product] = [:]
        /// `fixed_inputs`: value by name, by product id.
        var fixedInputs: [ID: [String: String]] = [:]
        /// `workflows`: id by name.
        var workflows: [String: ID] = [:]

        init() {}
    }

    /// A `products` row.
    struct Product {
        var id: ID
        var description, type, tag: String
    }

    /// A `product_block_relations` row: how many of `child` a `parent` holds.
    struct BlockRelation {
        var parent, child: ID
        var min, max: Int?
    }

    /// A `fixed_inputs` row to insert or, where the product has the name, to update.
    struct FixedInput {
        var product: ID
        var name, value: String
    }

    /// `product_blocks` rows to insert.
    private(set) var newBlocks: [(id: ID, name: String)] = []
    /// `resource_types` rows to insert, with the description of the first field so named.
    private(set) var newResourceTypes: [(name: String, description: String)] = []
    /// `product_block_resource_types` rows (the resource type by name), inserted if missing.
    private(set) var blockResourceTypes: [(block: ID, resourceType: String)] = []
    /// `product_block_relations` rows, inserted or updated.
    private(set) var blockRelations: [BlockRelation] = []
    /// `products` rows to insert.
    private(set) var newProducts: [(id: ID, product: ProductDefinition)] = []
    /// `products` rows whose description, type or tag differ from the code.
    private(set) var changedProducts: [(id: ID, product: ProductDefinition)] = []
    /// `product_product_blocks` rows (each product's root block), inserted if missing.
    private(set) var productBlocks: [(product: ID, block: ID)] = []
    private(set) var fixedInputs: [FixedInput] = []
    /// `products_workflows` rows, inserted if missing.
    private(set) var productWorkflows: [(product: ID, workflow: ID)] = []
    /// What the sync created, updated, and found in the database but not in code (kept).
    private(set) var report = CatalogSyncReport()

    /// Plans the sync of `products` into `stored`. Throws when a product names a workflow
    /// the workflows table lacks. `makeID` names each new row.
    init(_ products: [ProductDefinition], stored: Stored, makeID: () -> ID) throws {
        var stored = stored
        var schemas: [BlockSchema] = []
        for schema in products.flatMap(\.root.allSchemas) where !schemas.contains(where: { $0.name == schema.name }) {
            schemas.append(schema)
            if stored.blocks[schema.name] == nil {
                let id = makeID()
                stored.blocks[schema.name] = id
                newBlocks.append((id, schema.name))
                report.created.append("product block \(schema.name)")
            }
        }
        var codeResources: Set<String> = []
        for schema in schemas {
            let blockID = stored.blocks[schema.name]!
            for field in schema.fields {
                codeResources.insert(field.name)
                if stored.resourceTypes.insert(field.name).inserted { newResourceTypes.append((field.name, field.description)) }
                blockResourceTypes.append((blockID, field.name))
                switch field.kind {
                case .block(let child):
                    blockRelations.append(
                        BlockRelation(parent: blockID, child: stored.blocks[child.name]!, min: field.required == .never ? 0 : 1, max: 1))
                case .blocks(let child, let count):
                    blockRelations.append(
                        BlockRelation(parent: blockID, child: stored.blocks[child.name]!, min: count?.lowerBound, max: count?.upperBound))
                case .value, .values:
                    break
                }
            }
        }
        for product in products {
            let productID = plan(product, &stored, makeID: makeID)
            productBlocks.append((productID, stored.blocks[product.root.name]!))
            let inputs = stored.fixedInputs[productID] ?? [:]
            for (name, value) in product.fixedInputs.sorted(by: { $0.key < $1.key }) where inputs[name] != value {
                fixedInputs.append(FixedInput(product: productID, name: name, value: value))
                if inputs[name] != nil { report.updated.append("fixed input \(product.name).\(name)") }
                stored.fixedInputs[productID, default: [:]][name] = value
            }
            for name in inputs.keys.sorted() where product.fixedInputs[name] == nil {
                report.orphans.append("fixed input \(product.name).\(name) (not in code)")
            }
            for workflow in product.workflows {
                guard let workflowID = stored.workflows[workflow] else {
                    throw PersistenceError(.unknownWorkflow, "product \(product.name) names workflow '\(workflow)', which is not registered")
                }
                productWorkflows.append((productID, workflowID))
            }
        }
        let codeProducts = Set(products.map(\.name))
        let codeBlocks = Set(schemas.map(\.name))
        // Byte order, as SQLite sorts text and PostgreSQL's "C" collation does.
        let byteOrder: (String, String) -> Bool = { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        for name in stored.products.keys.sorted(by: byteOrder) where !codeProducts.contains(name) {
            report.orphans.append("product \(name) (not in code)")
        }
        for name in stored.blocks.keys.sorted(by: byteOrder) where !codeBlocks.contains(name) {
            report.orphans.append("product block \(name) (not in code)")
        }
        for name in stored.resourceTypes.sorted(by: byteOrder) where !codeResources.contains(name) {
            report.orphans.append("resource type \(name) (not in code)")
        }
    }

    /// The product's id, planning its row: inserted when missing, updated when it differs.
    private mutating func plan(_ product: ProductDefinition, _ stored: inout Stored, makeID: () -> ID) -> ID {
        let code = Product(id: stored.products[product.name]?.id ?? makeID(), description: product.description, type: product.type, tag: product.tag)
        defer { stored.products[product.name] = code }
        guard let row = stored.products[product.name] else {
            newProducts.append((code.id, product))
            report.created.append("product \(product.name)")
            return code.id
        }
        if row.description != code.description || row.type != code.type || row.tag != code.tag {
            changedProducts.append((code.id, product))
            report.updated.append("product \(product.name)")
        }
        return code.id
    }
}
