import Foundation

/// A kind of service that can be ordered: fixed inputs and one root block, registered in code
/// and synced into `products`, `product_blocks`, `resource_types`, `fixed_inputs`, … by `wf db migrate`.
public struct ProductDefinition: Sendable {
    /// The persisted name (`products.name`), e.g. "Circuit 10G".
    public let name: String
    /// The family of variants (`products.product_type`), e.g. "Circuit".
    public let type: String
    public let description: String
    public let tag: String
    public let fixedInputs: [String: String]
    /// The key of the root block in the subscription model, e.g. "circuit".
    public let rootAttribute: String
    public let root: BlockSchema
    public let lifecycle: LifecycleGraph
    /// The workflows that apply to this product (`products_workflows`).
    public let workflows: [WorkflowName]
    /// The subscription's description, computed from its model (nil: keep the current one). A
    /// description a step or an import chose instead is kept (see `StepContext.save`).
    public let describe: @Sendable (JSONValue) -> String?
    /// Root-block fields no two live subscriptions of this product type may share (a Node's
    /// `node_id`: one device, one Node). The store refuses a save that would.
    public let uniqueFields: [String]

    public init<Root: ProductBlock>(
        name: String, type: String, description: String, tag: String? = nil, fixedInputs: [String: String] = [:], rootAttribute: String,
        root: Root.Type, lifecycle: LifecycleGraph = .standard, workflows: [WorkflowName] = [], uniqueFields: [String] = [],
        describe: @escaping @Sendable (Root) -> String? = { _ in nil }
    ) {
        self.uniqueFields = uniqueFields
        self.name = name
        self.type = type
        self.description = description
        self.tag = tag ?? type.uppercased()
        self.fixedInputs = fixedInputs
        self.rootAttribute = rootAttribute
        self.root = BlockSchema(root)
        self.lifecycle = lifecycle
        self.workflows = workflows
        self.describe = { json in (try? json.decode(Root.self)).flatMap(describe) }
    }

    /// Checks a change of lifecycle: the graph allows it, and the model has every field the
    /// target lifecycle requires. The error lists each missing field by path.
    public func checkTransition(of subscription: SubscriptionModel, to target: Lifecycle) throws {
        guard lifecycle.allows(subscription.status, target) else {
            throw WorkflowError(
                .invalidLifecycle,
                "subscription \(subscription.subscriptionID) of \(name) cannot go from \(subscription.status) to \(target)")
        }
        let problems = root.problems(in: subscription.root, lifecycle: target, path: rootAttribute)
        guard problems.isEmpty else {
            throw WorkflowError(
                .invalidLifecycle,
                "subscription \(subscription.subscriptionID) cannot be \(target): "
                    + problems.map { "\($0.field) \($0.reason)" }.joined(separator: "; "),
                problems: problems)
        }
    }
}

/// The products this build knows, by name.
public struct ProductRegistry: Sendable {
    public let products: [ProductDefinition]
    private let byName: [String: ProductDefinition]

    public init(_ products: [ProductDefinition]) throws {
        var byName: [String: ProductDefinition] = [:]
        for product in products {
            guard byName[product.name] == nil else {
                throw WorkflowError(.invalidWorkflow, "product '\(product.name)' is registered twice")
            }
            byName[product.name] = product
        }
        self.products = products.sorted { $0.name < $1.name }
        self.byName = byName
    }

    public subscript(name: String) -> ProductDefinition? { byName[name] }

    public static let empty = ProductRegistry(uncheckedProducts: [])

    private init(uncheckedProducts products: [ProductDefinition]) {
        self.products = products
        self.byName = [:]
    }

    public func product(named name: String) throws -> ProductDefinition {
        guard let product = byName[name] else {
            throw WorkflowError(.unknownProduct, "unknown product '\(name)'; known: \(products.map(\.name).joined(separator: ", "))")
        }
        return product
    }
}
