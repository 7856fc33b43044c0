import Foundation
import Testing
import WorkflowEngine
import WorkflowTestKit

@Suite("Transient failures: waiting, retried by the timer", .storeSlots)
struct TransientFailureTests {
    static let policy = RetryPolicy(maxAttempts: 3, initialDelay: .seconds(10), multiplier: 2, maxDelay: .seconds(600))

    /// A step that throws `error` on its first `failures` runs, then succeeds.
    static func flaky(failures: Int, _ error: @escaping @Sendable () -> any Error, calls: CallCounter) -> Step {
        Step("fetch", retry: policy) { _ in
            if calls.next() <= failures { throw error() }
            return .success(["fetched": true])
        }
    }

    @Test func transientFailureParksTheProcessUntilTheRetryTimeThenRecoverCompletesIt() async throws {
        let calls = CallCounter()
        let flow = workflow(
            begin >>> succeed("prepare") >>> Self.flaky(failures: 1, { StepError("NetBox answered 503", isRetryable: true) }, calls: calls)
                >>> done)
        let harness = try await Harness([flow])
        let startedAt = harness.clock.now

        let started = try await harness.engine.start(flow.name, user: "alice")

        #expect(started.status == .waiting)
        let waiting = try await harness.process(started.processID)
        #expect(waiting.status == .waiting)
        #expect(waiting.nextRetryAt == startedAt + .seconds(10), "the policy's initial delay")
        #expect(waiting.leaseOwner == nil)
        #expect(waiting.failedReason?.contains("NetBox answered 503") == true)
        let row = try #require(try await harness.steps(started.processID).last)
        #expect(row.key == "fetch")
        #expect(row.status == .waiting)
        #expect(row.attempt == 1)
        #expect(row.nextRetryAt == startedAt + .seconds(10))

        harness.clock.advance(by: .seconds(9))
        #expect(try await harness.engine.recover(user: "timer").isEmpty, "not due yet")
        #expect(calls.value == 1)
        #expect(try await harness.process(started.processID) == waiting)

        harness.clock.advance(by: .seconds(2))
        let recovered = try await harness.engine.recover(user: "timer")

        #expect(recovered.map(\.processID) == [started.processID])
        #expect(recovered.first?.status == .completed)
        #expect(calls.value == 2)
        #expect(try await harness.process(started.processID).status == .completed)
        let rows = try await harness.steps(started.processID)
        #expect(
            rows.map { "\($0.key): \($0.status.rawValue) #\($0.attempt)" } == [
                "prepare: success #1", "fetch: waiting #1", "fetch: success #2", "done: complete #1",
            ])
    }

    @Test func laterWaitsFollowTheBackoffOfThePolicy() async throws {
        let calls = CallCounter()
        let flow = workflow(begin >>> Self.flaky(failures: 2, { StepError("busy", isRetryable: true) }, calls: calls) >>> done)
        let harness = try await Harness([flow])
        let started = try await harness.engine.start(flow.name, user: "alice")
        harness.clock.advance(by: .seconds(10))

        let second = try await harness.engine.recover(user: "timer")

        #expect(second.first?.status == .waiting)
        #expect(try await harness.process(started.processID).nextRetryAt == harness.clock.now + .seconds(20))
        #expect(try await harness.steps(started.processID).last?.attempt == 2)
    }

    @Test func processFailsWhenAttemptsRunOut() async throws {
        let calls = CallCounter()
        let flow = workflow(begin >>> Self.flaky(failures: .max, { StepError("NetBox answered 503", isRetryable: true) }, calls: calls) >>> done)
        let harness = try await Harness([flow])
        let started = try await harness.engine.start(flow.name, user: "alice")
        harness.clock.advance(by: .seconds(10))
        _ = try await harness.engine.recover(user: "timer")
        harness.clock.advance(by: .seconds(20))

        let last = try await harness.engine.recover(user: "timer")

        #expect(last.first?.status == .failed)
        #expect(calls.value == 3)
        let stored = try await harness.process(started.processID)
        #expect(stored.status == .failed)
        #expect(stored.nextRetryAt == nil)
        #expect(stored.failedReason?.contains("gave up after 3 attempts") == true)
        #expect(try await harness.log(started.processID) == ["fetch: waiting", "fetch: waiting", "fetch: failed"])
        harness.clock.advance(by: .seconds(3600))
        #expect(try await harness.engine.recover(user: "timer").isEmpty, "a failed process waits for an operator")
    }

    @Test func unreachableServiceEndsAsApiUnavailableWhenAttemptsRunOut() async throws {
        let calls = CallCounter()
        let error = StepError("no route to NetBox", isServiceUnreachable: true)
        #expect(error.isRetryable)
        let flow = workflow(begin >>> Self.flaky(failures: .max, { error }, calls: calls) >>> done)
        let harness = try await Harness([flow])
        let started = try await harness.engine.start(flow.name, user: "alice")
        #expect(started.status == .waiting)

        for wait in [10, 20] {
            harness.clock.advance(by: .seconds(wait))
            _ = try await harness.engine.recover(user: "timer")
        }

        #expect(calls.value == 3)
        #expect(try await harness.process(started.processID).status == .apiUnavailable)
    }

    @Test func connectionRefusedCountsAsUnreachable() async throws {
        let calls = CallCounter()
        let flow = workflow(begin >>> Self.flaky(failures: .max, { POSIXError(.ECONNREFUSED) }, calls: calls) >>> done)
        let harness = try await Harness([flow])

        let started = try await harness.engine.start(flow.name, user: "alice")

        #expect(started.status == .waiting, "a refused connection is transient")
        #expect(try await harness.steps(started.processID).last?.errorType?.contains("POSIXError") == true)
        for wait in [10, 20] {
            harness.clock.advance(by: .seconds(wait))
            _ = try await harness.engine.recover(user: "timer")
        }
        #expect(calls.value == 3)
        #expect(try await harness.process(started.processID).status == .apiUnavailable)
    }

    @Test func permanentErrorFailsAtOnceWithoutWaiting() async throws {
        let calls = CallCounter()
        let flow = workflow(begin >>> Self.flaky(failures: .max, { StepError("device is not planned") }, calls: calls) >>> done)
        let harness = try await Harness([flow])

        let started = try await harness.engine.start(flow.name, user: "alice")

        #expect(started.status == .failed)
        #expect(calls.value == 1)
        #expect(try await harness.process(started.processID).nextRetryAt == nil)
    }

    @Test func operatorRetryOfAWaitingProcessDoesNotWaitForTheTimer() async throws {
        let calls = CallCounter()
        let flow = workflow(begin >>> Self.flaky(failures: 1, { StepError("busy", isRetryable: true) }, calls: calls) >>> done)
        let harness = try await Harness([flow])
        let started = try await harness.engine.start(flow.name, user: "alice")

        let outcome = try await harness.engine.retry(started.processID, user: "bob")

        #expect(outcome.status == .completed)
        #expect(try await harness.steps(started.processID).map(\.attempt) == [1, 2, 1])
    }
}
