import Foundation

/// The first page of a modify, terminate or validate workflow: the subscriptions it may act
/// on now, as a labelled choice, and why the others of its products are not offered (held by
/// a process, out of sync). The store checks the same rules again when the process is
/// created, so two racing starts still get one winner.
enum SubscriptionChoice {
    /// How many subscriptions of one product the page lists at most.
    static let limit = 1000

    static func page(workflow: WorkflowName, target: WorkflowTarget, lifecycles: Set<Lifecycle>) -> FormFlow.Page {
        FormFlow.Page("subscription", "Subscription") { context in
            guard let store = context.subscriptions else {
                throw WorkflowError(.subscriptionNotFound, "this engine has no subscription store to offer subscriptions from")
            }
            let rule = syncRule(for: target)
            let products = context.services.get(ProductRegistry.self)?.products.filter { $0.workflows.contains(workflow) }.map(\.name) ?? []
            var offered: [Choice] = []
            var notOffered: [SummaryItem] = []
            for product in products.isEmpty ? [nil] : products.map(Optional.some) {
                let live = Set(Lifecycle.allCases).subtracting([.terminated])
                for summary in try await store.subscriptions(SubscriptionFilter(product: product, statuses: live, limit: limit)) {
                    let label =
                        "\(summary.description) (\(summary.productName), \(summary.status.rawValue)) "
                        + summary.subscriptionID.uuidString.lowercased().prefix(8)
                    if let refusal = refusal(of: summary, rule: rule, lifecycles: lifecycles) {
                        notOffered.append(SummaryItem(label, refusal))
                    } else {
                        offered.append(Choice(.string(summary.subscriptionID.uuidString.lowercased()), label: label))
                    }
                }
            }
            let what = products.isEmpty ? "subscription" : products.joined(separator: " or ")
            var fields: [FormField] = []
            if !notOffered.isEmpty {
                let shown = notOffered.prefix(20) + (notOffered.count > 20 ? [SummaryItem("…", "and \(notOffered.count - 20) more")] : [])
                fields.append(.summary("not_offered", "Not offered now", items: Array(shown)))
            }
            let empty =
                "no \(what) can be acted on by \(workflow) now"
                + (notOffered.isEmpty
                    ? " (there is none that is \(lifecycles.map(\.rawValue).sorted().joined(separator: ", ")))"
                    : " (\(notOffered.count) not offered: held by a process, out of sync or in another lifecycle; see `wf subscriptions`)")
            fields.append(.choice("subscription_id", "Subscription", choices: offered, ifEmpty: empty))
            return fields
        }
    }

    /// What the store will ask of the subscription when the process is created.
    static func syncRule(for target: WorkflowTarget) -> SubscriptionLock.SyncRule {
        switch target {
        case .modify: .inSync
        case .terminate: .inSyncOnceActive
        default: .any
        }
    }

    /// Why `summary` is not offered, or nil when it is.
    private static func refusal(of summary: SubscriptionSummary, rule: SubscriptionLock.SyncRule, lifecycles: Set<Lifecycle>) -> String? {
        let key = summary.subscriptionID.uuidString.lowercased().prefix(8)
        if !lifecycles.contains(summary.status) {
            let held = summary.lockedBy.map { ", held by process \($0.description.prefix(8))" } ?? ""
            return "\(summary.status.rawValue)\(held); this workflow takes \(lifecycles.map(\.rawValue).sorted().joined(separator: ", "))"
        }
        if let holder = summary.lockedBy {
            return "held by process \(holder.description.prefix(8)) until it ends (`wf process show \(holder.description.prefix(8))`)"
        }
        if !rule.allows(insync: summary.insync, status: summary.status) {
            return "out of sync: see `wf subscription history \(key)`"
        }
        return nil
    }

    /// Refuses, before any page is built, a scripted answer naming a subscription this
    /// workflow may not act on now, saying why (held, and by whom; out of sync; another
    /// product) instead of only "not one of the choices". The store checks again on insert.
    static func check(
        _ input: FormInput, workflow: WorkflowDefinition, store: (any SubscriptionStore)?, processes: any ProcessStore, products: ProductRegistry
    ) async throws {
        let answer: State
        switch input {
        case .merged(let state): answer = state
        case .pages(let pages): answer = pages.first ?? State()
        }
        guard let store, let text = answer[raw: "subscription_id"]?.stringValue, let id = UUID(uuidString: text) else { return }
        let key = id.uuidString.lowercased()
        func refused(_ code: WorkflowError.Code, _ reason: String) -> WorkflowError {
            WorkflowError(
                code, "\(workflow.name) cannot act on subscription \(key) now", workflow: workflow.name,
                problems: [FieldProblem(field: "subscription.subscription_id", reason: reason)])
        }
        guard let summary = try await store.subscriptions(SubscriptionFilter(statuses: [], limit: 1, id: id)).first else {
            throw refused(.subscriptionNotFound, "does not exist")
        }
        let takers = products.products.filter { $0.workflows.contains(workflow.name) }.map(\.name)
        if !takers.isEmpty && !takers.contains(summary.productName) {
            throw refused(.invalidInput, "is a \(summary.productName) subscription; \(workflow.name) takes \(takers.joined(separator: " or "))")
        }
        if summary.status == .terminated {
            throw refused(.invalidInput, "is terminated")
        }
        if let holder = summary.lockedBy {
            let process = try await processes.process(holder)
            throw refused(
                .subscriptionLocked,
                "is "
                    + SubscriptionRefusal.held(
                        key, by: holder.description,
                        holding: process.map { (workflow: $0.workflowName, user: $0.createdBy, status: $0.status.rawValue) }))
        }
        if workflow.target == .validate, !workflow.takesUnconfirmedChanges {
            let unconfirmed = try await UnconfirmedChanges.find(id, subscriptions: store, processes: processes)
            if !unconfirmed.isEmpty {
                throw refused(
                    .subscriptionOutOfSync,
                    "has changes never confirmed as applied (\(unconfirmed.description)); a validate cannot tell from NetBox whether "
                        + "the devices got them: apply or undo them, then `wf subscription set-in-sync \(key.prefix(8)) --reason …`")
            }
        }
        if !syncRule(for: workflow.target).allows(insync: summary.insync, status: summary.status) {
            throw refused(.subscriptionOutOfSync, "is " + SubscriptionRefusal.outOfSync(key, status: summary.status.rawValue))
        }
    }

    /// Replaces a unique prefix of a subscription id in `input` by the whole id, so scripts
    /// may pass `"subscription_id": "7bcc"` as every other command takes a prefix. An
    /// ambiguous prefix is refused naming the matches; anything else is left for the form.
    static func expandPrefix(in input: FormInput, store: (any SubscriptionStore)?) async throws -> FormInput {
        guard let store else { return input }
        func expand(_ state: State) async throws -> State {
            guard let text = state[raw: "subscription_id"]?.stringValue, !text.isEmpty else { return state }
            var expanded = state
            if let id = UUID(uuidString: text) {
                // The choices are lowercase ids, as every listing prints them.
                expanded[raw: "subscription_id"] = .string(id.uuidString.lowercased())
                return expanded
            }
            guard text.allSatisfy({ $0.isHexDigit || $0 == "-" }) else { return state }
            let matches = try await store.subscriptionIDs(withPrefix: text, limit: 6)
            guard matches.count <= 1 else {
                throw WorkflowError(
                    .invalidInput, "the subscription id prefix '\(text)' is ambiguous",
                    problems: [
                        FieldProblem(
                            field: "subscription.subscription_id",
                            reason: "'\(text)' matches \(matches.count > 5 ? "more than 5" : "\(matches.count)") subscriptions ("
                                + matches.prefix(5).map { $0.uuidString.lowercased() }.joined(separator: ", ") + "); give more characters")
                    ])
            }
            guard let match = matches.first else { return state }
            expanded[raw: "subscription_id"] = .string(match.uuidString.lowercased())
            return expanded
        }
        switch input {
        case .merged(let state): return .merged(try await expand(state))
        case .pages(var pages):
            if let first = pages.first { pages[0] = try await expand(first) }
            return .pages(pages)
        }
    }
}
