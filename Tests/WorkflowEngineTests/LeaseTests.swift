import Foundation
import Testing
import WorkflowEngine
import WorkflowTestKit

@Suite("Leases: one runner per process, dead runners taken over", .storeSlots, .timeLimit(.minutes(5)))
struct LeaseTests {
    /// `first >>> work >>> last >>> done`, where `work` hangs on its first run until the gate opens
    /// (or its runner is cancelled), and every step records each run.
    struct HangingFlow {
        let gate = Gate()
        let runs = Recorder<String>()
        let workCalls = CallCounter()

        var definition: WorkflowDefinition {
            let (gate, runs, workCalls) = (gate, runs, workCalls)
            func recording(_ key: StepKey) -> Step {
                Step(key) { _ in
                    runs.record(key.rawValue)
                    return .success(State([key.rawValue: true]))
                }
            }
            let work = Step("work") { context in
                if workCalls.next() == 1 { await gate.hold() }
                runs.record("work")
                return .success(["work": .string(context.user)])
            }
            return workflow(begin >>> recording("first") >>> work >>> recording("last") >>> done)
        }
    }

    @Test func processOfADeadRunnerIsTakenOverOnceItsLeaseExpires() async throws {
        let flow = HangingFlow()
        let harness = try await Harness([flow.definition])
        let runnerA = Task { try await harness.engine.start(flow.definition.name, user: "alice") }
        await flow.gate.waitUntilHeld()
        let id = try #require(try await harness.store.processes(ProcessFilter()).first).processID

        // Runner A dies in the middle of `work`: nothing of that step is written.
        runnerA.cancel()
        await #expect(throws: CancellationError.self) { try await runnerA.value }
        let orphan = try await harness.process(id)
        #expect(orphan.status == .running)
        #expect(orphan.leaseOwner == "runner-a")
        #expect(orphan.lastStep == "first")

        let runnerB = try await harness.engine([flow.definition], runner: "runner-b", ownConnection: true)
        harness.clock.advance(by: .seconds(31))
        let recovered = try await runnerB.recover(user: "runner-b")

        #expect(recovered.map(\.processID) == [id])
        #expect(recovered.first?.status == .completed)
        #expect(flow.workCalls.value == 2, "the step that was running when A died runs again")
        #expect(flow.runs.values.filter { $0 == "first" }.count == 1, "committed steps are not run again")
        #expect(try await harness.log(id) == ["first: success", "work: success", "last: success", "done: complete"])
        let stored = try await harness.process(id)
        #expect(stored.status == .completed)
        #expect(stored.state[raw: "work"] == "runner-b")
        #expect(stored.leaseOwner == nil)
    }

    @Test func processWithALiveLeaseIsNotTakenOver() async throws {
        let flow = HangingFlow()
        let harness = try await Harness([flow.definition])
        let runnerA = Task { try await harness.engine.start(flow.definition.name, user: "alice") }
        await flow.gate.waitUntilHeld()
        let candidate = try #require(try await harness.store.processes(ProcessFilter()).first)
        let runnerB = try await harness.engine([flow.definition], runner: "runner-b", ownConnection: true)
        harness.clock.advance(by: .seconds(29))

        let recovered = try await runnerB.recover(user: "runner-b")
        let takenOver = try await runnerB.takeOver(candidate, user: "runner-b")

        #expect(recovered.isEmpty)
        #expect(takenOver == nil)
        #expect(flow.workCalls.value == 1)
        #expect(try await harness.process(candidate.processID).leaseOwner == "runner-a")

        flow.gate.open()
        let outcome = try await runnerA.value
        #expect(outcome.status == .completed, "runner A finishes its own process")
        #expect(outcome.state[raw: "work"] == "alice")
    }

    @Test func runnerWhoseLeaseWasTakenOverCannotCommitItsStep() async throws {
        let flow = HangingFlow()
        let harness = try await Harness([flow.definition])
        let runnerA = Task { try await harness.engine.start(flow.definition.name, user: "alice") }
        await flow.gate.waitUntilHeld()
        let id = try #require(try await harness.store.processes(ProcessFilter()).first).processID
        harness.clock.advance(by: .seconds(31))
        let runnerB = try await harness.engine([flow.definition], runner: "runner-b", ownConnection: true)
        let recovered = try await runnerB.recover(user: "runner-b")
        #expect(recovered.first?.status == .completed)

        // Runner A was only slow, not dead: its late result must not be written.
        flow.gate.open()
        let outcome = try await runnerA.value

        #expect(outcome.status == .completed)
        #expect(outcome.state[raw: "work"] == "runner-b")
        #expect(try await harness.log(id) == ["first: success", "work: success", "last: success", "done: complete"])
        #expect(try await harness.steps(id).first { $0.key == "work" }?.createdBy == "runner-b")
    }

    @Test(arguments: 1...20)
    func twoRunnersRacingForAnExpiredProcessRunItOnce(round: Int) async throws {
        let runs = Recorder<String>()
        func recording(_ key: StepKey) -> Step {
            Step(key) { _ in
                runs.record(key.rawValue)
                return .success(State([key.rawValue: true]))
            }
        }
        let flow = workflow(begin >>> recording("a") >>> recording("b") >>> recording("c") >>> done)
        let harness = try await Harness([flow])
        let orphan = try await harness.insert(
            flow, status: .running, leaseOwner: "dead-runner", leaseExpiresAt: harness.clock.now.addingTimeInterval(-1))
        var engines: [Engine] = []
        for runner in ["runner-x", "runner-y"] { engines.append(try await harness.engine([flow], runner: runner, ownConnection: true)) }

        let outcomes = try await withThrowingTaskGroup(of: [ProcessOutcome].self) { group in
            for engine in engines {
                group.addTask { try await engine.recover(user: engine.configuration.runnerID) }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }

        #expect(outcomes.count == 1, "exactly one runner wins")
        #expect(outcomes.first?.status == .completed)
        #expect(runs.values.sorted() == ["a", "b", "c"], "each step ran once")
        let rows = try await harness.steps(orphan.processID)
        #expect(rows.map(\.key) == ["a", "b", "c", "done"])
        #expect(rows.allSatisfy { $0.status.isPassed })
        #expect(Set(rows.map(\.createdBy)).count == 1, "one runner wrote the whole log")
    }

    @Test(arguments: 1...20)
    func twoRunnersRacingForADueWaitingProcessRunItOnce(round: Int) async throws {
        let calls = CallCounter()
        let fetch = Step("fetch", retry: RetryPolicy(maxAttempts: 3, initialDelay: .seconds(10))) { _ in
            if calls.next() == 1 { throw StepError("busy", isRetryable: true) }
            return .success(["fetched": true])
        }
        let flow = workflow(begin >>> fetch >>> done)
        let harness = try await Harness([flow])
        let started = try await harness.engine.start(flow.name, user: "alice")
        #expect(started.status == .waiting)
        harness.clock.advance(by: .seconds(11))
        var engines: [Engine] = []
        for runner in ["runner-x", "runner-y"] { engines.append(try await harness.engine([flow], runner: runner, ownConnection: true)) }

        let outcomes = try await withThrowingTaskGroup(of: [ProcessOutcome].self) { group in
            for engine in engines {
                group.addTask { try await engine.recover(user: engine.configuration.runnerID) }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }

        #expect(outcomes.map(\.status) == [.completed], "exactly one runner wins; the other skips it")
        #expect(calls.value == 2)
        #expect(try await harness.log(started.processID) == ["fetch: waiting", "fetch: success", "done: complete"])
    }

    @Test func commitByARunnerThatDoesNotOwnTheLeaseIsRefusedAndWritesNothing() async throws {
        let flow = workflow(begin >>> succeed("a") >>> done)
        let harness = try await Harness([flow])
        let now = harness.clock.now
        let process = try await harness.insert(
            flow, status: .running, state: ["x": 1], leaseOwner: "runner-a", leaseExpiresAt: now + .seconds(30))
        let before = try await harness.process(process.processID)
        func commit(by owner: String) -> StepCommit {
            let row = StepRecord(
                stepID: UUID(), processID: process.processID, key: "a", status: .success, state: ["x": 2], createdBy: owner, startedAt: now,
                completedAt: now)
            return StepCommit(step: row, owner: owner, status: .running, state: ["x": 2])
        }

        let error = try await #require(throws: WorkflowError.self) { try await harness.store.commitStep(commit(by: "runner-b")) }

        #expect(error.code == .leaseLost)
        #expect(error.processID == process.processID)
        #expect(try await harness.process(process.processID) == before)
        #expect(try await harness.steps(process.processID).isEmpty)

        try await harness.store.commitStep(commit(by: "runner-a"))
        #expect(try await harness.process(process.processID).state == ["x": 2], "the owner can commit")
        #expect(try await harness.log(process.processID) == ["a: success"])
    }
}
