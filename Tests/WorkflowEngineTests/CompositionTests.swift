import Foundation
import Testing
import WorkflowEngine
import WorkflowTestKit

@Suite("Composition and ordering of step lists", .storeSlots)
struct CompositionTests {
    @Test func chainingStepsKeepsTheirOrder() {
        let list = begin >>> succeed("a") >>> succeed("b") >>> done
        #expect(list.keys == ["a", "b", "done"])
    }

    @Test func chainingTwoListsConcatenatesThem() {
        let first = begin >>> succeed("a") >>> succeed("b")
        let second = succeed("c") >>> succeed("d")
        #expect((first >>> second).keys == ["a", "b", "c", "d"])
        #expect((second >>> first).keys == ["c", "d", "a", "b"])
        #expect((succeed("x") >>> second).keys == ["x", "c", "d"])
    }

    @Test func registryRefusesDuplicateStepKeysNamingTheKey() throws {
        let duplicated = workflow(begin >>> succeed("fetch_device") >>> succeed("other") >>> succeed("fetch_device") >>> done, named: "dup_flow")
        let error = try #require(throws: WorkflowError.self) { try WorkflowRegistry([duplicated]) }
        #expect(error.code == .invalidWorkflow)
        #expect(error.message.contains("fetch_device"))
        #expect(error.message.contains("dup_flow"))
        #expect(!error.message.contains("other"))
    }

    @Test func runningStepsCommitInListOrder() async throws {
        let order = Recorder<String>()
        func step(_ key: StepKey) -> Step {
            Step(key) { _ in
                order.record(key.rawValue)
                return .success
            }
        }
        let flow = workflow(begin >>> step("first") >>> step("second") >>> step("third") >>> done)
        let harness = try await Harness([flow])
        let outcome = try await harness.engine.start(flow.name, user: "alice")
        #expect(outcome.status == .completed)
        #expect(order.values == ["first", "second", "third"])
        #expect(try await harness.log(outcome.processID) == ["first: success", "second: success", "third: success", "done: complete"])
    }

    @Test(arguments: [false, true])
    func conditionalStepRunsOnlyWhenItsPredicateHolds(enabled: Bool) async throws {
        let ran = CallCounter()
        let whenEnabled = conditional { state in try state.value(for: StateKey<Bool>("enabled")) }
        let guarded = Step("guarded") { _ in
            _ = ran.next()
            return .success(["guarded_ran": true])
        }
        let flow = workflow(begin >>> succeed("before") >>> whenEnabled(guarded) >>> succeed("after") >>> done)
        let harness = try await Harness([flow])

        let outcome = try await harness.engine.start(flow.name, input: ["enabled": .bool(enabled)], user: "alice")

        #expect(outcome.status == .completed)
        #expect(ran.value == (enabled ? 1 : 0))
        #expect(outcome.state[raw: "guarded_ran"] == (enabled ? .bool(true) : nil))
        let guardedRow = try #require(try await harness.steps(outcome.processID).first { $0.key == "guarded" })
        #expect(guardedRow.status == (enabled ? .success : .skipped))
        #expect(
            try await harness.log(outcome.processID)
                == ["before: success", "guarded: \(enabled ? "success" : "skipped")", "after: success", "done: complete"])
    }

    @Test func conditionalOnAListGuardsEveryStepOfIt() throws {
        let never = conditional { _ in false }
        let list = begin >>> succeed("a") >>> never(succeed("b") >>> succeed("c")) >>> done
        #expect(list.keys == ["a", "b", "c", "done"])
        #expect(list.steps.map { $0.condition != nil } == [false, true, true, false])
        #expect(try list.steps.compactMap(\.condition).map { try $0(State()) } == [false, false])
    }

    @Test func versionChangesWhenAStepIsAddedAndIsStableOtherwise() {
        let v1 = workflow(begin >>> succeed("a") >>> succeed("b") >>> done)
        let v1Again = workflow(begin >>> succeed("a", ["other": "body"]) >>> succeed("b") >>> done)
        let v2 = workflow(begin >>> succeed("a") >>> succeed("inserted") >>> succeed("b") >>> done)
        let reordered = workflow(begin >>> succeed("b") >>> succeed("a") >>> done)

        #expect(v1.version == v1.version)
        #expect(v1.version == v1Again.version, "same keys in the same order: same version, whatever the bodies")
        #expect(v1.version != v2.version)
        #expect(v1.version != reordered.version)
        #expect(v1.version.count == 16)
        #expect(WorkflowDefinition.version(of: ["a", "b", "done"]) == v1.version)
    }

    @Test func processRecordsTheVersionItStartedWith() async throws {
        let flow = workflow(begin >>> succeed("a") >>> done)
        let harness = try await Harness([flow])
        let outcome = try await harness.engine.start(flow.name, user: "alice")
        #expect(try await harness.process(outcome.processID).workflowVersion == flow.version)
    }
}
