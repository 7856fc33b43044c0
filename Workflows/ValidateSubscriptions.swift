import Foundation
import Products
import WorkflowEngine

/// A task that compares every active subscription with NetBox, as orchestrator-core's
/// `validate_products`: completes when all agree, fails listing every difference. It reads
/// only: no lock is taken and no subscription changes (run validate_node or validate_circuit on one to mark it
/// out of sync and hold it until it is repaired).
public enum ValidateSubscriptions: Workflow {
    public static let name: WorkflowName = "validate_subscriptions"

    public static let target = WorkflowTarget.system
    public static let description = "Compare every active subscription with NetBox"
    public static var steps: StepList {
        begin >>> validateActiveSubscriptions
    }

    /// How a subscription of one product type is compared with NetBox: its differences.
    typealias Check = @Sendable (StepContext, SubscriptionModel) async throws -> [Drift]

    /// The checks by product type (`products.product_type`); a type missing here is reported
    /// as not validated, never as in sync. Every Circuit variant shares the type `Circuit`.
    static let checks: [String: Check] = [
        NodeProduct.definition.type: ValidateNode.drifts,
        CircuitProduct.type: ValidateCircuit.drifts,
    ]

    /// Checks each active subscription in turn; the state keeps what was validated and what
    /// could not be. A NetBox outage parks the task (`waiting`) and the retry starts over,
    /// which reading only makes safe.
    static let validateActiveSubscriptions = Step("validate_active_subscriptions", retry: .standard) { context in
        var validated: [JSONValue] = []
        var notValidated: [String] = []
        var drifted: [String] = []
        for summary in try await context.subscriptions(SubscriptionFilter(statuses: [.active], limit: SubscriptionFilter.all)) {
            let label = "\(summary.productName) \(summary.subscriptionID.uuidString.lowercased().prefix(8)) (\(summary.description))"
            let type = context.products[summary.productName]?.type ?? summary.productName
            guard let check = checks[type] else {
                notValidated.append("\(label): no validation for \(type) subscriptions yet")
                continue
            }
            let drifts = try await check(context, try await context.loadSubscription(summary.subscriptionID))
            validated.append(.string(label))
            guard !drifts.isEmpty else { continue }
            // A process holding the lock may be changing it right now: say so beside the drift.
            let holder = summary.lockedBy.map { " [locked by process \($0)]" } ?? ""
            drifted.append("\(label)\(holder): " + drifts.map(\.description).joined(separator: "; "))
        }
        let unchecked = notValidated.isEmpty ? "" : "\nnot validated:\n" + notValidated.map { "- \($0)" }.joined(separator: "\n")
        guard drifted.isEmpty else {
            // NetBox and the subscriptions disagree, which this task cannot repair.
            return .inconsistent(
                "\(drifted.count) of \(validated.count) validated subscriptions differ from NetBox:\n"
                    + drifted.map { "- \($0)" }.joined(separator: "\n") + unchecked)
        }
        return .success(["validated": .array(validated), "not_validated": .array(notValidated.map(JSONValue.string))])
    }
}
