import Foundation
import Persistence
import Testing
import WorkflowEngine

#if canImport(Glibc)
    import Glibc
#endif

/// A `wf` killed with SIGKILL in the middle of a long step loses at most that step, which
/// the next runner runs again once the lease has expired: exactly one success row per step.
@Suite(.tags(.cli), .serialized)
struct CrashRecoveryTests {
    @Test func heartbeatKeepsALiveRunnersProcessFromBeingTakenOver() async throws {
        let wf = try WFRunner(leaseSeconds: 4)
        defer { wf.remove() }
        #expect(try wf.run(["db", "migrate"]).status == 0)
        // A step long enough that it is still running whatever the machine's load.
        let child = try wf.launch(["start", "task_engine_demo", "--input", "-"], stdin: #"{"work_seconds": 120}"#)
        let store = try wf.store()
        let process = try await waitFor("the process to enter simulate_work", timeout: 60) {
            try await store.processes(ProcessFilter()).first { $0.lastStep == "prepare_change" && $0.status == .running }
        }
        // Past the end of the lease it started with, the heartbeat has kept it alive: nobody
        // takes it over. Waits on that condition, not a fixed time, against the 4 s lease.
        let firstLeaseEnd = try #require(process.leaseExpiresAt)
        _ = try await waitFor("the first lease to end and the heartbeat to renew it", timeout: 60) { () -> ProcessRecord? in
            guard Date() > firstLeaseEnd.addingTimeInterval(0.5), let now = try await store.process(process.processID),
                (now.leaseExpiresAt ?? .distantPast) > firstLeaseEnd
            else { return nil }
            return now
        }
        let early = try wf.run(["recover"])
        #expect(early.status == 0)
        #expect(early.stdout.contains("nothing to recover"), "a live runner's process was taken over: \(early.stdout)")
        let during = try #require(try await store.process(process.processID))
        #expect(during.status == .running)
        #expect(during.leaseOwner == process.leaseOwner)
        #expect(try #require(during.leaseExpiresAt) > process.leaseExpiresAt ?? .distantPast, "the heartbeat renewed the lease")
        kill(child.process.processIdentifier, SIGKILL)
        _ = child.finish()
    }

    @Test func killedRunnerIsTakenOverAfterItsLeaseExpiresAndEveryStepSucceedsOnce() async throws {
        let wf = try WFRunner(leaseSeconds: 4)
        defer { wf.remove() }
        #expect(try wf.run(["db", "migrate"]).status == 0)

        // 1. Start a process whose work step takes 6 s, and kill its runner as soon as it is inside that step.
        let child = try wf.launch(["start", "task_engine_demo", "--input", "-"], stdin: #"{"work_seconds": 6}"#)
        let store = try wf.store()
        let process = try await waitFor("the process to enter simulate_work", timeout: 60) {
            try await store.processes(ProcessFilter()).first { $0.lastStep == "prepare_change" && $0.status == .running }
        }
        let id = process.processID
        kill(child.process.processIdentifier, SIGKILL)
        let killed = child.finish()
        #expect(killed.status == SIGKILL)
        let afterKill = try #require(try await store.process(id))
        #expect(afterKill.status == .running)
        #expect(afterKill.lastStep == "prepare_change")

        // 2. Its lease is still live for up to 4 s: not taken over yet.
        let stillLive = try wf.run(["recover"])
        #expect(stillLive.stdout.contains("nothing to recover"))

        // 3. Wait out the lease: until the time it expires has passed, not a fixed time.
        let leaseEnd = try #require(afterKill.leaseExpiresAt)
        _ = try await waitFor("the killed runner's lease to expire", timeout: 60) { Date() > leaseEnd.addingTimeInterval(0.2) ? true : nil }

        // 4. Once the lease expired, two runners race for the process: exactly one runs it.
        let first = try wf.launch(["recover"])
        let second = try wf.launch(["recover"])
        let results = [first.finish(), second.finish()]
        #expect(results.allSatisfy { $0.status == 0 }, "\(results.map(\.stderr))")
        let winners = results.filter { $0.stdout.contains(id.description) }
        #expect(winners.count == 1, "expected exactly one runner to take over: \(results.map(\.stdout))")
        let recovered = try #require(try await store.process(id))
        #expect(recovered.status == .suspended)
        #expect(recovered.lastStep == "confirm_change")

        // 5. Confirm; the process completes, and the log has one success row per step.
        let resumed = try wf.run(["resume", String(id.description.prefix(8)), "--input", "-"], stdin: #"{"confirmed": true}"#)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let steps = try await store.steps(of: id)
        let successes = Dictionary(grouping: steps.filter { $0.status == .success || $0.status == .complete }, by: \.key).mapValues(\.count)
        #expect(
            successes == ["prepare_change": 1, "simulate_work": 1, "confirm_change": 1, "record_confirmation": 1, "done": 1],
            "\(steps.map { "\($0.key):\($0.status.rawValue)" })")
        // The killed attempt of simulate_work wrote nothing at all.
        #expect(steps.filter { $0.key == "simulate_work" }.count == 1)
        #expect(try await store.process(id)?.status == .completed)
    }
}

/// Polls `probe` every 50 ms until it returns a value, failing after `timeout` seconds of
/// polling. The time counted is the test's own: on a machine so busy that the test is not
/// scheduled for a while, the clock runs on without it, and a test that was kept from
/// looking must not fail for what it could not see.
func waitFor<T>(_ what: String, timeout: Double, _ probe: () async throws -> T?) async throws -> T {
    for _ in 0..<max(1, Int(timeout / 0.05)) {
        if let value = try await probe() { return value }
        try await Task.sleep(for: .milliseconds(50))
    }
    Issue.record("timed out after \(timeout) s waiting for \(what)")
    throw CancellationError()
}
