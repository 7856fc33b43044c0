import Foundation

/// The steps every product's workflows share, as in orchestrator-core. All are pure (see
/// `Step.isPure`): a run of them commits once, before the next step that calls out.
public enum StandardSteps {
    /// Saves the subscription the state carries (built by an earlier step) as its first
    /// version, linking it to this process.
    public static let storeProcessSubscription = Step("store_process_subscription", retry: .never, pure: true) { context in
        .success(try context.save(try context.subscriptionModel()))
    }

    /// Moves the subscription to `lifecycle`, checking the product's graph and the fields that
    /// lifecycle requires. Active sets the start date, terminated the end date.
    public static func setStatus(_ lifecycle: Lifecycle) -> Step {
        Step(StepKey("set_status_\(lifecycle.rawValue)"), retry: .never, pure: true) { context in
            var model = try context.subscriptionModel()
            try context.products.product(named: model.productName).checkTransition(of: model, to: lifecycle)
            model.status = lifecycle
            if lifecycle == .active && model.startDate == nil { model.startDate = context.now() }
            if lifecycle == .terminated { model.endDate = context.now() }
            return .success(try context.save(model))
        }
    }

    /// Loads the subscription the process works on (`subscription_id`) into the state. Its lock,
    /// taken when the process was created, already marks it out of sync.
    public static let unsync = Step("unsync", retry: .never, pure: true) { context in
        guard let text = context.state[raw: "subscription_id"]?.stringValue, let id = UUID(uuidString: text) else {
            throw StepError("the process has no subscription_id to work on")
        }
        var model = try await context.loadSubscription(id)
        model.insync = false
        return .success(["subscription": model.json, "__old_subscription__": model.json])
    }

    /// Refuses to go on while aborted processes left changes in the subscription that nobody
    /// confirmed as applied: a validate must not mark in sync what the devices never got.
    public static let checkUnconfirmedChanges = Step("check_unconfirmed_changes", retry: .never, pure: true) { context in
        let model = try context.subscriptionModel()
        let unconfirmed = try await context.unconfirmedChanges(of: model.subscriptionID)
        guard unconfirmed.isEmpty else {
            let key = model.subscriptionID.uuidString.lowercased().prefix(8)
            return .failed(
                "changes never confirmed as applied: \(unconfirmed.description). Apply or undo them on the devices, "
                    + "abort this process, then `wf subscription set-in-sync \(key) --reason …`")
        }
        return .success
    }

    /// Saves the subscription as in sync again: the last save of a modify, terminate or validate.
    public static let resync = Step("resync", retry: .never, pure: true) { context in
        var model = try context.subscriptionModel()
        model.insync = true
        return .success(try context.save(model))
    }
}

/// Frames that put the standard steps around a workflow's own steps.
public enum WorkflowFrames {
    /// `body >>> set_status(active) >>> resync >>> done`; the body builds the model and stores it.
    public static func create(
        _ name: WorkflowName, description: String, initialForm: FormFlow? = nil, _ body: StepList
    ) -> WorkflowDefinition {
        WorkflowDefinition(
            name: name, target: .create, description: description, initialForm: initialForm,
            steps: StepList(body.steps + [StandardSteps.setStatus(.active), StandardSteps.resync, done]))
    }

    /// `unsync >>> body >>> resync >>> done`, on the subscription named by `subscription_id`
    /// (one in `lifecycles`: by default active, disabled or migrating).
    public static func modify(
        _ name: WorkflowName, description: String, initialForm: FormFlow? = nil, lifecycles: Set<Lifecycle>? = nil, _ body: StepList
    ) -> WorkflowDefinition {
        let lifecycles = lifecycles ?? [.active, .disabled, .migrating]
        return WorkflowDefinition(
            name: name, target: .modify, description: description,
            initialForm: subscriptionFirst(initialForm, workflow: name, target: .modify, lifecycles: lifecycles),
            steps: StepList([StandardSteps.unsync] + body.steps + [StandardSteps.resync, done]))
    }

    /// `unsync >>> body >>> set_status(terminated) >>> resync >>> done`; refused at start while
    /// another subscription uses this one.
    public static func terminate(
        _ name: WorkflowName, description: String, initialForm: FormFlow? = nil,
        lifecycles: Set<Lifecycle>? = nil, _ body: StepList
    ) -> WorkflowDefinition {
        let lifecycles = lifecycles ?? Set(Lifecycle.allCases).subtracting([.terminated])
        return WorkflowDefinition(
            name: name, target: .terminate, description: description,
            initialForm: subscriptionFirst(initialForm, workflow: name, target: .terminate, lifecycles: lifecycles),
            steps: StepList([StandardSteps.unsync] + body.steps + [StandardSteps.setStatus(.terminated), StandardSteps.resync, done]))
    }

    /// `unsync >>> check_unconfirmed_changes >>> body >>> resync >>> done`: checks that change
    /// nothing but the sync flag, and never mark in sync what an aborted process changed.
    public static func validate(
        _ name: WorkflowName, description: String, initialForm: FormFlow? = nil,
        lifecycles: Set<Lifecycle>? = nil, _ body: StepList
    ) -> WorkflowDefinition {
        let lifecycles = lifecycles ?? [.provisioning, .active, .disabled, .migrating]
        return WorkflowDefinition(
            name: name, target: .validate, description: description,
            initialForm: subscriptionFirst(initialForm, workflow: name, target: .validate, lifecycles: lifecycles),
            steps: StepList([StandardSteps.unsync, StandardSteps.checkUnconfirmedChanges] + body.steps + [StandardSteps.resync, done]))
    }

    /// `body >>> done`: a system task, not about one subscription.
    public static func task(_ name: WorkflowName, description: String, initialForm: FormFlow? = nil, _ body: StepList) -> WorkflowDefinition {
        WorkflowDefinition(
            name: name, target: .system, description: description, initialForm: initialForm, steps: StepList(body.steps + [done]))
    }

    /// The subscription to work on, asked first as a choice of the ones the workflow may act
    /// on now (see `SubscriptionChoice`).
    static func subscriptionFirst(_ form: FormFlow?, workflow: WorkflowName, target: WorkflowTarget, lifecycles: Set<Lifecycle>) -> FormFlow {
        let page = SubscriptionChoice.page(workflow: workflow, target: target, lifecycles: lifecycles)
        guard let form else { return FormFlow([page]) }
        return FormFlow([page] + form.pages)
    }
}
