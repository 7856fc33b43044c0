import Foundation
import Testing
import WorkflowEngine
import WorkflowTestKit

@Suite("Abort is final", .storeSlots, .timeLimit(.minutes(5)))
struct AbortTests {
    static let question = Form(title: "Q", fields: [.accept("ok", "OK")])

    @Test func abortOfASuspendedProcessMakesItAbortedAndLogsIt() async throws {
        let flow = workflow(begin >>> succeed("a") >>> ask("ask", Self.question) >>> succeed("c") >>> done)
        let harness = try await Harness([flow])
        let started = try await harness.engine.start(flow.name, user: "alice")

        let outcome = try await harness.engine.abort(started.processID, user: "bob", reason: "customer cancelled")

        #expect(outcome.status == .aborted)
        let stored = try await harness.process(started.processID)
        #expect(stored.status == .aborted)
        #expect(stored.form == nil)
        #expect(stored.failedReason == "customer cancelled")
        #expect(try await harness.log(started.processID) == ["a: success", "ask: suspend", "abort: abort"])
        let abortRow = try #require(try await harness.steps(started.processID).last)
        #expect(abortRow.createdBy == "bob")
        #expect(abortRow.failedReason == "customer cancelled")
    }

    @Test func resumeRetryAndAbortAfterAbortAreRefused() async throws {
        let flow = workflow(begin >>> ask("ask", Self.question) >>> done)
        let harness = try await Harness([flow])
        let started = try await harness.engine.start(flow.name, user: "alice")
        _ = try await harness.engine.abort(started.processID, user: "bob")
        let rowsAfterAbort = try await harness.steps(started.processID)

        let resume = try await #require(throws: WorkflowError.self) {
            try await harness.engine.resume(started.processID, input: ["ok": true], user: "bob")
        }
        let retry = try await #require(throws: WorkflowError.self) {
            try await harness.engine.retry(started.processID, user: "bob")
        }
        let abort = try await #require(throws: WorkflowError.self) {
            try await harness.engine.abort(started.processID, user: "bob")
        }

        #expect(resume.code == .invalidTransition)
        #expect(retry.code == .invalidTransition)
        #expect(abort.code == .invalidTransition)
        #expect(abort.message.contains("aborted"))
        #expect(try await harness.process(started.processID).status == .aborted)
        #expect(try await harness.steps(started.processID) == rowsAfterAbort)
    }

    @Test func abortOfACompletedProcessIsRefused() async throws {
        let flow = workflow(begin >>> succeed("a") >>> done)
        let harness = try await Harness([flow])
        let completed = try await harness.engine.start(flow.name, user: "alice")
        let rowsBefore = try await harness.steps(completed.processID)

        let error = try await #require(throws: WorkflowError.self) {
            try await harness.engine.abort(completed.processID, user: "bob")
        }

        #expect(error.code == .invalidTransition)
        #expect(error.message.contains("completed"))
        #expect(try await harness.process(completed.processID).status == .completed)
        #expect(try await harness.steps(completed.processID) == rowsBefore)
    }

    @Test(arguments: [ProcessStatus.failed, .waiting])
    func abortIsAllowedFromAStoppedProcess(status: ProcessStatus) async throws {
        let flow = workflow(
            begin
                >>> Step("stops", retry: RetryPolicy(maxAttempts: 3)) { _ in
                    throw StepError("no", isRetryable: status == .waiting)
                } >>> done)
        let harness = try await Harness([flow])
        let stopped = try await harness.engine.start(flow.name, user: "alice")
        #expect(stopped.status == status)

        let outcome = try await harness.engine.abort(stopped.processID, user: "bob")

        #expect(outcome.status == .aborted)
        #expect(try await harness.process(stopped.processID).nextRetryAt == nil)
        harness.clock.advance(by: .seconds(3600))
        #expect(try await harness.engine.recover(user: "timer").isEmpty, "an aborted process is not retried")
    }

    @Test func abortWhileAStepRunsKeepsItsResultFromCommitting() async throws {
        let gate = Gate()
        let after = CallCounter()
        let slow = Step("slow") { _ in
            await gate.hold()
            return .success(["slow_result": "late"])
        }
        let flow = workflow(
            begin >>> succeed("first") >>> slow
                >>> Step("after") { _ in
                    _ = after.next()
                    return .success
                } >>> done)
        let harness = try await Harness([flow])
        let id = ProcessID(UUID())
        let engine = Engine(
            store: harness.store, registry: try WorkflowRegistry([flow]), configuration: harness.engine.configuration,
            environment: EngineEnvironment(now: { harness.clock.now }, makeID: fixedFirstID(id), sleep: { _ in }))

        let running = Task { try await engine.start(flow.name, user: "alice") }
        await gate.waitUntilHeld()
        #expect(try await harness.process(id).status == .running)

        let aborted = try await harness.engine.abort(id, user: "bob", reason: "wrong device")
        #expect(aborted.status == .aborted)
        gate.open()
        let outcome = try await running.value

        #expect(outcome.status == .aborted)
        #expect(after.value == 0, "no step runs after the abort")
        let stored = try await harness.process(id)
        #expect(stored.status == .aborted)
        #expect(stored.state[raw: "slow_result"] == nil)
        #expect(stored.leaseOwner == nil)
        #expect(try await harness.log(id) == ["first: success", "abort: abort"], "the running step's result was dropped")
    }
}
