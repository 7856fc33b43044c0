import Foundation
import NetBox
import NetBoxPayloads
import Products
import WorkflowEngine

/// Enrols a planned NetBox device as a Node: loopbacks (from the device, or allocated from
/// the loopback prefixes), the config for the operator to apply, then the device active.
public enum CreateNode: Workflow {
    public static let name: WorkflowName = "create_node"

    public static let target = WorkflowTarget.create
    public static let description = "Enrol a planned NetBox device as a Node"
    public static var initialForm: FormFlow? { form }
    public static var steps: StepList {
        begin
            >>> constructNodeModel
            >>> StandardSteps.storeProcessSubscription
            >>> fetchIPAddressInformation
            >>> StandardSteps.setStatus(.provisioning)
            >>> provideConfigToUser
            >>> setNodeToActive
            >>> updateNodeInNetBox
    }

    static let deviceID = StateKey<Int>("device_id")
    static let customer = StateKey<String>("customer_id")

    /// The planned devices no live Node subscription owns yet.
    static var form: FormFlow {
        FormFlow([
            .init("device", "Device") { context in
                let netbox = try await context.netbox()
                let choices = try await context.cached("planned-devices") {
                    try await netbox.devices(status: ["planned"]).map { Choice(.int($0.id), label: $0.name ?? "device \($0.id)") }
                }
                let owned = try await ownedDeviceIDs(among: choices.compactMap(\.value.intValue), in: context.subscriptions)
                return [
                    .choice(
                        "device_id", "Planned device", choices: choices.filter { !owned.contains($0.value.intValue ?? -1) },
                        ifEmpty: choices.isEmpty
                            ? "NetBox has no device with status planned: add the router in NetBox as planned first"
                            : "every planned device in NetBox already has a Node (\(choices.count)): see `wf subscriptions --product Node`"),
                    .text("customer_id", "Customer", default: "lab", length: 1...64),
                ]
            }
        ])
    }

    /// Which of `devices` a Node subscription (not terminated) already holds: one indexed
    /// lookup of `node_id` among the candidates, then only the few owners are read, so the
    /// page stays fast however many Nodes exist.
    static func ownedDeviceIDs(among devices: [Int], in store: (any SubscriptionStore)?) async throws -> Set<Int> {
        guard let store, !devices.isEmpty else { return [] }
        let live = Set(Lifecycle.allCases).subtracting([.terminated])
        let filter = SubscriptionFilter(
            product: NodeProduct.definition.name, statuses: live, whereAnyValue: ("node_id", devices.map(String.init)),
            limit: SubscriptionFilter.all)
        var owned: Set<Int> = []
        for summary in try await store.subscriptions(filter) {
            if let node = try await store.subscription(summary.subscriptionID)?.root.decode(NodeBlock.self), let id = node.nodeID {
                owned.insert(id)
            }
        }
        return owned.intersection(devices)
    }

    static let constructNodeModel = Step("construct_node_model", retry: .standard) { context in
        let device = try await context.netbox().device(id: try context[deviceID])
        let node = NodeBlock(nodeID: device.id, nodeName: device.name, nodeStatus: device.status.value)
        let model = SubscriptionModel(
            subscriptionID: context.makeID(), productName: NodeProduct.definition.name, customerID: try context[customer],
            description: "Node \(device.name ?? String(device.id))", root: try JSONValue(encoding: node))
        return .success(["subscription": model.json])
    }

    /// Loopbacks from the device's primary IPs; when it has none, a /32 and a /128 from the
    /// loopback prefixes, assigned to its Loopback0 and made its primary IPs. A re-run adopts
    /// what an earlier run made, as the ledger says, and allocates nothing twice. An address
    /// on Loopback0 that the ledger does not know is someone else's: refused, naming it, not
    /// taken over (terminate_node would otherwise delete it).
    static let fetchIPAddressInformation = Step("fetch_ip_address_information", retry: .standard) { context in
        var subscription = try context.subscription(NodeBlock.self)
        let netbox = try await context.netbox()
        guard let id = subscription.root.nodeID else { throw StepError("the node has no NetBox device id") }
        let device = try await netbox.device(id: id)
        var v4 = device.primaryIP4?.address
        var v6 = device.primaryIP6?.address
        if v4 == nil || v6 == nil {
            guard let loopback = try await netbox.interfaces(deviceID: id, name: "Loopback0").first else {
                throw StepError("device \(device.name ?? String(id)) has no Loopback0 interface in NetBox")
            }
            let ours = Set(try await context.settlePendingCreates().filter { $0.objectType == "ipam.ip-address" }.compactMap(\.objectID))
            if let foreign = try await netbox.ipAddresses(interfaceID: loopback.id).first(where: { !ours.contains($0.id) }) {
                throw StepError(
                    "Loopback0 of \(device.name ?? String(id)) carries \(foreign.address) (ipam.ip-address \(foreign.id)), which this "
                        + "process did not create (a person, a tool or another process did): make the device's loopbacks its primary IPv4 and IPv6 in NetBox to use them, "
                        + "or remove it, then retry; or abort this process")
            }
            let plan = context.ipamPlan
            let description = "\(device.name ?? String(id)) Loopback0"
            func address(_ family: String, from cidr: String) async throws -> NetBoxIPAddress {
                let key = "\(family) loopback"
                return try await context.adoptOrCreate(key, fetch: { try await netbox.ipAddress(id: $0) }) {
                    try await netbox.allocateAddress(
                        in: try await netbox.requirePrefix(cidr),
                        .init(interface: loopback.id, description: description, role: "loopback", prefixLength: family == "v6" ? 128 : 32),
                        key: key)
                }
            }
            let address4 = try await address("v4", from: plan.loopbackV4)
            let address6 = try await address("v6", from: plan.loopbackV6)
            _ = try await netbox.updateDevice(id: id, .init(primaryIP4: address4.id, primaryIP6: address6.id))
            v4 = address4.address
            v6 = address6.address
        }
        subscription.root.ipv4Loopback = v4
        subscription.root.ipv6Loopback = v6
        return .success(try context.save(subscription))
    }

    static let provideConfigToUser = Step.inputStep("provide_config_to_user", assignee: WorkshopTeams.configuration) { context in
        let node = try context.subscription(NodeBlock.self).root
        let config = RouterConfig.node(
            hostname: node.nodeName ?? "", loopbackV4: node.ipv4Loopback ?? "", loopbackV6: node.ipv6Loopback ?? "")
        return Form(
            name: "config", title: "Apply the configuration of \(node.nodeName ?? "the node")",
            fields: [.display("config", "Configuration", text: config), .accept("confirmed", "The configuration is applied")])
    }

    static let setNodeToActive = Step("set_node_to_active", retry: .never) { context in
        var subscription = try context.subscription(NodeBlock.self)
        subscription.root.nodeStatus = "active"
        return .success(try context.save(subscription))
    }

    /// The device becomes active in NetBox, through the payload builder.
    static let updateNodeInNetBox = Step("update_node_in_netbox", retry: .standard) { context in
        let subscription = try context.subscription(NodeBlock.self)
        try await context.netbox().update(try buildPayload(subscription.root, subscription: subscription.model))
        return .success
    }
}
