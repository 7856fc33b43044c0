import Foundation
import Persistence
import Products
import WorkflowEngine
import WorkflowTestKit

/// A block with a value of every shape: int, bool, double, a list of values, an empty list,
/// an explicit null, a field left out, nested blocks present, absent and null, and a list of blocks.
struct SampleBlock: ProductBlock {
    static let blockName = "SampleBlock"
    static let fields: [BlockField] = [
        .value("label"), .value("count"), .value("enabled"), .value("ratio"), .values("tags"), .values("empty_tags"),
        .value("cleared"), .value("absent"), .block("extra", SampleItemBlock.self), .block("missing_extra", SampleItemBlock.self),
        .block("null_extra", SampleItemBlock.self), .blocks("items", SampleItemBlock.self),
    ]

    var instanceID: UUID?

    enum CodingKeys: String, CodingKey {
        case instanceID = "subscription_instance_id"
    }
}

struct SampleItemBlock: ProductBlock {
    static let blockName = "SampleItemBlock"
    static let fields: [BlockField] = [.value("item_name"), .value("position")]

    var instanceID: UUID?

    enum CodingKeys: String, CodingKey {
        case instanceID = "subscription_instance_id"
    }
}

/// Products, models and times shared by the subscription store tests.
enum Subscriptions {
    static let sample = ProductDefinition(
        name: "Sample", type: "Sample", description: "every shape of value", rootAttribute: "sample", root: SampleBlock.self)
    static var products: [ProductDefinition] { ProductCatalog.all + [sample] }

    static let t0 = Fixtures.t0

    static func at(_ seconds: Double) -> Date { Fixtures.at(seconds) }

    static func node(_ name: String, id: Int, status: Lifecycle = .active) throws -> SubscriptionModel {
        let node = NodeBlock(
            nodeID: id, nodeName: name, nodeStatus: "active", ipv4Loopback: "10.255.0.\(id)/32", ipv6Loopback: "2001:db8::\(id)/128")
        return SubscriptionModel(
            subscriptionID: UUID(), productName: NodeProduct.definition.name, customerID: "acme", description: "Node \(name)", status: status,
            insync: true, startDate: t0, root: try JSONValue(encoding: node))
    }

    /// A Circuit 10G whose two ports sit on the NodeBlocks of the saved Node subscriptions `a` and `b`.
    static func circuit(_ a: SubscriptionModel, _ b: SubscriptionModel, status: Lifecycle = .active) throws -> SubscriptionModel {
        func side(_ node: SubscriptionModel, port: Int, name: String, v4: String, v6: String) throws -> Layer3InterfaceBlock {
            Layer3InterfaceBlock(
                port: PortBlock(portID: port, portName: name, node: try node.root.decode(NodeBlock.self)), v6IPAddress: v6, v4IPAddress: v4)
        }
        let circuit = CircuitBlock(
            members: [
                try side(a, port: 101, name: "xe-0/0/0", v4: "10.0.0.0/31", v6: "2001:db8:1::/127"),
                try side(b, port: 202, name: "xe-0/0/1", v4: "10.0.0.1/31", v6: "2001:db8:1::1/127"),
            ],
            circuitID: 12, circuitStatus: "connected", underMaintenance: false)
        return SubscriptionModel(
            subscriptionID: UUID(), productName: "Circuit 10G", customerID: "acme", description: circuit.subscriptionDescription ?? "",
            status: status, insync: true, startDate: t0, root: try JSONValue(encoding: circuit))
    }

    /// A migrated store with the product catalog (and the sample product) synced.
    static func store(_ kind: StoreKind = .default) async throws -> TemporaryStore {
        try await TemporaryStore(kind: kind, workflows: [Fixtures.flow], products: products, now: t0)
    }

    /// A migrated store that knows the workflows the products name, with no catalog yet.
    static func emptyCatalogStore(_ kind: StoreKind = .default) async throws -> TemporaryStore {
        try await TemporaryStore(kind: kind, workflows: TemporaryStore.standIns(for: products))
    }
}

extension SubscriptionStore {
    /// Saves `model` outside any process (see `seed`) and returns the model as saved.
    @discardableResult
    func save(_ model: SubscriptionModel, by user: String = "seed", at time: Date = Subscriptions.t0) async throws -> SubscriptionModel {
        guard let product = Subscriptions.products.first(where: { $0.name == model.productName }) else {
            throw WorkflowError(.unknownProduct, "no product '\(model.productName)' in the test catalog")
        }
        return try await seed(model, product: product, user: user, now: time)
    }

    /// Saves Nodes loc1-core and loc2-core and an active Circuit 10G between them.
    func saveCircuitBetweenTwoNodes() async throws -> (a: SubscriptionModel, b: SubscriptionModel, circuit: SubscriptionModel) {
        let a = try await save(try Subscriptions.node("loc1-core", id: 7))
        let b = try await save(try Subscriptions.node("loc2-core", id: 8))
        return (a, b, try await save(try Subscriptions.circuit(a, b)))
    }

    /// The subscription as listings show it.
    func summary(of id: UUID) async throws -> SubscriptionSummary? {
        try await subscriptions(SubscriptionFilter()).first { $0.subscriptionID == id }
    }
}

extension SubscriptionModel {
    /// The model with one field of its root block set to `value`.
    func setting(_ field: String, _ value: JSONValue) -> SubscriptionModel {
        var model = self
        var root = model.root.objectValue ?? [:]
        root[field] = value
        model.root = .object(root)
        return model
    }

    /// A field of the root block.
    subscript(field: String) -> JSONValue? { root.objectValue?[field] }
}
