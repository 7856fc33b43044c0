import Foundation
import WorkflowEngine

/// What every form of a modify, terminate or validate workflow shares: the subscription its
/// first page (`subscription_id`) names, checked before any process exists.
enum SubscriptionForms {
    /// Past `initial` and not terminated.
    static let inService: Set<Lifecycle> = [.provisioning, .active, .disabled, .migrating]

    /// The subscription the first page names, as stored now. An answer naming another
    /// product, or one in another lifecycle, is refused on that field, so a workflow meant for
    /// one product never locks another's subscription.
    static func subscription<Root: ProductBlock>(
        _ context: FormContext, of products: [ProductDefinition], called kind: String, in lifecycles: Set<Lifecycle>
    ) async throws -> Subscription<Root> {
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
            throw WorkflowError(.subscriptionNotFound, "subscription \(id.uuidString.lowercased()) does not exist")
        }
        guard products.contains(where: { $0.name == model.productName }) else {
            throw refused("is a \(model.productName) subscription, not a \(kind)")
        }
        guard lifecycles.contains(model.status) else {
            throw refused("is \(model.status); this workflow takes a \(kind) that is \(lifecycles.map(\.rawValue).sorted().joined(separator: ", "))")
        }
        do {
            return try Subscription<Root>(model)
        } catch {
            throw refused("does not hold a readable \(Root.blockName): \(error)")
        }
    }
}
