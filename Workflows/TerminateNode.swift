import Foundation
import NetBox
import NetBoxPayloads
import Products
import WorkflowEngine

/// Takes a Node out of service: its device goes back to `planned` in NetBox, its loopbacks
/// are released, and the subscription ends. Refused while a Circuit uses the Node.
///
/// Why `planned`: terminate is create_node run backwards. create_node enrols a planned
/// device and makes it active; terminate returns it to the pool it came from, which is what
/// the payload builder's release of a device (`NetBoxClient.delete`) does. The device stays
/// in NetBox (it is still racked and cabled; NetBox is the inventory, not ours to delete),
/// and once the subscription is terminated create_node offers it again. `offline` or
/// `decommissioning` would hide it from create_node for good, a decision about the hardware
/// that belongs to whoever runs the inventory, not to a workflow.
public enum TerminateNode: Workflow {
    public static let name: WorkflowName = "terminate_node"

    public static let target = WorkflowTarget.terminate
    public static let description = "Terminate a Node: device back to planned in NetBox, loopbacks released"
    public static var initialForm: FormFlow? { form }
    public static var steps: StepList {
        begin
            >>> checkNodeIsUnused
            >>> setNodeToPlanned
            >>> releaseNodeInNetBox
            >>> releaseLoopbacksInNetBox
    }

    /// Says what will happen; refuses anything but a Node that is not terminated yet.
    static var form: FormFlow {
        FormFlow([
            .init("node", "Node") { context in
                let node = try await NodeForms.node(context, in: Set(Lifecycle.allCases).subtracting([.terminated]))
                return [
                    .summary(
                        "node", "To terminate",
                        items: [
                            SummaryItem("Node", NodeForms.summary(node.root)),
                            SummaryItem("NetBox", "the device goes back to planned and its loopback addresses are released"),
                        ])
                ]
            }
        ])
    }

    /// The engine refuses to start while another subscription uses this one; a Circuit created
    /// since then (create_circuit does not lock the Nodes it uses) is caught here, before
    /// anything in NetBox changes.
    static let checkNodeIsUnused = Step("check_node_is_unused", retry: .standard) { context in
        let subscription = try context.subscription(NodeBlock.self)
        let users = try await context.subscriptionsUsing(subscription.subscriptionID)
        guard users.isEmpty else {
            let names = users.map { "\($0.subscriptionID.uuidString.lowercased().prefix(8)) (\($0.description), \($0.status))" }
            return .failed("the Node is in use by \(names.joined(separator: ", ")); terminate those first, then retry or abort this process")
        }
        return .success
    }

    /// The terminated subscription records the status its device was left in.
    static let setNodeToPlanned = Step("set_node_to_planned", retry: .never) { context in
        var subscription = try context.subscription(NodeBlock.self)
        subscription.root.nodeStatus = "planned"
        return .success(try context.save(subscription))
    }

    /// The device's fields the Node's processes changed (status, description, primary IPs)
    /// set back to what they were before create_node, as the ledger recorded them: usually
    /// back to planned. A PATCH to the same values: running it again changes nothing. A
    /// Node made before the ledger existed is released through the payload builder instead
    /// (planned, description cleared).
    static let releaseNodeInNetBox = Step("release_node_in_netbox", retry: .standard) { context in
        let subscription = try context.subscription(NodeBlock.self)
        guard let id = subscription.root.nodeID else { return .skipped }
        let footprint = try await context.subscriptionFootprint()
        if footprint.isEmpty {
            // Nothing recorded: made before the ledger, or a create that wrote nothing to
            // NetBox (no loopbacks yet), whose device is not ours to touch.
            guard subscription.root.ipv4Loopback != nil || subscription.root.ipv6Loopback != nil else { return .skipped }
            try await context.netbox().delete(try buildPayload(subscription.root, subscription: subscription.model))
            return .success
        }
        return try await context.setBack("dcim.device", id, of: footprint) ? .success : .skipped
    }

    /// Deletes the loopback addresses the Node's processes allocated, as the ledger says
    /// (deleting an address also clears it as the device's primary IP). Addresses the device
    /// had before it was enrolled stay. After a crash or a retry only what is still there goes.
    ///
    /// Released rather than kept: a terminated Node must not hold IPAM space, and should the
    /// device be enrolled again, create_node allocates fresh loopbacks. A Node made before
    /// the ledger existed has its loopbacks found on Loopback0 by address, as before.
    static let releaseLoopbacksInNetBox = Step("release_loopbacks_in_netbox", retry: .standard) { context in
        let node = try context.subscription(NodeBlock.self).root
        let footprint = try await context.subscriptionFootprint()
        if !footprint.isEmpty {
            return try await context.releaseCreated("ipam.ip-address", of: footprint) > 0 ? .success : .skipped
        }
        let loopbacks = Set([node.ipv4Loopback, node.ipv6Loopback].compactMap { $0 })
        guard let id = node.nodeID, !loopbacks.isEmpty else { return .skipped }
        let netbox = try await context.netbox()
        // No Loopback0 (removed in NetBox since): no address of it left to release.
        guard let interface = try await netbox.interfaces(deviceID: id, name: "Loopback0").first else { return .skipped }
        for address in try await netbox.ipAddresses(interfaceID: interface.id) where loopbacks.contains(address.address) {
            try await netbox.deleteIPAddress(id: address.id, label: address.address)
        }
        return .success
    }
}
