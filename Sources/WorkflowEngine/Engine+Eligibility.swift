import Foundation

extension Engine {
    /// Why `workflow` may not act on subscription `id` now (another product's workflow, held
    /// by a process, out of sync, terminated, …), or nil when a start would be let in: the
    /// rules a start checks, asked without starting.
    public func refusal(of workflow: WorkflowName, on id: UUID) async throws -> String? {
        let definition = try registry.workflow(named: workflow)
        guard [.modify, .terminate, .validate].contains(definition.target) else {
            return "\(workflow) is a \(definition.target.rawValue) workflow: it acts on no existing subscription"
        }
        let input = FormInput.merged(State(["subscription_id": .string(id.uuidString.lowercased())]))
        do {
            try await SubscriptionChoice.check(input, workflow: definition, store: subscriptions, processes: store, products: products)
            return nil
        } catch let refusal as WorkflowError {
            return refusal.problems.first?.reason ?? refusal.message
        }
    }
}
