import Foundation
import NetBox
import Products
import WorkflowEngine

/// What the forms of terminate_circuit and validate_circuit share (as `NodeForms` for Nodes):
/// the Circuit the first page names, checked before any process exists, and how it reads.
enum CircuitForms {
    /// A Circuit in service: past `initial`, not terminated.
    static let inService: Set<Lifecycle> = [.provisioning, .active, .disabled, .migrating]

    /// The Circuit the first page (`subscription_id`) names, as stored now. An answer naming
    /// another product, or a Circuit in another lifecycle, is refused on that field, so a
    /// workflow meant for Circuits never locks a Node.
    static func circuit(_ context: FormContext, in lifecycles: Set<Lifecycle>) async throws -> Subscription<CircuitBlock> {
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
        guard CircuitProduct.variants.contains(where: { $0.name == model.productName }) else {
            throw refused("is a \(model.productName) subscription, not a Circuit")
        }
        guard lifecycles.contains(model.status) else {
            throw refused(
                "is \(model.status); this workflow takes a Circuit that is \(lifecycles.map(\.rawValue).sorted().joined(separator: ", "))")
        }
        do {
            return try Subscription<CircuitBlock>(model)
        } catch {
            throw refused("does not hold a readable CircuitBlock: \(error)")
        }
    }

    /// "Circuit ID 3: loc1-core:ethernet-1/1 <--> loc2-core:ethernet-1/2 (cable 3, connected)".
    static func summary(_ subscription: Subscription<CircuitBlock>) -> String {
        let circuit = subscription.root
        let cable = circuit.circuitID.map { "cable \($0)" } ?? "no cable yet"
        return "\(subscription.model.description) (\(cable), \(circuit.circuitStatus ?? "no status"))"
    }
}

/// What `fetch` returns, or nil when NetBox says the object does not exist (404): how a
/// release looks before it deletes, and how a comparison tells "gone" from "different".
func ifFound<Value: Sendable>(_ fetch: () async throws -> Value) async throws -> Value? {
    do {
        return try await fetch()
    } catch let error as NetBoxError where error.code == .notFound {
        return nil
    }
}
