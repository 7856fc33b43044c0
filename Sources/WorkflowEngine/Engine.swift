import Foundation
import Logging

/// Runs workflows durably: every step's result commits, with the process row, before the
/// next step starts; a process is owned by one runner at a time through a lease.
///
/// ```swift
/// let engine = Engine(store: store, registry: registry)
/// let outcome = try await engine.start("create_node", input: ["device": 7], user: "alice")
/// ```
public struct Engine: Sendable {
    public let store: any ProcessStore
    public let registry: WorkflowRegistry
    public let products: ProductRegistry
    /// Where steps load subscriptions from (usually the same object as `store`). Part of
    /// the engine's type: a step never finds at run time that there is none.
    public let subscriptions: any SubscriptionStore
    /// What steps and forms may use (a NetBox client, …), by type.
    public let services: Services
    public let configuration: EngineConfiguration
    public let environment: EngineEnvironment
    public let logger: Logger
    /// Values computed from the subscriptions (form choices, the network map), shared by
    /// every form session and page of this engine while no subscription changes.
    public let subscriptionsCache = UnchangedSubscriptionsCache()

    /// An engine on one store that keeps both processes and subscriptions (both of `wf`'s).
    public init(
        store: any ProcessStore & SubscriptionStore, registry: WorkflowRegistry, products: ProductRegistry = .empty,
        services: Services = Services(), configuration: EngineConfiguration = EngineConfiguration(), environment: EngineEnvironment = .live,
        logger: Logger = Logger(label: "wf.engine")
    ) {
        self.init(
            store: store, registry: registry, products: products, subscriptions: store, services: services, configuration: configuration,
            environment: environment, logger: logger)
    }

    /// An engine whose processes and subscriptions live in separate stores (a test that
    /// wraps the process store).
    public init(
        store: any ProcessStore, registry: WorkflowRegistry, products: ProductRegistry = .empty,
        subscriptions: any SubscriptionStore, services: Services = Services(), configuration: EngineConfiguration = EngineConfiguration(),
        environment: EngineEnvironment = .live,
        logger: Logger = Logger(label: "wf.engine")
    ) {
        self.store = store
        self.registry = registry
        self.products = products
        self.subscriptions = subscriptions
        self.services = services
        self.configuration = configuration
        self.environment = environment
        self.logger = logger
    }

    // MARK: - Operations

    /// Validates `input` against the workflow's initial form, creates the process with its
    /// input in one transaction, and runs it until it completes, suspends or stops.
    /// Nothing is stored when the input is invalid.
    public func start(_ name: WorkflowName, input: State = State(), user: String) async throws -> ProcessOutcome {
        try await start(name, input: .merged(input), user: user)
    }

    /// Starts a workflow with answers given per page, or all in one object. Pass the
    /// `session` that collected the answers so that computed pages are not built again.
    public func start(_ name: WorkflowName, input: FormInput, session: FormSession? = nil, user: String) async throws -> ProcessOutcome {
        let workflow = try registry.workflow(named: name)
        let process = try await create(workflow, input: input, session: session, user: user, claim: true)
        return try await drive(process, workflow: workflow, from: 0, attempt: 1, user: user)
    }

    public func start<W: Workflow>(_ workflow: W.Type, input: State = State(), user: String) async throws -> ProcessOutcome {
        try await start(W.name, input: input, user: user)
    }

    /// Answers the form of a suspended process and runs it on. An answer that does not
    /// validate is refused with one problem per field; the process stays as it was.
    public func resume(_ processID: ProcessID, input: State, user: String) async throws -> ProcessOutcome {
        let process = try await load(processID)
        try ProcessTransitions.check(.resume, from: process.status, to: .running, processID: processID)
        let workflow = try registry.workflow(named: process.workflowName)
        guard let key = process.lastStep, let form = process.form else {
            throw WorkflowError(.invalidTransition, "process \(processID) is \(process.status.rawValue) but has no stored form", processID: processID)
        }
        let index = try stepIndex(key, of: workflow, process: process)
        let answers: State
        do {
            answers = try form.validate(input)
            let problems = (workflow.steps.steps[index].inputValidator?(process.state.merging(answers)) ?? [])
                .map { FieldProblem(field: "\(form.name).\($0.field)", reason: $0.reason) }
            guard problems.isEmpty else {
                throw WorkflowError(.invalidInput, "the answers to '\(form.title)' are not valid", problems: problems)
            }
        } catch var error as WorkflowError {
            error.processID = processID
            error.step = key
            throw error
        }
        let now = environment.now()
        let state = process.state.merging(answers).merging(InputLabels.update(process.state, forms: [(form, answers)]))
        let log = StepRecord(
            stepID: environment.makeID(), processID: processID, key: key, status: .success, state: state, createdBy: user,
            startedAt: process.lastModifiedAt, completedAt: now)
        let input = InputStateRecord(processID: processID, input: answers, kind: .userInput, createdBy: user, inputTime: now, page: form.name)
        let request = LeaseRequest(
            processID: processID, owner: configuration.runnerID, now: now, leaseExpiresAt: now + configuration.leaseDuration,
            from: ProcessTransitions.sources(of: .resume), log: log, input: input, state: state)
        let claimed = try await acquire(request, operation: .resume)
        return try await driveOn(claimed, after: key, workflow: workflow, user: user)
    }

    /// Runs the last step of a failed or waiting process again, with the state from before it.
    public func retry(_ processID: ProcessID, user: String) async throws -> ProcessOutcome {
        let process = try await load(processID)
        try ProcessTransitions.check(.retry, from: process.status, to: .running, processID: processID)
        return try await rerun(process, user: user, dueBy: nil)
    }

    /// Stops a process for good. Allowed from any status but `completed` and `aborted`; a
    /// step that is running meanwhile can no longer commit its result.
    public func abort(_ processID: ProcessID, user: String, reason: String? = nil) async throws -> ProcessOutcome {
        let process = try await load(processID)
        try ProcessTransitions.check(.abort, from: process.status, to: .aborted, processID: processID)
        let now = environment.now()
        let why = reason ?? "aborted by \(user)"
        let log = StepRecord(
            stepID: environment.makeID(), processID: processID, key: "abort", status: .abort, state: process.state, createdBy: user,
            startedAt: now, completedAt: now, failedReason: why)
        guard let aborted = try await store.abort(processID, reason: why, log: log) else {
            let current = try await load(processID)
            try ProcessTransitions.check(.abort, from: current.status, to: .aborted, processID: processID)
            throw WorkflowError(.processBusy, "process \(processID) changed while it was being aborted; try again", processID: processID)
        }
        logger.info("process aborted", metadata: ["process.id": "\(processID)", "user": "\(user)"])
        return ProcessOutcome(aborted)
    }

    /// Takes over processes whose runner died (lease expired) and `waiting` processes whose
    /// retry time has come, and runs each. Two runners never run the same process: the one
    /// that loses the race for a lease skips it.
    ///
    /// With `includeDueRetries: false` only processes whose runner died are taken, as any
    /// `wf` command does before its own work (enqueued ones are left to the workers).
    public func recover(user: String, includeDueRetries: Bool = true, limit: Int = 100) async throws -> [ProcessOutcome] {
        var outcomes: [ProcessOutcome] = []
        for candidate in try await store.runnableProcesses(now: environment.now(), limit: limit)
        where includeDueRetries || (candidate.status != .waiting && candidate.status != .created) {
            // One process that cannot run (its step was removed from the code, say) must not
            // strand the others: report it and go on.
            do {
                if let outcome = try await takeOver(candidate, user: user) {
                    outcomes.append(outcome)
                }
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                logger.error(
                    "could not recover process",
                    metadata: ["process.id": "\(candidate.processID)", "workflow.name": "\(candidate.workflowName)", "error": "\(error)"])
            }
        }
        return outcomes
    }

    /// Runs one process that `recover` found, unless another runner got to it first.
    public func takeOver(_ candidate: ProcessRecord, user: String) async throws -> ProcessOutcome? {
        do {
            if candidate.status == .waiting {
                return try await rerun(candidate, user: user, dueBy: environment.now())
            }
            let workflow = try registry.workflow(named: candidate.workflowName)
            let now = environment.now()
            let request = LeaseRequest(
                processID: candidate.processID, owner: configuration.runnerID, now: now,
                leaseExpiresAt: now + configuration.leaseDuration, from: ProcessTransitions.sources(of: .claim))
            guard let claimed = try await store.acquire(request) else { return nil }
            logger.notice(
                "took over process", metadata: ["process.id": "\(claimed.processID)", "previous.owner": "\(candidate.leaseOwner ?? "none")"])
            if let key = claimed.lastStep {
                return try await driveOn(claimed, after: key, workflow: workflow, user: user)
            }
            return try await drive(claimed, workflow: workflow, from: 0, attempt: 1, user: user)
        } catch let error as WorkflowError where error.code == .processBusy || error.code == .invalidTransition {
            // Another runner claimed it first (and may have run it on already): not ours to run.
            return nil
        }
    }

    /// Runs a process a worker claimed (see `WorkerStore.claimRunnable`) on from where it
    /// stood: a created one from its first step, a waiting one by retrying its step, one whose
    /// runner died after its last logged step. Steps run as the user who started the process.
    /// With `drain` set, the process stops after the step it is in and its lease is released.
    public func run(claimed: ClaimedProcess, drain: DrainSignal? = nil) async throws -> ProcessOutcome {
        let process = claimed.process
        let workflow = try registry.workflow(named: process.workflowName)
        let user = process.createdBy
        switch (claimed.previousStatus, process.lastStep) {
        case (.waiting, let key?):
            let index = try stepIndex(key, of: workflow, process: process)
            let attempt = try await nextAttempt(of: key, in: process.processID)
            return try await drive(process, workflow: workflow, from: index, attempt: attempt, user: user, drain: drain)
        case (_, let key?):
            return try await driveOn(process, after: key, workflow: workflow, user: user, drain: drain)
        case (_, nil):
            return try await drive(process, workflow: workflow, from: 0, attempt: 1, user: user, drain: drain)
        }
    }

    /// Creates a process without running it (status `created`), for runners to pick up.
    public func enqueue(_ name: WorkflowName, input: FormInput = .merged(State()), session: FormSession? = nil, user: String) async throws
        -> ProcessID
    {
        let workflow = try registry.workflow(named: name)
        return try await create(workflow, input: input, session: session, user: user, claim: false).processID
    }

    /// Resolves a full id or a unique prefix of one.
    public func resolve(_ text: String) async throws -> ProcessID {
        let prefix = text.lowercased()
        if let id = ProcessID(prefix) { return id }
        guard !prefix.isEmpty, prefix.allSatisfy({ $0.isHexDigit || $0 == "-" }) else {
            throw WorkflowError(.processNotFound, "'\(text)' is not a process id or a prefix of one")
        }
        let matches = try await store.processIDs(withPrefix: prefix, limit: 5)
        switch matches.count {
        case 0: throw WorkflowError(.processNotFound, "no process id starts with '\(text)'")
        case 1: return matches[0]
        default:
            throw WorkflowError(
                .ambiguousProcessID,
                "'\(text)' matches several processes: \(matches.map(\.description).joined(separator: ", ")); give more characters")
        }
    }

    // MARK: - Internals

    private func load(_ processID: ProcessID) async throws -> ProcessRecord {
        guard let process = try await store.process(processID) else {
            throw WorkflowError(.processNotFound, "process \(processID) does not exist", processID: processID)
        }
        return process
    }

    /// The answers `input` gives `name`'s initial form, page by page, checked as a start
    /// checks them (a subscription it may act on now, every page, no key the engine sets),
    /// without storing anything: what a plan runs with.
    public func validate(_ name: WorkflowName, input: FormInput, session: FormSession? = nil) async throws -> [AnsweredPage] {
        try await validate(try registry.workflow(named: name), input: input, session: session)
    }

    private func validate(_ workflow: WorkflowDefinition, input: FormInput, session: FormSession?) async throws -> [AnsweredPage] {
        let pages: [AnsweredPage]
        if let flow = workflow.initialForm {
            var input = input
            let choosesSubscription = [.modify, .terminate, .validate].contains(workflow.target)
            if choosesSubscription {
                input = try await SubscriptionChoice.expandPrefix(in: input, store: subscriptions)
                try await SubscriptionChoice.check(input, workflow: workflow, store: subscriptions, processes: store, products: products)
            }
            do {
                pages = try await (session ?? makeFormSession(flow)).evaluate(input)
            } catch let refusal as WorkflowError where choosesSubscription {
                // Another process may have taken the subscription between the check and the
                // page (so it is no longer offered): say that, naming the holder, rather than
                // "nothing to choose" or "not one of the choices".
                try await SubscriptionChoice.check(input, workflow: workflow, store: subscriptions, processes: store, products: products)
                throw refusal
            }
        } else {
            switch input {
            case .merged(let state):
                pages = state.isEmpty ? [] : [AnsweredPage(form: Form(name: "input", title: "Input", fields: []), answers: state)]
            case .pages(let states): pages = states.map { AnsweredPage(form: Form(name: "input", title: "Input", fields: []), answers: $0) }
            }
        }
        let reserved = pages.mergedAnswers.keys.filter { State.reservedKeys.contains($0) }.sorted()
        guard reserved.isEmpty else {
            throw WorkflowError(
                .invalidInput, "input may not set \(reserved.joined(separator: ", ")): the engine sets these", workflow: workflow.name)
        }
        return pages
    }

    private func create(_ workflow: WorkflowDefinition, input: FormInput, session: FormSession?, user: String, claim: Bool) async throws
        -> ProcessRecord
    {
        let prepared = try await prepare(workflow, input: input, session: session, user: user, claim: claim)
        try await store.insertProcess(prepared.process, inputs: prepared.inputs, locks: prepared.locks)
        logger.info(
            "process started", metadata: ["process.id": "\(prepared.process.processID)", "workflow.name": "\(workflow.name)", "user": "\(user)"])
        return prepared.process
    }

    /// A process of `name` as `enqueue` would create it (status `created`), checked but not
    /// stored: for a caller that stores it together with a write of its own (a schedule's run).
    public func prepareEnqueue(_ name: WorkflowName, input: FormInput, user: String) async throws -> PreparedProcess {
        try await prepare(try registry.workflow(named: name), input: input, session: nil, user: user, claim: false)
    }

    private func prepare(_ workflow: WorkflowDefinition, input: FormInput, session: FormSession?, user: String, claim: Bool) async throws
        -> PreparedProcess
    {
        // Every page validates before anything is stored.
        let pages = try await validate(workflow, input: input, session: session)
        let answers = pages.mergedAnswers
        let now = environment.now()
        let processID = ProcessID(environment.makeID())
        var state = answers
        state[raw: "process_id"] = .string(processID.description)
        state[raw: "workflow_name"] = .string(workflow.name)
        state[raw: "workflow_target"] = .string(workflow.target.rawValue)
        state[raw: "reporter"] = .string(user)
        state = state.merging(InputLabels.update(state, forms: pages.map { ($0.form, $0.answers) }))
        let process = ProcessRecord(
            processID: processID, workflowName: workflow.name, workflowVersion: workflow.version, isTask: workflow.target == .system,
            status: claim ? .running : .created, state: state, createdBy: user, startedAt: now, lastModifiedAt: now,
            leaseOwner: claim ? configuration.runnerID : nil, leaseExpiresAt: claim ? now + configuration.leaseDuration : nil)
        var records = pages.map { page in
            InputStateRecord(
                processID: processID, input: page.answers, kind: .initialState, createdBy: user, inputTime: now,
                page: workflow.initialForm == nil ? nil : page.form.name)
        }
        if records.isEmpty {
            records = [InputStateRecord(processID: processID, input: State(), kind: .initialState, createdBy: user, inputTime: now)]
        }
        return PreparedProcess(process: process, inputs: records, locks: try locks(for: workflow, answers: answers))
    }

    /// A form session for `flow` whose pages can use this engine's services and subscriptions.
    public func makeFormSession(_ flow: FormFlow) -> FormSession {
        FormSession(flow, services: services.registering(products), subscriptions: subscriptions, shared: subscriptionsCache)
    }

    /// A modify, terminate or validate process locks the subscription it works on
    /// (`subscription_id` in its input) from the moment it exists; modify and terminate only
    /// an in-sync one (checked again in the store's transaction, for racing starts).
    private func locks(for workflow: WorkflowDefinition, answers: State) throws -> [SubscriptionLock] {
        guard [.modify, .terminate, .validate].contains(workflow.target) else { return [] }
        guard let text = answers[raw: "subscription_id"]?.stringValue, let id = UUID(uuidString: text) else {
            throw WorkflowError(
                .invalidInput, "a \(workflow.target.rawValue) workflow needs the subscription it works on",
                workflow: workflow.name, problems: [FieldProblem(field: "subscription_id", reason: "is required (a subscription id)")])
        }
        return [SubscriptionLock(id, refuseIfInUse: workflow.target == .terminate, sync: SubscriptionChoice.syncRule(for: workflow.target))]
    }

    /// Claims a process for a retry (by an operator, or by the retry timer when `dueBy` is set).
    private func rerun(_ process: ProcessRecord, user: String, dueBy: Date?) async throws -> ProcessOutcome {
        let workflow = try registry.workflow(named: process.workflowName)
        guard let key = process.lastStep else {
            throw WorkflowError(.invalidTransition, "process \(process.processID) has no step to retry", processID: process.processID)
        }
        let index = try stepIndex(key, of: workflow, process: process)
        let attempt = try await nextAttempt(of: key, in: process.processID)
        let now = environment.now()
        let request = LeaseRequest(
            processID: process.processID, owner: configuration.runnerID, now: now, leaseExpiresAt: now + configuration.leaseDuration,
            from: dueBy == nil ? ProcessTransitions.sources(of: .retry) : [.waiting], dueBy: dueBy)
        let claimed = try await acquire(request, operation: .retry)
        return try await drive(claimed, workflow: workflow, from: index, attempt: attempt, user: user)
    }

    /// 1 + the number of `waiting` rows this step has written since it last did anything else.
    private func nextAttempt(of key: StepKey, in processID: ProcessID) async throws -> Int {
        let rows = try await store.steps(of: processID)
        let waits = rows.reversed().prefix { $0.key == key && $0.status == .waiting }.count
        return waits + 1
    }

    private func acquire(_ request: LeaseRequest, operation: ProcessTransitions.Operation) async throws -> ProcessRecord {
        if let claimed = try await store.acquire(request) { return claimed }
        let current = try await load(request.processID)
        try ProcessTransitions.check(operation, from: current.status, to: .running, processID: request.processID)
        if let owner = current.leaseOwner, let until = current.leaseExpiresAt, until > request.now {
            throw WorkflowError(
                .processBusy, "process \(request.processID) is being run by \(owner) (lease until \(until)); try again later",
                processID: request.processID)
        }
        if let dueBy = request.dueBy, let next = current.nextRetryAt, next > dueBy {
            throw WorkflowError(.processBusy, "process \(request.processID) is not due for a retry until \(next)", processID: request.processID)
        }
        throw WorkflowError(.processBusy, "process \(request.processID) changed meanwhile; try again", processID: request.processID)
    }

    /// Where the step `key` is in the current code; an error naming both versions when it is gone.
    private func stepIndex(_ key: StepKey, of workflow: WorkflowDefinition, process: ProcessRecord) throws -> Int {
        guard let index = workflow.steps.index(of: key) else {
            throw missingStep(key, workflow: workflow, process: process)
        }
        return index
    }

    private func missingStep(_ key: StepKey, workflow: WorkflowDefinition, process: ProcessRecord) -> WorkflowError {
        WorkflowError(
            .stepNotInWorkflow,
            "step '\(key)' of process \(process.processID) is no longer in workflow '\(workflow.name)' "
                + "(started with version \(process.workflowVersion), code is \(workflow.version)); abort the process and start it again",
            workflow: workflow.name, processID: process.processID, step: key)
    }

    /// Continues a claimed process with the step after `key` in the current code, so steps
    /// added or moved by a deploy since the process stopped are honoured.
    private func driveOn(
        _ process: ProcessRecord, after key: StepKey, workflow: WorkflowDefinition, user: String, drain: DrainSignal? = nil
    ) async throws -> ProcessOutcome {
        let index = try stepIndex(key, of: workflow, process: process)
        return try await drive(process, workflow: workflow, from: index + 1, attempt: 1, user: user, drain: drain)
    }
}
