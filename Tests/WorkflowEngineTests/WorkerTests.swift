import Foundation
import Persistence
import Testing
import WorkflowEngine
import WorkflowTestKit

/// Long-running workers on each store: they run what was enqueued, retry what is due, go on
/// where a dead runner stopped, and on `stop()` hand their processes over after the step they
/// are in. A worker sleeps in real time (polls, heartbeats), so these tests run on the wall
/// clock; they wait for conditions and then assert on the data, never on how long it took.
@Suite("Workers: claim, run, hand over", .storeSlots, .timeLimit(.minutes(5)))
struct WorkerTests {
    /// Stands for the PostgreSQL cases the store tests below drop without a server, so that
    /// the run names them as skipped; with one, checks that a PostgreSQL store opens.
    @Test(.enabled(if: StoreKind.postgresURL != nil, StoreKind.postgresCasesSkipped(4)))
    func postgreSQLCasesRan() async throws {
        #expect(StoreKind.available.contains(.postgres))
        let temporary = try await TemporaryStore(kind: .postgres)
        #expect(try await temporary.store.migrationStatus().allSatisfy { $0.state == .applied })
    }

    @Test(arguments: StoreKind.available)
    func workerRunsEnqueuedProcessesOfSeveralWorkflowsToCompletion(kind: StoreKind) async throws {
        let runs = Recorder<String>()
        func recording(_ key: StepKey) -> Step {
            Step(key) { context in
                runs.record("\(context.processID) \(key)")
                return .success(State([key.rawValue: .string(context.user)]))
            }
        }
        // The first process to reach `meet` waits there for a second one: it can only pass
        // when the worker runs two processes side by side.
        let gate = Gate()
        let meetings = CallCounter()
        let meet = Step("meet") { context in
            if meetings.next() == 1 { await gate.hold() } else { gate.open() }
            runs.record("\(context.processID) meet")
            return .success(["met": true])
        }
        let alpha = workflow(begin >>> recording("a1") >>> meet >>> recording("a2") >>> done, named: "alpha")
        let beta = workflow(begin >>> recording("b1") >>> recording("b2") >>> recording("b3") >>> done, named: "beta")
        let bench = try await WorkerBench(kind, [alpha, beta])
        let client = bench.engine("client")
        let worker = try await bench.worker("worker-a", concurrency: 4)

        var enqueued: [ProcessID: WorkflowDefinition] = [:]
        for _ in 0..<4 {
            enqueued[try await client.enqueue(alpha.name, user: "alice")] = alpha
            enqueued[try await client.enqueue(beta.name, user: "alice")] = beta
        }
        try await whileRunning(worker) {
            // Some are waiting before the worker starts, some come while it runs.
            for _ in 0..<4 {
                enqueued[try await client.enqueue(beta.name, user: "alice")] = beta
                enqueued[try await client.enqueue(alpha.name, user: "alice")] = alpha
            }
            try await waitUntil("16 processes to complete") { try await bench.completed(Array(enqueued.keys)) }
        }

        #expect(worker.outcomes == [.completed: 16])
        for (id, flow) in enqueued {
            let process = try #require(try await bench.store.process(id))
            #expect(process.status == .completed)
            #expect(process.leaseOwner == nil)
            let keys = flow.name == alpha.name ? ["a1", "meet", "a2"] : ["b1", "b2", "b3"]
            #expect(try await bench.log(id) == keys.map { "\($0): success" } + ["done: complete"])
            #expect(process.state[raw: keys[0]] == "alice", "steps run as the user who enqueued the process")
        }
        #expect(runs.count == 16 * 3)
        #expect(Set(runs.values).count == runs.count, "no step ran twice")
        #expect(try await bench.store.workers().isEmpty, "a worker that stopped deregisters")
    }

    @Test(arguments: StoreKind.available)
    func workerRetriesAWaitingProcessOnceItIsDueAndNotBefore(kind: StoreKind) async throws {
        let calls = CallCounter()
        let soon = Step("fetch", retry: RetryPolicy(maxAttempts: 3, initialDelay: .milliseconds(300))) { context in
            if calls.next() == 1 { throw StepError("NetBox is busy", isRetryable: true) }
            return .success(["attempt": .int(context.attempt)])
        }
        let later = Step("fetch", retry: RetryPolicy(maxAttempts: 3, initialDelay: .seconds(3600))) { _ in
            throw StepError("NetBox is down for the night", isRetryable: true)
        }
        let quick = workflow(begin >>> soon >>> done, named: "retry_soon")
        let slow = workflow(begin >>> later >>> done, named: "retry_in_an_hour")
        let bench = try await WorkerBench(kind, [quick, slow])
        let client = bench.engine("client")
        let worker = try await bench.worker("worker-a")
        let due = try await client.enqueue(quick.name, user: "alice")
        let notDue = try await client.enqueue(slow.name, user: "alice")

        try await whileRunning(worker) {
            try await waitUntil("the retried process to complete") { try await bench.completed([due]) }
        }

        #expect(try await bench.log(due) == ["fetch: waiting", "fetch: success", "done: complete"])
        #expect(try await bench.store.process(due)?.state[raw: "attempt"] == 2)
        #expect(calls.value == 2)
        let waiting = try #require(try await bench.store.process(notDue))
        #expect(waiting.status == .waiting, "its retry is an hour away")
        #expect(waiting.leaseOwner == nil)
        #expect(try await bench.log(notDue) == ["fetch: waiting"])
    }

    @Test(arguments: StoreKind.available)
    func workerGoesOnAfterTheLastLoggedStepOfARunnerWhoseLeaseExpired(kind: StoreKind) async throws {
        let runs = Recorder<String>()
        func recording(_ key: StepKey) -> Step {
            Step(key) { _ in
                runs.record(key.rawValue)
                return .success(State([key.rawValue: true]))
            }
        }
        let flow = workflow(begin >>> recording("a") >>> recording("b") >>> recording("c") >>> recording("d") >>> done)
        let bench = try await WorkerBench(kind, [flow])
        let id = try await bench.engine("client").enqueue(flow.name, user: "alice")
        // A runner claimed it, logged `a` and `b`, and died; its lease ran out a second ago.
        let now = Date()
        let claimed = try #require(
            try await bench.store.claimRunnable(owner: "dead-runner", now: now, leaseExpiresAt: now.addingTimeInterval(-1), limit: 1).first)
        var state = claimed.process.state
        for key: StepKey in ["a", "b"] {
            state = state.merging(State([key.rawValue: true]))
            let row = StepRecord(
                stepID: UUID(), processID: id, key: key, status: .success, state: state, createdBy: "alice", startedAt: now, completedAt: now)
            try await bench.store.commitStep(StepCommit(step: row, owner: "dead-runner", status: .running, state: state))
        }
        let worker = try await bench.worker("worker-a")

        try await whileRunning(worker) {
            try await waitUntil("the orphaned process to complete") { try await bench.completed([id]) }
        }

        #expect(runs.values == ["c", "d"], "the logged steps do not run again")
        #expect(try await bench.log(id) == ["a: success", "b: success", "c: success", "d: success", "done: complete"])
        let process = try #require(try await bench.store.process(id))
        #expect(process.state == state.merging(["c": true, "d": true]))
        #expect(process.leaseOwner == nil)
    }

    @Test(arguments: StoreKind.available)
    func stoppedWorkerHandsItsProcessesOverAfterTheirCurrentStepAndAnotherCompletesThem(kind: StoreKind) async throws {
        let runs = Recorder<String>()
        let gate = Gate()
        func recording(_ key: StepKey) -> Step {
            Step(key) { context in
                runs.record("\(context.processID) \(key)")
                return .success(State([key.rawValue: true]))
            }
        }
        // Holds every process that reaches it until the gate opens; after that, passes at once.
        let work = Step("work") { context in
            await gate.hold()
            runs.record("\(context.processID) work")
            return .success(["work": true])
        }
        let flow = workflow(begin >>> recording("first") >>> work >>> recording("last") >>> done)
        let bench = try await WorkerBench(kind, [flow])
        let client = bench.engine("client")
        var ids: [ProcessID] = []
        for _ in 0..<3 { ids.append(try await client.enqueue(flow.name, user: "alice")) }
        let workerA = try await bench.worker("worker-a", concurrency: 2)

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await workerA.run() }
            for _ in 0..<2 { await gate.waitUntilHeld() }
            let held = try await bench.store.workers()
            #expect(held.map(\.workerID) == ["worker-a"])
            #expect(held.first?.concurrency == 2)
            #expect(held.first?.holding.count == 2)

            workerA.stop()
            gate.open()
            // `run()` returns once both processes have handed over.
            try await group.waitForAll()
        }

        #expect(workerA.outcomes == [.running: 2])
        #expect(try await bench.store.workers().isEmpty)
        var handedOver: [ProcessID] = []
        for id in ids {
            let process = try #require(try await bench.store.process(id))
            if process.status == .created {
                #expect(try await bench.log(id).isEmpty, "a stopping worker claims nothing new")
                continue
            }
            handedOver.append(id)
            #expect(process.status == .running)
            #expect(process.leaseOwner == nil, "the lease is released, not left to expire")
            #expect(process.leaseExpiresAt == nil)
            #expect(process.lastStep == "work")
            #expect(try await bench.log(id) == ["first: success", "work: success"], "stopped after the step it was in")
        }
        #expect(handedOver.count == 2)
        #expect(runs.values.filter { $0.hasSuffix(" last") }.isEmpty)

        let workerB = try await bench.worker("worker-b", ownStore: true)
        try await whileRunning(workerB) {
            try await waitUntil("the worker that took over to complete them") { try await bench.completed(ids) }
        }

        #expect(workerB.outcomes == [.completed: 3])
        for id in ids {
            #expect(try await bench.log(id) == ["first: success", "work: success", "last: success", "done: complete"])
            for key in ["first", "work", "last"] {
                #expect(runs.values.filter { $0 == "\(id) \(key)" }.count == 1, "\(key) ran once for \(id)")
            }
        }
    }
}

/// A migrated store of `kind` that knows `workflows`, and workers on it in real time: a
/// worker's poll and heartbeat sleeps are real, which a manual clock would never wake.
final class WorkerBench: Sendable {
    let temporary: TemporaryStore
    /// Lends its registry and its quiet logger; its manual clock is not used.
    private let template: Engine

    var store: any WorkflowStore { temporary.store }

    init(_ kind: StoreKind, _ workflows: [WorkflowDefinition]) async throws {
        temporary = try await TemporaryStore(kind: kind, workflows: workflows)
        template = try Engine.testing(store: temporary.store, workflows: workflows)
    }

    /// An engine on the wall clock, run as `runner`, on `store` (by default the bench's own).
    func engine(_ runner: String, store: (any WorkflowStore)? = nil) -> Engine {
        Engine(
            store: store ?? self.store, registry: template.registry, configuration: EngineConfiguration(runnerID: runner), environment: .live,
            logger: template.logger)
    }

    /// A worker run as `runner`, polling often; with `ownStore` on a store of its own, as
    /// another `wf worker` process would be.
    func worker(_ runner: String, concurrency: Int = 4, ownStore: Bool = false) async throws -> Worker {
        let store = ownStore ? try await temporary.reopen() : self.store
        return Worker(
            engine: engine(runner, store: store), store: store,
            configuration: WorkerConfiguration(concurrency: concurrency, pollInterval: .milliseconds(50), heartbeatInterval: .milliseconds(200)))
    }

    /// Whether every one of `ids` has completed.
    func completed(_ ids: [ProcessID]) async throws -> Bool {
        let done = try await store.processes(ProcessFilter(statuses: [.completed], limit: 10_000)).map(\.processID)
        return Set(ids).isSubset(of: done)
    }

    /// `key: status` for every row of the step log, in order.
    func log(_ id: ProcessID) async throws -> [String] {
        try await store.steps(of: id).map { "\($0.key): \($0.status.rawValue)" }
    }
}

/// Runs `worker` while `body` runs, then stops it and waits for `run()` to return. When
/// `body` throws, the worker is cancelled instead.
func whileRunning(_ worker: Worker, _ body: () async throws -> Void) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await worker.run() }
        try await body()
        worker.stop()
        try await group.waitForAll()
    }
}

/// Polls `condition` until it holds. The timeout only ends a test that hangs: nothing is
/// asserted on how long the wait took.
func waitUntil(_ what: String, timeout: Duration = .seconds(60), _ condition: () async throws -> Bool) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    Issue.record("timed out after \(timeout) waiting for \(what)")
    throw CancellationError()
}
