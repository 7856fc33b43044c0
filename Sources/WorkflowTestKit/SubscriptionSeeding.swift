import Foundation
import Persistence
import WorkflowEngine

extension SubscriptionStore {
    /// Saves `model` outside any process, as an import would, after giving its blocks instance
    /// ids as `StepContext.save` does; returns the model as saved.
    @discardableResult
    public func seed(_ model: SubscriptionModel, product: ProductDefinition, user: String = "import", now: Date) async throws -> SubscriptionModel {
        var identified = model
        identified.root = product.root.assigningInstanceIDs(model.root) { UUID() }
        try await saveSubscription(SubscriptionWrite(identified, product: product), user: user, now: now)
        return identified
    }
}
