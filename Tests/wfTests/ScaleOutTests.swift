import Foundation
import Logging
import Persistence
import Testing
import WorkflowEngine
import WorkflowTestKit
import Workflows

#if canImport(Glibc)
    import Glibc
#endif

/// Four `wf worker` processes on one PostgreSQL database: every enqueued process runs to
/// completion exactly once, a worker killed with SIGKILL loses nothing (its processes are
/// taken over once their lease expires), and SIGTERM hands work over and exits cleanly.
@Suite(
    "Scale-out on PostgreSQL", .tags(.cli), .serialized,
    .enabled(if: StoreKind.postgresURL != nil, "WF_TEST_POSTGRES_URL is not set: PostgreSQL is not available"))
struct ScaleOutTests {
    @Test func fourWorkersRunAThousandProcessesOnceAndSurviveAKilledWorker() async throws {
        let location = try StoreKind.scratchLocation()
        let wf = try WFRunner(leaseSeconds: 3, database: location)
        defer { wf.remove() }
        #expect(try wf.run(["db", "migrate"]).status == 0)
        let store = try await PostgresStore.connect(location)
        defer {
            Task {
                try? await store.dropSchema()
                await store.close()
            }
        }
        // Quiet: a thousand "process started" lines would bury a failure in the CI log.
        var quiet = Logger(label: "wf.engine.test")
        quiet.logLevel = .warning
        let engine = Engine(store: store, registry: try WorkflowRegistry(WorkflowCatalog.all), logger: quiet)

        // 1. A thousand five-step processes, enqueued before any worker runs.
        var batch: [ProcessID] = []
        for _ in 0..<1000 {
            batch.append(try await engine.enqueue(EngineCheckTask.name, input: .merged(["step_millis": 0]), user: "scale"))
        }
        let workers = try (0..<4).map { _ in try wf.launch(["worker", "--no-scheduler", "--concurrency", "8", "--poll", "0.2", "--grace", "20"]) }
        try await waitUntilCompleted(batch, in: store, timeout: 240)
        try await expectEveryStepSucceededOnce(batch, in: store)

        let listed = try wf.json(["workers"])
        #expect(listed.arrayValue?.filter { $0.objectValue?["state"]?.stringValue == "live" }.count == 4, "wf workers: \(listed.jsonText)")

        // 2. Slower processes; kill -9 one worker while it holds some of them.
        var slow: [ProcessID] = []
        for _ in 0..<96 {
            slow.append(try await engine.enqueue(EngineCheckTask.name, input: .merged(["step_millis": 250]), user: "scale"))
        }
        let victim = workers[0]
        let victimHeld = try await waitFor("the first worker to hold processes", timeout: 60) { () -> [ProcessID]? in
            let held = try await store.workers().first { $0.pid == Int(victim.process.processIdentifier) }?.holding ?? []
            return held.isEmpty ? nil : held
        }
        kill(victim.process.processIdentifier, SIGKILL)
        #expect(victim.finish().status == SIGKILL)
        try await waitUntilCompleted(slow, in: store, timeout: 120)
        try await expectEveryStepSucceededOnce(slow, in: store)
        for id in victimHeld {
            let process = try #require(try await store.process(id))
            #expect(process.status == .completed, "process \(id) the killed worker held ended \(process.status.rawValue)")
        }

        // 3. SIGTERM: the worker stops claiming, hands over after the current step, and exits 0.
        var handed: [ProcessID] = []
        for _ in 0..<48 {
            handed.append(try await engine.enqueue(EngineCheckTask.name, input: .merged(["step_millis": 400]), user: "scale"))
        }
        let stopping = workers[1]
        _ = try await waitFor("the second worker to hold processes", timeout: 60) { () -> [ProcessID]? in
            let held = try await store.workers().first { $0.pid == Int(stopping.process.processIdentifier) }?.holding ?? []
            return held.isEmpty ? nil : held
        }
        kill(stopping.process.processIdentifier, SIGTERM)
        let stopped = stopping.finish()
        #expect(stopped.status == 0, "a worker stopped by SIGTERM exits 0: \(stopped.stderr)")
        #expect(stopped.stdout.contains("stopped"))
        try await waitUntilCompleted(handed, in: store, timeout: 120)
        try await expectEveryStepSucceededOnce(handed, in: store)

        for worker in workers[2...] { kill(worker.process.processIdentifier, SIGTERM) }
        for worker in workers[2...] { #expect(worker.finish().status == 0) }
        // Workers deregister when they stop; the killed one could not, and stays listed (as gone once stale).
        let remaining = try await store.workers()
        #expect(remaining.map(\.pid) == [Int(victim.process.processIdentifier)], "\(remaining.map(\.workerID))")
        #expect(remaining.first?.holding.isEmpty == true, "its processes were taken over")
    }

    private func waitUntilCompleted(_ ids: [ProcessID], in store: PostgresStore, timeout: TimeInterval) async throws {
        let wanted = Set(ids)
        _ = try await waitFor("\(ids.count) processes to complete", timeout: timeout) { () -> Bool? in
            let completed = try await store.processes(ProcessFilter(statuses: [.completed], limit: 100_000)).map(\.processID)
            let done = wanted.intersection(completed).count
            let failed = try await store.processes(ProcessFilter(statuses: [.failed, .aborted, .apiUnavailable], limit: 10))
            #expect(failed.isEmpty, "processes failed: \(failed.map { "\($0.processID): \($0.failedReason ?? "")" })")
            return done == wanted.count || !failed.isEmpty ? true : nil
        }
    }
}
