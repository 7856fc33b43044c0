import Foundation
import Products
import WorkflowEngine

/// Changes a Node's description and its device's NetBox status, in the subscription and in
/// NetBox, as orchestrator-core's `modify_node`: the form shows the current values.
public enum ModifyNode: Workflow {
    public static let name: WorkflowName = "modify_node"

    public static let target = WorkflowTarget.modify
    public static let description = "Change a Node's description or NetBox status"
    public static var initialForm: FormFlow? { form }
    public static var steps: StepList {
        begin
            >>> updateSubscription
            >>> CreateNode.updateNodeInNetBox
    }

    static let newDescription = StateKey<String>("description")
    static let nodeStatus = StateKey<String>("node_status")

    /// The NetBox statuses of a device in service. Not `planned`, `staged` or `inventory`:
    /// those say the device is not deployed, which an enrolled Node is; taking it out of
    /// service for good is terminate_node's job.
    static let statuses: [Choice] = [
        Choice("active", label: "Active"), Choice("offline", label: "Offline"), Choice("failed", label: "Failed"),
        Choice("decommissioning", label: "Decommissioning"),
    ]

    /// The Node's current description and status as defaults, so an answer may change one only.
    static var form: FormFlow {
        FormFlow([
            .init("node", "Node") { context in
                let node = try await NodeForms.node(context, in: [.active, .disabled])
                let current = node.root.nodeStatus.map(JSONValue.string).flatMap { status in statuses.contains { $0.value == status } ? status : nil }
                return [
                    .summary("node", "Node", items: [SummaryItem("Node", NodeForms.summary(node.root))]),
                    .text("description", "Description (also the device's in NetBox)", default: node.model.description, length: 1...200),
                    .choice("node_status", "NetBox status of the device", choices: statuses, default: current),
                ]
            }
        ])
    }

    /// The answers, into the subscription; `update_node_in_netbox` then writes them to the device
    /// through the payload builder.
    static let updateSubscription = Step("update_subscription", retry: .never) { context in
        var subscription = try context.subscription(NodeBlock.self)
        subscription.model.description = try context[newDescription]
        subscription.root.nodeStatus = try context[nodeStatus]
        return .success(try context.save(subscription))
    }
}
