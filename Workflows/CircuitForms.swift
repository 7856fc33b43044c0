import Foundation
import NetBox
import Products
import WorkflowEngine

/// What the forms of terminate_circuit and validate_circuit share (as `NodeForms` for Nodes):
/// the Circuit the first page names, checked before any process exists, and how it reads.
enum CircuitForms {
    /// A Circuit in service: past `initial`, not terminated.
    static let inService = SubscriptionForms.inService

    /// The Circuit the first page (`subscription_id`) names, as stored now. An answer naming
    /// another product, or a Circuit in another lifecycle, is refused on that field, so a
    /// workflow meant for Circuits never locks a Node.
    static func circuit(_ context: FormContext, in lifecycles: Set<Lifecycle>) async throws -> Subscription<CircuitBlock> {
        try await SubscriptionForms.subscription(context, of: CircuitProduct.variants, called: "Circuit", in: lifecycles)
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
