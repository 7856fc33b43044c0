import Foundation
import Testing
import WorkflowEngine
import WorkflowTestKit

@Suite("Suspend for input, then resume", .storeSlots)
struct SuspendResumeTests {
    static let initialForm = Form(title: "Order", fields: [.text("customer", "Customer"), .integer("priority", "Priority", default: 3)])
    static let question = Form(
        title: "Details", fields: [.text("name", "Name"), .integer("count", "How many"), .display("config", "Config", text: "set x")])

    static func flow(seen: Recorder<State>) -> WorkflowDefinition {
        workflow(
            begin >>> succeed("prepare", ["prepared": true]) >>> ask("ask", question)
                >>> Step("use") { context in
                    seen.record(context.state)
                    return .success(["used": .string("\(try context[StateKey<String>("name")]) x \(try context[StateKey<Int>("count")])")])
                } >>> done,
            form: initialForm)
    }

    @Test func suspendedProcessStoresItsForm() async throws {
        let flow = Self.flow(seen: Recorder())
        let harness = try await Harness([flow])

        let outcome = try await harness.engine.start(flow.name, input: ["customer": "acme"], user: "alice")

        #expect(outcome.status == .suspended)
        #expect(outcome.form == Self.question)
        let stored = try await harness.process(outcome.processID)
        #expect(stored.status == .suspended)
        #expect(stored.lastStep == "ask")
        #expect(stored.form == Self.question)
        #expect(stored.leaseOwner == nil, "a suspended process holds no lease")
        #expect(stored.state[raw: "prepared"] == true)
        let suspendRow = try #require(try await harness.steps(outcome.processID).last)
        #expect(suspendRow.key == "ask")
        #expect(suspendRow.status == .suspend)
        #expect(suspendRow.details == (try JSONValue(encoding: Self.question)))
    }

    @Test func resumeWithValidInputMergesAnswersAndCompletes() async throws {
        let seen = Recorder<State>()
        let flow = Self.flow(seen: seen)
        let harness = try await Harness([flow])
        let started = try await harness.engine.start(flow.name, input: ["customer": "acme"], user: "alice")
        harness.clock.advance(by: .seconds(60))

        let outcome = try await harness.engine.resume(started.processID, input: ["name": "core-1", "count": 2], user: "bob")

        #expect(outcome.status == .completed)
        let stored = try await harness.process(started.processID)
        #expect(stored.status == .completed)
        #expect(stored.form == nil)
        #expect(stored.state[raw: "name"] == "core-1")
        #expect(stored.state[raw: "count"] == 2)
        #expect(stored.state[raw: "config"] == nil, "display fields are not answers")
        #expect(stored.state[raw: "used"] == "core-1 x 2")
        #expect(seen.values.map { $0[raw: "name"] } == ["core-1"])
        #expect(
            try await harness.log(started.processID)
                == ["prepare: success", "ask: suspend", "ask: success", "use: success", "done: complete"])
        let answered = try await harness.steps(started.processID)[2]
        #expect(answered.createdBy == "bob")
        #expect(answered.completedAt == harness.clock.now)
    }

    @Test func resumeStoresTheAnswerAsUserInputAndTheStartAsInitialState() async throws {
        let flow = Self.flow(seen: Recorder())
        let harness = try await Harness([flow])
        let startTime = harness.clock.now
        let started = try await harness.engine.start(flow.name, input: ["customer": "acme"], user: "alice")
        harness.clock.advance(by: .seconds(60))
        _ = try await harness.engine.resume(started.processID, input: ["name": "core-1", "count": 2], user: "bob")

        let inputs = try await harness.store.inputStates(of: started.processID)

        #expect(inputs.count == 2)
        let initial = try #require(inputs.first)
        #expect(initial.kind == .initialState)
        #expect(initial.createdBy == "alice")
        #expect(initial.input == ["customer": "acme", "priority": 3], "the validated input, defaults filled in")
        #expect(initial.inputTime == startTime)
        let answer = try #require(inputs.last)
        #expect(answer.kind == .userInput)
        #expect(answer.createdBy == "bob")
        #expect(answer.input == ["name": "core-1", "count": 2])
        #expect(answer.inputTime == startTime + .seconds(60))
    }

    @Test func resumeWithInvalidInputIsRefusedAndChangesNothing() async throws {
        let seen = Recorder<State>()
        let flow = Self.flow(seen: seen)
        let harness = try await Harness([flow])
        let started = try await harness.engine.start(flow.name, input: ["customer": "acme"], user: "alice")
        let processBefore = try await harness.process(started.processID)
        let stepsBefore = try await harness.steps(started.processID)
        let inputsBefore = try await harness.store.inputStates(of: started.processID)
        harness.clock.advance(by: .seconds(60))

        let error = try await #require(throws: WorkflowError.self) {
            try await harness.engine.resume(started.processID, input: ["count": "three", "colour": "red"], user: "bob")
        }

        #expect(error.code == .invalidInput)
        #expect(error.processID == started.processID)
        #expect(error.step == "ask")
        #expect(Set(error.problems.map(\.field)) == ["details.name", "details.count", "details.colour"], "problems are named page.field")
        #expect(error.problems.first { $0.field == "details.name" }?.reason == "is required")
        #expect(error.problems.first { $0.field == "details.count" }?.reason.contains("integer") == true)
        #expect(try await harness.process(started.processID) == processBefore)
        #expect(try await harness.steps(started.processID) == stepsBefore)
        #expect(try await harness.store.inputStates(of: started.processID) == inputsBefore)
        #expect(seen.count == 0)

        let outcome = try await harness.engine.resume(started.processID, input: ["name": "core-1", "count": 3], user: "bob")
        #expect(outcome.status == .completed, "the process can still be resumed with a valid answer")
    }

    @Test func startWithInvalidInputStoresNothing() async throws {
        let flow = Self.flow(seen: Recorder())
        let harness = try await Harness([flow])

        let error = try await #require(throws: WorkflowError.self) {
            try await harness.engine.start(flow.name, input: ["priority": "high"], user: "alice")
        }

        #expect(error.code == .invalidInput)
        #expect(Set(error.problems.map(\.field)) == ["order.customer", "order.priority"], "problems are named page.field")
        #expect(try await harness.store.processes(ProcessFilter()).isEmpty)
    }

    @Test func resumeOfACompletedProcessIsRefused() async throws {
        let flow = workflow(begin >>> succeed("a") >>> done)
        let harness = try await Harness([flow])
        let outcome = try await harness.engine.start(flow.name, user: "alice")

        let error = try await #require(throws: WorkflowError.self) {
            try await harness.engine.resume(outcome.processID, input: [:], user: "bob")
        }

        #expect(error.code == .invalidTransition)
        #expect(error.message.contains("completed"))
    }
}
