import Foundation
import NetBox
import NetBoxPayloads
import Products
import WorkflowEngine

/// Puts a circuit under maintenance or back into service: the IS-IS metric of both sides
/// changes, so the operator gets fresh config to apply, showing the change before and after.
public enum ModifyCircuit: Workflow {
    public static let name: WorkflowName = "modify_circuit"

    public static let target = WorkflowTarget.modify
    public static let description = "Put a circuit under maintenance or into service"
    public static var initialForm: FormFlow? { form }
    public static var steps: StepList {
        begin
            >>> updateMaintenance
            >>> provideConfigToUser
            >>> updateCircuitInNetBox
    }

    static let subscriptionID = StateKey<String>("subscription_id")
    static let underMaintenance = StateKey<Bool>("under_maintenance")

    /// The choice starts from the circuit's current state.
    static var form: FormFlow {
        FormFlow([
            .init("maintenance", "Maintenance") { context in
                let current = try await currentCircuit(context)
                return [
                    .summary(
                        "circuit", "The circuit",
                        items: [
                            SummaryItem("description", current?.model.description ?? "?"),
                            SummaryItem("now", current?.root.underMaintenance == false ? "in service" : "under maintenance"),
                        ]),
                    .boolean("under_maintenance", "Under maintenance (traffic drained)?", default: current?.root.underMaintenance ?? true),
                ]
            }
        ])
    }

    static func currentCircuit(_ context: FormContext) async throws -> Subscription<CircuitBlock>? {
        guard let text = try? context.answers.value(for: subscriptionID), let id = UUID(uuidString: text),
            let model = try await context.subscriptions?.subscription(id)
        else { return nil }
        guard model.root.objectValue?["members"] != nil else {
            throw WorkflowError(.invalidInput, "subscription \(id) is a \(model.productName), not a circuit")
        }
        return try Subscription<CircuitBlock>(model)
    }

    static let updateMaintenance = Step("update_maintenance", retry: .never) { context in
        var subscription = try context.subscription(CircuitBlock.self)
        let before = subscription.root.underMaintenance ?? true
        let after = try context[underMaintenance]
        subscription.root.underMaintenance = after
        func words(_ flag: Bool) -> String { flag ? "under maintenance" : "in service" }
        return .success(try context.save(subscription).merging(["maintenance_change": .string("\(words(before)) -> \(words(after))")]))
    }

    static let provideConfigToUser = Step.inputStep("provide_config_to_user", assignee: WorkshopTeams.configuration) { context in
        let circuit = try context.subscription(CircuitBlock.self).root
        let change = context.state[raw: "maintenance_change"]?.stringValue ?? ""
        return Form(
            name: "config", title: "Apply the new configuration of both sides",
            fields: [
                .display("change", "The change", text: change),
                .display("config", "Configuration", text: CreateCircuit.config(of: circuit)),
                .accept("confirmed", "Both sides are configured"),
            ])
    }

    /// NetBox keeps the cable as the subscription says (status and description), through the payload builder.
    static let updateCircuitInNetBox = Step("update_circuit_in_netbox", retry: .standard) { context in
        let subscription = try context.subscription(CircuitBlock.self)
        try await context.netbox().update(try buildPayload(subscription.root, subscription: subscription.model))
        return .success
    }
}
