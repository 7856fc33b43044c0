import Foundation
import Testing
import WorkflowEngine
import WorkflowTestKit

@Suite("Resuming a process after the workflow's code changed", .storeSlots)
struct CodeChangeTests {
    static let question = Form(title: "Confirm", fields: [.accept("confirmed", "Confirmed")])

    /// Steps that record their key when they run, so a test sees what ran and in which order.
    struct Steps {
        let ran = Recorder<String>()

        func step(_ key: StepKey) -> Step {
            Step(key) { [ran] _ in
                ran.record(key.rawValue)
                return .success(State([key.rawValue: true]))
            }
        }

        var ask: Step { WorkflowEngineTests.ask("ask", CodeChangeTests.question) }
    }

    @Test func resumeRunsAStepInsertedAfterTheSuspensionPoint() async throws {
        let steps = Steps()
        let v1 = workflow(begin >>> steps.step("a") >>> steps.ask >>> steps.step("c"))
        let v2 = workflow(begin >>> steps.step("a") >>> steps.ask >>> steps.step("inserted") >>> steps.step("c"))
        #expect(v1.name == v2.name)
        let harness = try await Harness([v1])
        let started = try await harness.engine.start(v1.name, user: "alice")
        #expect(started.status == .suspended)
        #expect(started.lastStep == "ask")

        let deployed = try await harness.engine([v2], runner: "runner-after-deploy")
        let outcome = try await deployed.resume(started.processID, input: ["confirmed": true], user: "bob")

        #expect(outcome.status == .completed)
        #expect(steps.ran.values == ["a", "inserted", "c"])
        #expect(outcome.state[raw: "inserted"] == true)
        #expect(
            try await harness.log(started.processID)
                == ["a: success", "ask: suspend", "ask: success", "inserted: success", "c: success"])
        #expect(try await harness.process(started.processID).workflowVersion == v1.version, "the process keeps the version it started with")
    }

    @Test func stepInsertedBeforeTheSuspensionPointIsNotRun() async throws {
        let steps = Steps()
        let v1 = workflow(begin >>> steps.step("a") >>> steps.ask >>> steps.step("c"))
        let v2 = workflow(begin >>> steps.step("a") >>> steps.step("early") >>> steps.ask >>> steps.step("inserted") >>> steps.step("c"))
        let harness = try await Harness([v1])
        let started = try await harness.engine.start(v1.name, user: "alice")

        let outcome = try await harness.engine([v2], runner: "runner-after-deploy").resume(
            started.processID, input: ["confirmed": true], user: "bob")

        #expect(outcome.status == .completed)
        #expect(steps.ran.values == ["a", "inserted", "c"])
        #expect(outcome.state[raw: "early"] == nil)
        #expect(try await harness.steps(started.processID).contains { $0.key == "early" } == false)
    }

    @Test func resumeOfAStepRemovedFromTheCodeFailsClearlyAndStaysSuspended() async throws {
        let steps = Steps()
        let v1 = workflow(begin >>> steps.step("a") >>> steps.ask >>> steps.step("c"))
        let v3 = workflow(begin >>> steps.step("a") >>> steps.step("c"))
        let harness = try await Harness([v1])
        let started = try await harness.engine.start(v1.name, user: "alice")
        let before = try await harness.process(started.processID)
        let rowsBefore = try await harness.steps(started.processID)
        let inputsBefore = try await harness.store.inputStates(of: started.processID)

        let error = try await #require(throws: WorkflowError.self) {
            try await harness.engine([v3], runner: "runner-after-deploy").resume(started.processID, input: ["confirmed": true], user: "bob")
        }

        #expect(error.code == .stepNotInWorkflow)
        #expect(error.step == "ask")
        #expect(error.processID == started.processID)
        #expect(error.message.contains("'ask'"))
        #expect(error.message.contains(v1.version))
        #expect(error.message.contains(v3.version))
        #expect(try await harness.process(started.processID) == before)
        #expect(try await harness.process(started.processID).status == .suspended)
        #expect(try await harness.steps(started.processID) == rowsBefore)
        #expect(try await harness.store.inputStates(of: started.processID) == inputsBefore)
        #expect(steps.ran.values == ["a"])
    }
}
