import Foundation
import Persistence
import Synchronization
import Testing
import WorkflowEngine
import WorkflowTestKit
import Workflows

/// Pure steps (`Step.isPure`) on each store: a run of them commits once, before the next step
/// that is not pure, each with its own log row; a crash before that commit loses the run,
/// which runs again once, and a step that calls out never runs on uncommitted ground.
@Suite("Pure steps: one commit for a run of them", .storeSlots, .timeLimit(.minutes(5)))
struct PureStepTests {
    /// Who ran what, in order.
    final class Runs: Sendable {
        let keys = Mutex<[String]>([])
        func record(_ key: String) { keys.withLock { $0.append(key) } }
        var all: [String] { keys.withLock { $0 } }
    }

    static func workflow(_ runs: Runs) -> WorkflowDefinition {
        func pure(_ key: String) -> Step {
            Step(StepKey(key), pure: true) { context in
                runs.record(key)
                return .success([key: .int(context.state.keys.count)])
            }
        }
        let callsOut = Step("calls_out") { _ in
            runs.record("calls_out")
            return .success(["called": true])
        }
        return WorkflowDefinition(
            name: "pure_run", target: .system, description: "pure steps around one that calls out",
            steps: StepList([pure("p1"), pure("p2"), callsOut, pure("p3"), done]))
    }

    /// An engine whose commits go through a `CrashingStore` over a fresh store.
    static func engine(_ kind: StoreKind, _ flow: WorkflowDefinition, crashing: Set<StepKey> = []) async throws
        -> (Engine, CrashingStore, TemporaryStore, ManualClock)
    {
        let temporary = try await TemporaryStore(kind: kind, workflows: [flow])
        let crash = CrashingStore(temporary.store, crashingAfter: crashing)
        let clock = ManualClock(Date())
        let testing = try Engine.testing(store: temporary.store, workflows: [flow], clock: clock)
        let engine = Engine(
            store: crash, registry: testing.registry, subscriptions: temporary.store, configuration: testing.configuration,
            environment: testing.environment, logger: testing.logger)
        return (engine, crash, temporary, clock)
    }

    /// Stands for the PostgreSQL cases below, dropped without a server.
    @Test(.enabled(if: StoreKind.postgresURL != nil, StoreKind.postgresCasesSkipped(3)))
    func postgreSQLCasesRan() async throws {
        #expect(StoreKind.available.contains(.postgres))
    }

    @Test(arguments: StoreKind.available)
    func aRunOfPureStepsCommitsOnceBeforeTheStepThatCallsOutAndEachKeepsItsOwnRow(kind: StoreKind) async throws {
        let runs = Runs()
        let (engine, crash, temporary, _) = try await Self.engine(kind, Self.workflow(runs))
        let outcome = try await engine.start("pure_run", user: "alice")
        #expect(outcome.status == .completed)
        #expect(crash.commits.withLock { $0 } == [["p1", "p2"], ["calls_out"], ["p3", "done"]])
        #expect(runs.all == ["p1", "p2", "calls_out", "p3"], "done records nothing")
        let steps = try await temporary.store.steps(of: outcome.processID)
        #expect(steps.map(\.key.rawValue) == ["p1", "p2", "calls_out", "p3", "done"])
        #expect(steps.allSatisfy { $0.createdBy == "alice" })
        // Each row has the state after its own step, not the run's.
        #expect(steps[0].state[raw: "p1"] != nil && steps[0].state[raw: "p2"] == nil)
        #expect(steps[1].state[raw: "p2"] != nil && steps[1].state[raw: "called"] == nil)
        #expect(steps[3].state[raw: "p3"] != nil)
    }

    @Test(arguments: StoreKind.available)
    func aCrashBeforeARunIsCommittedRunsItAgainOnceAndNeverTheStepAfterIt(kind: StoreKind) async throws {
        let runs = Runs()
        let (engine, _, temporary, clock) = try await Self.engine(kind, Self.workflow(runs), crashing: ["p2"])
        await #expect(throws: CrashingStore.Crash.self) { _ = try await engine.start("pure_run", user: "alice") }
        #expect(runs.all == ["p1", "p2"], "the step that calls out does not run on uncommitted steps")
        let process = try #require(try await temporary.store.processes(ProcessFilter(limit: 1)).first)
        #expect(try await temporary.store.steps(of: process.processID).isEmpty, "the run was lost whole")
        clock.advance(by: .seconds(60))
        let recovered = try #require(try await engine.recover(user: "bob").first)
        #expect(recovered.status == .completed)
        #expect(runs.all == ["p1", "p2", "p1", "p2", "calls_out", "p3"])
        let steps = try await temporary.store.steps(of: recovered.processID)
        #expect(steps.map(\.key.rawValue) == ["p1", "p2", "calls_out", "p3", "done"], "each step logged once")
    }

    @Test(arguments: StoreKind.available)
    func aCrashAtTheLastRunKeepsTheStepThatCalledOutAndRunsOnlyThePureOnesAgain(kind: StoreKind) async throws {
        let runs = Runs()
        let (engine, _, temporary, clock) = try await Self.engine(kind, Self.workflow(runs), crashing: ["done"])
        await #expect(throws: CrashingStore.Crash.self) { _ = try await engine.start("pure_run", user: "alice") }
        clock.advance(by: .seconds(60))
        let recovered = try #require(try await engine.recover(user: "bob").first)
        #expect(recovered.status == .completed)
        #expect(runs.all == ["p1", "p2", "calls_out", "p3", "p3"], "calls_out was committed and does not run again")
        let steps = try await temporary.store.steps(of: recovered.processID)
        #expect(steps.map(\.key.rawValue) == ["p1", "p2", "calls_out", "p3", "done"])
    }
}
