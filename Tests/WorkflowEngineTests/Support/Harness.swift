import Foundation
import Persistence
import Synchronization
import Testing
import WorkflowEngine
import WorkflowTestKit

/// A migrated temporary SQLite store, a manual clock and an engine running `workflows` on
/// them, as runner `runner-a`. Keep the harness alive for the whole test: releasing it
/// deletes the database.
final class Harness: Sendable {
    let temporary: TemporaryStore
    let clock: ManualClock
    let products: ProductRegistry
    let engine: Engine

    var store: any WorkflowStore { temporary.store }

    /// With `products`, their catalog is synced into the database too, so steps can save subscriptions.
    init(_ workflows: [WorkflowDefinition], products: ProductRegistry = .empty, clock: ManualClock = ManualClock(), runner: String = "runner-a")
        async throws
    {
        temporary = try await TemporaryStore(workflows: workflows, products: products.products, now: clock.now)
        self.clock = clock
        self.products = products
        engine = try Engine.testing(store: temporary.store, workflows: workflows, products: products, clock: clock, runner: runner)
    }

    /// Another engine on the same database and clock: new code after a deploy, or a second
    /// runner. With `ownConnection` it opens the file again, as another `wf` process would.
    func engine(_ workflows: [WorkflowDefinition], runner: String, ownConnection: Bool = false) async throws -> Engine {
        let store: any WorkflowStore = ownConnection ? try await temporary.reopen() : temporary.store
        return try Engine.testing(store: store, workflows: workflows, products: products, clock: clock, runner: runner)
    }

    func process(_ id: ProcessID) async throws -> ProcessRecord {
        try #require(await store.process(id), "process \(id) should exist")
    }

    func steps(_ id: ProcessID) async throws -> [StepRecord] {
        try await store.steps(of: id)
    }

    /// `key: status` for every row of the step log, in order: easy to compare and to read in a failure.
    func log(_ id: ProcessID) async throws -> [String] {
        try await steps(id).map { "\($0.key): \($0.status.rawValue)" }
    }

    /// Inserts a process as if some runner had created it, bypassing the engine.
    @discardableResult
    func insert(
        _ workflow: WorkflowDefinition, status: ProcessStatus, state: State = State(), lastStep: StepKey? = nil,
        leaseOwner: String? = nil, leaseExpiresAt: Date? = nil, nextRetryAt: Date? = nil
    ) async throws -> ProcessRecord {
        let id = ProcessID(UUID())
        var full = state
        full[raw: "process_id"] = .string(id.description)
        full[raw: "workflow_name"] = .string(workflow.name)
        full[raw: "workflow_target"] = .string(workflow.target.rawValue)
        full[raw: "reporter"] = "someone"
        let record = ProcessRecord(
            processID: id, workflowName: workflow.name, workflowVersion: workflow.version, isTask: workflow.target == .system, status: status,
            lastStep: lastStep, state: full, createdBy: "someone", startedAt: clock.now, lastModifiedAt: clock.now, leaseOwner: leaseOwner,
            leaseExpiresAt: leaseExpiresAt, nextRetryAt: nextRetryAt)
        try await store.insertProcess(
            record, input: InputStateRecord(processID: id, input: state, kind: .initialState, createdBy: "someone", inputTime: clock.now))
        return record
    }
}

/// A workflow definition for tests; the name defaults to one shared by all variants of it.
func workflow(_ steps: StepList, named name: WorkflowName = "test_flow", target: WorkflowTarget = .create, form: Form? = nil)
    -> WorkflowDefinition
{
    WorkflowDefinition(name: name, target: target, description: "test workflow \(name)", initialForm: form.map(FormFlow.init), steps: steps)
}

/// A step that succeeds with fixed updates.
func succeed(_ key: StepKey, _ updates: State = State()) -> Step {
    Step(key) { _ in .success(updates) }
}

/// A step that suspends with a fixed form.
func ask(_ key: StepKey, _ form: Form) -> Step {
    Step.inputStep(key) { _ in form }
}

/// Collects values from steps running on any task.
final class Recorder<Value: Sendable>: Sendable {
    private let storage = Mutex<[Value]>([])

    init() {}

    func record(_ value: Value) {
        storage.withLock { $0.append(value) }
    }

    var values: [Value] { storage.withLock { $0 } }
    var count: Int { storage.withLock { $0.count } }
}

/// Counts calls and returns the new count, so a step can behave differently on its Nth run.
final class CallCounter: Sendable {
    private let count = Mutex(0)

    init() {}

    func next() -> Int {
        count.withLock {
            $0 += 1
            return $0
        }
    }

    var value: Int { count.withLock { $0 } }
}

/// Holds a step until the test opens it, and tells the test when a step is being held.
/// `hold()` also returns when the holding task is cancelled.
final class Gate: Sendable {
    private let entered: AsyncStream<Void>
    private let enteredContinuation: AsyncStream<Void>.Continuation
    private let opened: AsyncStream<Void>
    private let openedContinuation: AsyncStream<Void>.Continuation

    init() {
        (entered, enteredContinuation) = AsyncStream.makeStream()
        (opened, openedContinuation) = AsyncStream.makeStream()
    }

    /// Called by the step: announces itself and waits for `open()` (or cancellation).
    func hold() async {
        enteredContinuation.yield()
        for await _ in opened {}
    }

    /// Called by the test: returns once a step is held.
    func waitUntilHeld() async {
        for await _ in entered { return }
    }

    func open() {
        openedContinuation.finish()
    }
}

/// An id generator whose first id is `first` (the process id) and random after that.
func fixedFirstID(_ first: ProcessID) -> @Sendable () -> UUID {
    let counter = CallCounter()
    return { counter.next() == 1 ? first.uuid : UUID() }
}

/// Hands out the given ids in order, then random ones.
final class IDQueue: Sendable {
    private let ids: Mutex<[UUID]>

    init(_ ids: [UUID]) {
        self.ids = Mutex(ids)
    }

    func next() -> UUID {
        ids.withLock { $0.isEmpty ? UUID() : $0.removeFirst() }
    }
}
