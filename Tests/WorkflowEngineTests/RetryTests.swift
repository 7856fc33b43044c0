import Foundation
import Testing
import WorkflowEngine
import WorkflowTestKit

@Suite("Retry of a failed step", .storeSlots)
struct RetryTests {
    @Test func retryRerunsTheFailedStepWithTheStateFromBeforeIt() async throws {
        let seen = Recorder<State>()
        let calls = CallCounter()
        let flaky = Step("flaky") { context in
            seen.record(context.state)
            if calls.next() == 1 { throw StepError("device not reachable by ssh") }
            return .success(["flaky_done": true])
        }
        let flow = workflow(begin >>> succeed("prepare", ["prepared": 1]) >>> flaky >>> succeed("finish", ["finished": true]) >>> done)
        let harness = try await Harness([flow])

        let failed = try await harness.engine.start(flow.name, input: ["customer": "acme"], user: "alice")
        #expect(failed.status == .failed)
        #expect(failed.failedReason?.contains("device not reachable by ssh") == true)
        let stateBefore = try #require(try await harness.steps(failed.processID).first { $0.key == "prepare" }).state
        #expect(try await harness.process(failed.processID).state == stateBefore, "a failed step changes no state")

        harness.clock.advance(by: .seconds(30))
        let outcome = try await harness.engine.retry(failed.processID, user: "bob")

        #expect(outcome.status == .completed)
        #expect(seen.count == 2)
        #expect(seen.values.first == stateBefore)
        #expect(seen.values.last == stateBefore, "the second run sees the state from before the first run")
        #expect(
            try await harness.log(failed.processID)
                == ["prepare: success", "flaky: failed", "flaky: success", "finish: success", "done: complete"])
        let rows = try await harness.steps(failed.processID)
        let passedKeys = rows.filter { $0.status.isPassed }.map(\.key)
        #expect(passedKeys == ["prepare", "flaky", "finish", "done"], "one success row per key")
        #expect(rows[2].createdBy == "bob")
        #expect(rows[1].failedReason?.contains("device not reachable by ssh") == true)
    }

    @Test func retryOfAProcessThatIsNotFailedIsRefused() async throws {
        let flow = workflow(begin >>> ask("ask", Form(title: "Q", fields: [.accept("ok", "OK")])) >>> done)
        let harness = try await Harness([flow])
        let suspended = try await harness.engine.start(flow.name, user: "alice")

        let error = try await #require(throws: WorkflowError.self) {
            try await harness.engine.retry(suspended.processID, user: "bob")
        }

        #expect(error.code == .invalidTransition)
        #expect(error.message.contains("suspended"))
        #expect(try await harness.process(suspended.processID).status == .suspended)
    }

    @Test func retryThatFailsAgainAppendsAnotherFailedRow() async throws {
        let calls = CallCounter()
        let broken = Step("broken") { _ in throw StepError("still broken (\(calls.next()))") }
        let flow = workflow(begin >>> broken >>> done)
        let harness = try await Harness([flow])
        let first = try await harness.engine.start(flow.name, user: "alice")

        let second = try await harness.engine.retry(first.processID, user: "alice")

        #expect(second.status == .failed)
        #expect(second.failedReason?.contains("still broken (2)") == true)
        #expect(try await harness.log(first.processID) == ["broken: failed", "broken: failed"])
        let rows = try await harness.steps(first.processID)
        #expect(rows.map { $0.failedReason?.contains("still broken (1)") } == [true, false], "the first row is never rewritten")
    }
}
