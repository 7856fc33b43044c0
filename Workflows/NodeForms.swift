import Foundation
import Products
import WorkflowEngine

/// What the forms of modify_node, terminate_node and validate_node share: the Node the first
/// page names, checked before any process exists, and how it reads on a page.
enum NodeForms {
    /// A Node in service: past `initial` (it has a NetBox device and loopbacks), not terminated.
    static let inService = SubscriptionForms.inService

    /// The Node the first page (`subscription_id`) names, as stored now. An answer naming
    /// another product, or a Node in another lifecycle, is refused on that field, so a
    /// workflow meant for Nodes never locks a Circuit.
    static func node(_ context: FormContext, in lifecycles: Set<Lifecycle>) async throws -> Subscription<NodeBlock> {
        try await SubscriptionForms.subscription(context, of: [NodeProduct.definition], called: "Node", in: lifecycles)
    }

    /// "loc1-core (NetBox device 1), loopbacks 10.0.127.1/32 and fc00:0:0:127::1/128".
    static func summary(_ node: NodeBlock) -> String {
        let device = node.nodeID.map { "NetBox device \($0)" } ?? "no NetBox device"
        let loopbacks = [node.ipv4Loopback, node.ipv6Loopback].compactMap { $0 }
        return "\(node.nodeName ?? "unnamed node") (\(device)), "
            + (loopbacks.isEmpty ? "no loopbacks" : "loopbacks \(loopbacks.joined(separator: " and "))")
    }
}
