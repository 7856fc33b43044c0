import Foundation
import Products
import WorkflowEngine

/// What the forms of modify_node, terminate_node and validate_node share: the Node the first
/// page names, checked before any process exists, and how it reads on a page.
enum NodeForms {
    /// A Node in service: past `initial` (it has a NetBox device and loopbacks), not terminated.
    static let inService: Set<Lifecycle> = [.provisioning, .active, .disabled, .migrating]

    /// The Node the first page (`subscription_id`) names, as stored now. An answer naming
    /// another product, or a Node in another lifecycle, is refused on that field, so a
    /// workflow meant for Nodes never locks a Circuit.
    static func node(_ context: FormContext, in lifecycles: Set<Lifecycle>) async throws -> Subscription<NodeBlock> {
        func refused(_ reason: String) -> WorkflowError {
            WorkflowError(
                .invalidInput, "the subscription cannot be used here: it \(reason)",
                problems: [FieldProblem(field: "subscription.subscription_id", reason: reason)])
        }
        guard let text = context.answers[raw: "subscription_id"]?.stringValue, let id = UUID(uuidString: text) else {
            throw refused("is not a subscription id")
        }
        guard let store = context.subscriptions else {
            throw WorkflowError(.subscriptionNotFound, "this engine has no subscription store to look \(id) up in")
        }
        guard let model = try await store.subscription(id) else {
            throw WorkflowError(.subscriptionNotFound, "subscription \(id) does not exist")
        }
        guard model.productName == NodeProduct.definition.name else {
            throw refused("is a \(model.productName) subscription, not a Node")
        }
        guard lifecycles.contains(model.status) else {
            throw refused("is \(model.status); this workflow takes a Node that is \(lifecycles.map(\.rawValue).sorted().joined(separator: ", "))")
        }
        do {
            return try Subscription<NodeBlock>(model)
        } catch {
            throw refused("does not hold a readable NodeBlock: \(error)")
        }
    }

    /// "loc1-core (NetBox device 1), loopbacks 10.0.127.1/32 and fc00:0:0:127::1/128".
    static func summary(_ node: NodeBlock) -> String {
        let device = node.nodeID.map { "NetBox device \($0)" } ?? "no NetBox device"
        let loopbacks = [node.ipv4Loopback, node.ipv6Loopback].compactMap { $0 }
        return "\(node.nodeName ?? "unnamed node") (\(device)), "
            + (loopbacks.isEmpty ? "no loopbacks" : "loopbacks \(loopbacks.joined(separator: " and "))")
    }
}
