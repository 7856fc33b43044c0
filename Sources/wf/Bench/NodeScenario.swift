import Foundation
import WorkflowEngine

/// `wf bench --scenario node`: the work of orchestrator-core's benchmark workflow
/// `create_node`, step for step, so that the two engines can be compared on the same job. A
/// product with one block of five values; the model is built (initial), stored, given its
/// two loopbacks and its node status, moved to provisioning, then to active and back in
/// sync. Every change is saved through `context.save`, as the real workflows save theirs:
/// a new version with its diff, in the step's own log row. No NetBox: the steps only compute,
/// so they are pure (`Step.isPure`) and the run commits them together.
enum NodeScenario {
    struct Block: ProductBlock {
        static let blockName = "BenchNodeBlock"
        static let fields: [BlockField] = [
            .value("node_name", required: .from(.provisioning), "the node's name"),
            .value("node_status", required: .from(.provisioning), "the node's status"),
            .value("ipv4_loopback", required: .from(.provisioning), "Loopback0 IPv4 address"),
            .value("ipv6_loopback", required: .from(.provisioning), "Loopback0 IPv6 address"),
            .value("node_description", "free text"),
        ]

        var instanceID: UUID?
        var nodeName: String?
        var nodeStatus: String?
        var ipv4Loopback: String?
        var ipv6Loopback: String?
        var nodeDescription: String?

        enum CodingKeys: String, CodingKey {
            case instanceID = "subscription_instance_id"
            case nodeName = "node_name"
            case nodeStatus = "node_status"
            case ipv4Loopback = "ipv4_loopback"
            case ipv6Loopback = "ipv6_loopback"
            case nodeDescription = "node_description"
        }
    }

    static let workflowName: WorkflowName = "bench_create_node"

    static let product = ProductDefinition(
        name: "Bench Node", type: "BenchNode", description: "The reference engine's benchmark product", rootAttribute: "node", root: Block.self,
        workflows: [workflowName], uniqueFields: [], describe: { node in node.nodeName.map { "Bench node \($0)" } })

    /// Eight steps and `done` in the create frame, all pure: nine log rows in one commit, and the create's.
    static var workflow: WorkflowDefinition {
        WorkflowFrames.create(
            workflowName, description: "create_node as the reference engine's benchmark runs it",
            begin >>> constructModel >>> StandardSteps.storeProcessSubscription >>> assignIPv4 >>> assignIPv6 >>> setNodeStatus
                >>> StandardSteps.setStatus(.provisioning))
    }

    static let constructModel = Step("construct_node_model", pure: true) { context in
        let id = context.makeID()
        let name = "bench-" + id.uuidString.lowercased().prefix(8)
        let block = Block(nodeName: name, nodeStatus: "planned", nodeDescription: "benchmark node \(name)")
        let model = SubscriptionModel(
            subscriptionID: id, productName: product.name, customerID: "bench", description: "", root: try JSONValue(encoding: block))
        return .success(["subscription": model.json])
    }

    static let assignIPv4 = Step("assign_ipv4_loopback", pure: true) { context in
        var subscription = try context.subscription(Block.self)
        let host = address(of: subscription.subscriptionID)
        subscription.root.ipv4Loopback = "10.\(host / 65536 % 256).\(host / 256 % 256).\(host % 256)/32"
        return .success(try context.save(subscription))
    }

    static let assignIPv6 = Step("assign_ipv6_loopback", pure: true) { context in
        var subscription = try context.subscription(Block.self)
        subscription.root.ipv6Loopback = "fc00::\(String(address(of: subscription.subscriptionID), radix: 16))/128"
        return .success(try context.save(subscription))
    }

    static let setNodeStatus = Step("set_node_status", pure: true) { context in
        var subscription = try context.subscription(Block.self)
        subscription.root.nodeStatus = "active"
        return .success(try context.save(subscription))
    }

    /// A host number from the subscription's id: distinct enough for a benchmark's addresses.
    private static func address(of id: UUID) -> Int {
        Int(id.uuid.12) << 16 | Int(id.uuid.13) << 8 | Int(id.uuid.14)
    }
}
