import Foundation
import Logging
import Synchronization

/// The persisted name of a step, unique within its workflow. Resume and retry find the
/// next step by this key, never by position.
public struct StepKey: Sendable, Hashable, Codable, ExpressibleByStringLiteral, CustomStringConvertible, Comparable {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }
    public var description: String { rawValue }
    public static func < (lhs: StepKey, rhs: StepKey) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws { rawValue = try String(from: decoder) }
    public func encode(to encoder: any Encoder) throws { try rawValue.encode(to: encoder) }
}

/// What a step decided.
public enum StepResult: Sendable {
    /// Done; `updates` are merged shallowly into the state.
    case success(State)
    /// Nothing to do here (a condition was false); the process moves on.
    case skipped
    /// Ask a person: the process stops as `suspended` with this form until `resume`.
    case suspend(Form)
    /// A transient failure: park the process as `waiting` and try this step again later.
    case waiting(String)
    /// A permanent failure: the process stops as `failed`; `retry` runs this step again.
    case failed(String)
    /// The step found data it cannot repair (what a validation task reports): the process
    /// stops as `inconsistent_data` until someone repairs it and `retry` checks again.
    case inconsistent(String)
    /// Give up on the whole process: it becomes `aborted`.
    case abort(String)
    /// Finish the process now, successfully, skipping any remaining steps.
    case complete(State)

    public static var success: StepResult { .success(State()) }

    /// The result's kind, as the step duration metric labels it.
    var metricName: String {
        switch self {
        case .success: "success"
        case .skipped: "skipped"
        case .suspend: "suspend"
        case .waiting: "waiting"
        case .failed: "failed"
        case .inconsistent: "inconsistent"
        case .abort: "abort"
        case .complete: "complete"
        }
    }
}

/// How often and how patiently a step is retried after a transient failure.
public struct RetryPolicy: Sendable, Hashable, Codable {
    /// Attempts in all, the first one included.
    public var maxAttempts: Int
    /// Wait before the second attempt; each later wait is `multiplier` times longer, up to `maxDelay`.
    public var initialDelay: Duration
    public var multiplier: Double
    public var maxDelay: Duration

    public init(maxAttempts: Int = 5, initialDelay: Duration = .seconds(10), multiplier: Double = 2, maxDelay: Duration = .seconds(600)) {
        self.maxAttempts = max(1, maxAttempts)
        self.initialDelay = initialDelay
        self.multiplier = multiplier
        self.maxDelay = maxDelay
    }

    public static let standard = RetryPolicy()
    public static let never = RetryPolicy(maxAttempts: 1)

    /// The wait after failed attempt number `attempt` (1-based).
    public func delay(afterAttempt attempt: Int) -> Duration {
        let factor = pow(multiplier, Double(max(0, attempt - 1)))
        let seconds = min(initialDelay.seconds * factor, maxDelay.seconds)
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }
}

extension Duration {
    /// The duration in seconds, as a floating-point number.
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

/// One unit of work in a workflow: a key and a body from the current state to a result.
public struct Step: Sendable {
    public typealias Body = @Sendable (StepContext) async throws -> StepResult

    public let key: StepKey
    public var retryPolicy: RetryPolicy
    /// When false for the current state the step is logged as `skipped` without running.
    public var condition: (@Sendable (State) throws -> Bool)?
    /// For an input step: checks across the fields of its answer, given the process state
    /// with the answer merged in. Runs at resume, before anything is stored.
    public var inputValidator: (@Sendable (State) -> [FieldProblem])?
    /// A pure step changes only the process state and the subscriptions it saves: it calls
    /// out to nothing (no NetBox), asks no one, and reads from the store nothing an earlier
    /// step of its run saved. The runner commits a run of pure steps together with the step
    /// after them, in one transaction (each with its own log row, state, user and times);
    /// after a crash the uncommitted ones simply run again, as re-runnable steps may.
    public var isPure: Bool
    let body: Body

    public init(_ key: StepKey, retry: RetryPolicy = .standard, pure: Bool = false, body: @escaping Body) {
        self.key = key
        self.isPure = pure
        self.retryPolicy = retry
        self.condition = nil
        self.inputValidator = nil
        self.body = body
    }

    /// A step that always succeeds with the updates `body` returns.
    public static func updating(_ key: StepKey, pure: Bool = false, _ body: @escaping @Sendable (StepContext) async throws -> State) -> Step {
        Step(key, pure: pure) { context in .success(try await body(context)) }
    }

    /// A step that stops the process until a person answers `form` (built from the state).
    /// The answer, once valid, is merged into the state.
    ///
    /// `validate` checks across fields (`FieldProblem(field: "vlan", reason: "is in use")`);
    /// a resume whose answer has problems is refused and the process stays suspended.
    /// `assignee` names the user or team expected to answer (`wf processes --waiting-for`),
    /// unless the form names one itself.
    public static func inputStep(
        _ key: StepKey, assignee: String? = nil, form: @escaping @Sendable (StepContext) async throws -> Form,
        validate: (@Sendable (State) -> [FieldProblem])? = nil
    ) -> Step {
        var step = Step(key, retry: .never) { context in
            var asked = try await form(context)
            asked.assignee = asked.assignee ?? assignee
            return .suspend(asked)
        }
        step.inputValidator = validate
        return step
    }

    /// Runs the step's body; exposed for the runner only.
    func run(_ context: StepContext) async throws -> StepResult {
        if let condition, try !condition(context.state) { return .skipped }
        return try await body(context)
    }
}

/// What a step can see and use. Time, ids and the outside world come from here, so tests
/// control them; steps never call `Date()`, `UUID()` or `Task.sleep` themselves.
public struct StepContext: Sendable {
    public let processID: ProcessID
    public let workflow: String
    public let step: StepKey
    public let state: State
    public let user: String
    /// 1 on the first attempt of this step, 2 on the first retry, and so on.
    public let attempt: Int
    public let logger: Logger
    /// The products this build knows.
    public let products: ProductRegistry
    /// What the engine provides (a NetBox client, …): `try context.services.require(NetBoxClient.self)`.
    public let services: Services
    let subscriptionStore: any SubscriptionStore
    let processStore: any ProcessStore
    let environment: EngineEnvironment
    let staged: StagedWrites
    /// Where this run records its NetBox writes, fenced by the runner's lease.
    public let ledger: StepLedger

    public func now() -> Date { environment.now() }
    public func makeID() -> UUID { environment.makeID() }
    public func sleep(for duration: Duration) async throws { try await environment.sleep(duration) }

    /// Reads a typed key from the state.
    public subscript<Value>(key: StateKey<Value>) -> Value {
        get throws { try state.value(for: key) }
    }
}

/// Subscription writes a step staged; the runner commits them with the step's log row.
final class StagedWrites: Sendable {
    private let writes = Mutex<[SubscriptionWrite]>([])

    func append(_ write: SubscriptionWrite) {
        writes.withLock { $0.append(write) }
    }

    func take() -> [SubscriptionWrite] {
        writes.withLock { current in
            defer { current.removeAll() }
            return current
        }
    }
}

extension StepContext {
    /// Stages `model` to be saved in this step's transaction (a new version linked to this
    /// process and step) and returns the state update that carries it: `return .success(try context.save(model))`.
    public func save(_ model: SubscriptionModel) throws -> State {
        let product = try products.product(named: model.productName)
        var model = model
        model.root = product.root.assigningInstanceIDs(model.root, environment.makeID)
        if let description = product.describe(model.root), describesItself(model, product: product) { model.description = description }
        staged.append(SubscriptionWrite(model, product: product))
        return ["subscription": model.json]
    }

    /// Whether the product's description replaces the model's: yes for a new subscription and
    /// for one whose description is still the product's own; no when this step changed the
    /// description, or an earlier one did (modify_node's new description must survive the
    /// saves after it, `resync` included).
    private func describesItself(_ model: SubscriptionModel, product: ProductDefinition) -> Bool {
        guard let json = state[raw: "subscription"], let previous = try? SubscriptionModel(json: json),
            previous.subscriptionID == model.subscriptionID
        else { return true }
        guard model.description == previous.description else { return false }
        return previous.description.isEmpty || previous.description == product.describe(previous.root)
    }

    /// Stages a typed subscription; see `save(_:)`.
    public func save<Root>(_ subscription: Subscription<Root>) throws -> State {
        try save(try subscription.encoded())
    }

    /// The subscription as it is stored now.
    public func loadSubscription(_ id: UUID) async throws -> SubscriptionModel {
        guard let model = try await subscriptionStore.subscription(id) else {
            throw WorkflowError(.subscriptionNotFound, "subscription \(id.uuidString.lowercased()) does not exist")
        }
        return model
    }

    /// The subscriptions `filter` lists, as they are stored now (a task that checks them all).
    /// Read-only: a step changes subscriptions only through `save`, in its own transaction.
    public func subscriptions(_ filter: SubscriptionFilter) async throws -> [SubscriptionSummary] {
        try await subscriptionStore.subscriptions(filter)
    }

    /// The live subscriptions that use `id` (a terminate's last look before it releases resources).
    public func subscriptionsUsing(_ id: UUID) async throws -> [SubscriptionSummary] {
        try await subscriptionStore.usedBy(id)
    }

    /// Every saved version of subscription `id`, oldest first (an undo finds the one before its process).
    public func versions(of id: UUID) async throws -> [SubscriptionVersion] {
        try await subscriptionStore.versions(of: id)
    }

    /// Another process, as stored (an undo reads the process it undoes); nil when there is none.
    public func process(_ id: ProcessID) async throws -> ProcessRecord? {
        try await processStore.process(id)
    }

    /// What aborted processes changed in subscription `id` that nobody confirmed as applied.
    public func unconfirmedChanges(of id: UUID) async throws -> UnconfirmedChanges {
        try await UnconfirmedChanges.find(id, subscriptions: subscriptionStore, processes: processStore)
    }

    /// The subscription model the state carries under "subscription".
    public func subscriptionModel() throws -> SubscriptionModel {
        guard let json = state[raw: "subscription"] else {
            throw WorkflowError(.missingStateKey, "state key 'subscription' is missing")
        }
        return try SubscriptionModel(json: json)
    }

    /// The typed subscription the state carries under "subscription".
    public func subscription<Root: ProductBlock>(_ root: Root.Type) throws -> Subscription<Root> {
        try Subscription<Root>(try subscriptionModel())
    }
}
