import Testing
import WorkflowEngine
import WorkflowTestKit

// The README's "Writing a workflow" example, word for word, so the documentation cannot rot.
enum SayHello: Workflow {
    static let name: WorkflowName = "task_say_hello"  // persisted: never derive it from the type name
    static let target = WorkflowTarget.system
    static let description = "Say hello once someone agrees"
    static var initialForm: FormFlow? { FormFlow(Form(title: "Hello", fields: [.text("name", "Who to greet")])) }

    static let who = StateKey<String>("name")

    static var steps: StepList {
        begin
            >>> Step.updating("compose") { context in ["greeting": .string("hello \(try context[who])")] }
            >>> Step.inputStep("agree") { _ in Form(title: "Send it?", fields: [.accept("agreed", "Send the greeting")]) }
    }
}

@Suite("The README's example workflow", .storeSlots)
struct ReadmeExampleTests {
    @Test func readmeWorkflowStartsSuspendsAndCompletes() async throws {
        let harness = try await Harness([SayHello.definition])
        let started = try await harness.engine.start(SayHello.self, input: ["name": "operator"], user: "alice")
        #expect(started.status == .suspended)
        #expect(started.lastStep == "agree")
        #expect(started.state[raw: "greeting"] == "hello operator")

        let finished = try await harness.engine.resume(started.processID, input: ["agreed": true], user: "alice")
        #expect(finished.status == .completed)
        #expect(try await harness.log(started.processID) == ["compose: success", "agree: suspend", "agree: success", "done: complete"])
    }
}
