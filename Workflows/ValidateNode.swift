import Foundation
import NetBox
import Products
import WorkflowEngine

/// Compares a Node with its NetBox device field by field. In sync: the process completes and
/// the subscription is in sync again. Drift: the process fails naming every difference, and,
/// as in orchestrator-core, stays failed with the subscription locked and out of sync until
/// an operator repairs NetBox (or the subscription) and retries, which compares again, or
/// aborts, which unlocks it still out of sync.
public enum ValidateNode: Workflow {
    public static let name: WorkflowName = "validate_node"

    public static let target = WorkflowTarget.validate
    public static let description = "Compare a Node with its NetBox device"
    public static var initialForm: FormFlow? { form }
    public static var steps: StepList {
        begin >>> compareNodeWithNetBox
    }

    static var form: FormFlow {
        FormFlow([
            .init("node", "Node") { context in
                let node = try await NodeForms.node(context, in: NodeForms.inService)
                return [.summary("node", "To compare with NetBox", items: [SummaryItem("Node", NodeForms.summary(node.root))])]
            }
        ])
    }

    /// Fails naming every difference (the runner keeps the lock: see the type's comment).
    static let compareNodeWithNetBox = Step("compare_node_with_netbox", retry: .standard) { context in
        let subscription = try context.subscription(NodeBlock.self)
        let drifts = try await drifts(context, subscription.model)
        guard drifts.isEmpty else {
            return .failed("the Node differs from NetBox: " + drifts.map(\.description).joined(separator: "; "))
        }
        return .success
    }

    /// The differences between a Node subscription and its device, for validate_subscriptions.
    /// Objects the Node's processes made that it no longer names count as drift too.
    @Sendable static func drifts(_ context: StepContext, _ model: SubscriptionModel) async throws -> [Drift] {
        let node = try Subscription<NodeBlock>(model)
        let loopbacks = Set([node.root.ipv4Loopback, node.root.ipv6Loopback].compactMap { $0 })
        let orphans = try await context.orphans(of: model.subscriptionID) { entry, _ in
            entry.objectType == "ipam.ip-address" && loopbacks.contains(entry.label ?? "")
        }
        return try await drifts(of: node, in: try await context.netbox()) + orphans
    }

    /// What the Node says against what NetBox says: the device (`node_id`), its name, status,
    /// primary IPs (the loopbacks) and description (which the payload builder writes from
    /// the subscription's).
    static func drifts(of subscription: Subscription<NodeBlock>, in netbox: NetBoxClient) async throws -> [Drift] {
        let node = subscription.root
        guard let id = node.nodeID else {
            return [Drift("node.node_id", subscription: nil, netbox: "unknown (no device id to look up)")]
        }
        let device: NetBoxDevice
        do {
            device = try await netbox.device(id: id)
        } catch let error as NetBoxError where error.code == .notFound {
            // Nothing else can be compared; say whether a device of that name exists elsewhere.
            let named = if let name = node.nodeName { try await netbox.device(named: name) } else { NetBoxDevice?.none }
            let found = named.map { "\($0.id) (the device named \($0.name ?? "?"))" } ?? "no such device"
            return [Drift("node.node_id", subscription: String(id), netbox: found)]
        }
        // Free text is quoted, so that an empty or a trailing-space description shows.
        func quoted(_ text: String) -> String { "\"\(text)\"" }
        let pairs: [(field: String, mine: String?, theirs: String?, shown: (String) -> String)] = [
            ("node.node_name", node.nodeName, device.name, { $0 }),
            ("node.node_status", node.nodeStatus, device.status.value, { $0 }),
            ("node.ipv4_loopback", node.ipv4Loopback, device.primaryIP4?.address, { $0 }),
            ("node.ipv6_loopback", node.ipv6Loopback, device.primaryIP6?.address, { $0 }),
            ("description", subscription.model.description, device.description, quoted),
        ]
        return pairs.filter { $0.mine != $0.theirs }.map { Drift($0.field, subscription: $0.mine.map($0.shown), netbox: $0.theirs.map($0.shown)) }
    }
}

/// One field on which a subscription and NetBox disagree:
/// `node.node_status: subscription says active, NetBox says planned`.
public struct Drift: Sendable, Hashable, CustomStringConvertible {
    /// The subscription's field, by path (`node.ipv4_loopback`).
    public var field: String
    /// The values as shown (free text quoted); nil when that side has none.
    public var subscription: String?
    public var netbox: String?

    public init(_ field: String, subscription: String?, netbox: String?) {
        self.field = field
        self.subscription = subscription
        self.netbox = netbox
    }

    public var description: String {
        "\(field): subscription says \(Self.show(subscription)), NetBox says \(Self.show(netbox))"
    }

    private static func show(_ value: String?) -> String {
        value ?? "nothing"
    }
}
