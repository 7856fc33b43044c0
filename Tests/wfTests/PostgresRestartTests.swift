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

/// `pg_ctl restart -m fast` while four `wf worker`s drain a queue: every process completes,
/// each step succeeds once, none stays stranded on a live worker (a claim whose answer was
/// lost is found and handed back), and afterwards every worker exits 0 on SIGTERM at once.
/// Runs on a PostgreSQL cluster of its own, so the restart disturbs no other suite.
@Suite(
    "PostgreSQL restart during a drain", .tags(.cli), .serialized,
    .disabled(if: ThrowawayPostgres.unavailableReason != nil, Comment(rawValue: ThrowawayPostgres.unavailableReason ?? "")))
struct PostgresRestartTests {
    static let processCount = 400
    static let leaseSeconds = 3

    @Test func everyProcessCompletesOnceAfterARestartAndWorkersExitOnSIGTERM() async throws {
        let cluster = try ThrowawayPostgres()
        defer { cluster.remove() }
        let wf = try WFRunner(leaseSeconds: Self.leaseSeconds, database: cluster.url)
        defer { wf.remove() }
        let migrated = try wf.run(["db", "migrate"])
        try #require(migrated.status == 0, "wf db migrate: \(migrated.stderr)")
        // The test's own pool waits longer than the workers' 5 s: on a loaded machine an
        // enqueue before the restart may take that long, and only the workers' calls are lost.
        let store = try await PostgresStore.connect(cluster.url.replacingOccurrences(of: "query_timeout=5", with: "query_timeout=30"))
        do {
            try await drainAcrossARestart(cluster, wf: wf, store: store)
        } catch {
            await store.close()
            throw error
        }
        await store.close()
    }

    private func drainAcrossARestart(_ cluster: ThrowawayPostgres, wf: WFRunner, store: PostgresStore) async throws {
        var quiet = Logger(label: "wf.engine.test")
        quiet.logLevel = .warning
        let engine = Engine(store: store, registry: try WorkflowRegistry(WorkflowCatalog.all), logger: quiet)
        var batch: [ProcessID] = []
        for _ in 0..<Self.processCount {
            batch.append(try await engine.enqueue(EngineCheckTask.name, input: .merged(["step_millis": 40]), user: "restart"))
        }
        let workers = try (0..<4).map { index in
            try LoggedWorker(
                wf, name: "worker\(index)", arguments: ["worker", "--no-scheduler", "--concurrency", "8", "--poll", "0.2", "--grace", "10"])
        }
        defer { for worker in workers { worker.kill() } }

        // Restart while the drain is well under way: workers hold leases, claims and step commits are in flight.
        _ = try await waitFor("a quarter of the processes to complete", timeout: 60) { () -> Bool? in
            try await completed(batch, in: store) >= Self.processCount / 4 ? true : nil
        }
        let restartedAt = Date()
        try cluster.restart()
        let back = Date()

        // Every process completes within about a lease of the database coming back (plus the work left).
        do {
            _ = try await waitFor("every process to complete after the restart", timeout: 45) { () -> Bool? in
                // The test's own pool reconnects too; a probe that fails meanwhile is just a miss.
                guard let done = try? await completed(batch, in: store) else { return nil }
                return done == Self.processCount ? true : nil
            }
        } catch {
            let stuck = try await store.processes(ProcessFilter(statuses: [.running, .created, .waiting], limit: 20))
            for process in stuck {
                let steps = try await store.steps(of: process.processID)
                Issue.record(
                    "\(process.processID) \(process.status.rawValue) leased to \(process.leaseOwner ?? "nobody") until \(process.leaseExpiresAt.map { "\($0)" } ?? "-"), \(steps.count) steps"
                )
            }
            for worker in workers { Issue.record("\(worker.name): \(worker.stderr.suffix(3000))") }
            throw error
        }
        let drained = Date()
        try await expectEveryStepSucceededOnce(batch, in: store)
        let held = try await store.workers().flatMap(\.holding)
        #expect(held.isEmpty, "no live worker holds a lease once all completed: \(held)")

        // SIGTERM: each worker exits 0 promptly; the pool and the LISTEN loop end with it.
        let signalled = Date()
        for worker in workers { worker.signal(SIGTERM) }
        for worker in workers {
            let status = await worker.wait(seconds: 15)
            #expect(
                status == 0, "\(worker.name) exited \(status.map(String.init) ?? "not at all (killed)") on SIGTERM: \(worker.stderr.suffix(2000))")
            #expect(worker.stdout.contains("stopped"), "\(worker.name): \(worker.stdout)")
            // The restart is reported with PostgreSQL's own words, never postgres-nio's placeholder.
            #expect(!worker.stderr.contains("Generic description"), "\(worker.name): \(worker.stderr.suffix(2000))")
        }
        let exited = Date()
        let logs = workers.map(\.stderr).joined().components(separatedBy: "\n")
        func count(_ text: String) -> Int { logs.filter { $0.contains(text) }.count }
        print(
            "restart test: \(Self.processCount) processes; restart took \(String(format: "%.1f", back.timeIntervalSince(restartedAt))) s;"
                + " drained \(String(format: "%.1f", drained.timeIntervalSince(back))) s after the database came back;"
                + " \(count("SQLSTATE")) log lines name a SQLSTATE; \(count("was not running")) held-but-not-running and \(count("committed no step")) stalled processes handed back;"
                + " \(count("never returned")) workers left a lost call behind; all exited \(String(format: "%.1f", exited.timeIntervalSince(signalled))) s after SIGTERM"
        )
    }

    private func completed(_ ids: [ProcessID], in store: PostgresStore) async throws -> Int {
        let completed = try await store.processes(ProcessFilter(statuses: [.completed], limit: 100_000)).map(\.processID)
        return Set(ids).intersection(completed).count
    }
}

/// A `wf` child whose standard output and error go to files, so that a chatty worker never
/// blocks on a full pipe, and whose exit can be awaited with a deadline.
final class LoggedWorker {
    let name: String
    let process: Process
    private let stdoutPath: String
    private let stderrPath: String

    init(_ wf: WFRunner, name: String, arguments: [String]) throws {
        self.name = name
        stdoutPath = wf.directory.appendingPathComponent("\(name).out").path
        stderrPath = wf.directory.appendingPathComponent("\(name).err").path
        _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        let process = Process()
        process.executableURL = WFRunner.binary
        process.arguments = arguments + ["--database", wf.database]
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "WF_DATABASE")
        environment["USER"] = "tester"
        environment["XDG_DATA_HOME"] = wf.directory.path
        for (key, value) in wf.environment { environment[key] = value }
        process.environment = environment
        process.standardOutput = FileHandle(forWritingAtPath: stdoutPath)
        process.standardError = FileHandle(forWritingAtPath: stderrPath)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        self.process = process
    }

    var stdout: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    func signal(_ number: Int32) {
        if process.isRunning { Glibc.kill(process.processIdentifier, number) }
    }

    /// The exit status, or nil when the process was still running after `seconds` (it is then killed).
    func wait(seconds: Double) async -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        guard !process.isRunning else {
            kill()
            return nil
        }
        return process.terminationStatus
    }

    func kill() {
        signal(SIGKILL)
    }
}
