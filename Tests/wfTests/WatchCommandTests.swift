import Foundation
import Testing
import WorkflowEngine
import WorkflowTestKit

#if canImport(Glibc)
    import Glibc
#endif

/// `wf process watch`: a process's events so far, then live ones written by another `wf`
/// (a worker), until the process stops; the exit code of where it stopped; Ctrl-C.
@Suite(.tags(.cli))
struct WatchCommandTests {
    /// A runner on a migrated database of `kind`; on PostgreSQL a schema of its own, dropped
    /// when `keepAlive` is released.
    private func runner(_ kind: StoreKind) async throws -> (wf: WFRunner, keepAlive: AnyObject?) {
        guard kind == .postgres else {
            let wf = try WFRunner()
            #expect(try wf.run(["db", "migrate"]).status == 0)
            return (wf, nil)
        }
        let temporary = try await TemporaryStore(kind: .postgres)
        return (try WFRunner(database: temporary.location), temporary)
    }

    /// Enqueues an engine check whose five steps take `millis` each; returns its id.
    private func enqueue(_ wf: WFRunner, stepMillis millis: Int) throws -> String {
        let enqueued = try wf.json(["start", "task_engine_check", "--async", "--input", "-"], stdin: #"{"step_millis": \#(millis)}"#)
        return try #require(enqueued.objectValue?["process_id"]?.stringValue)
    }

    @Test(arguments: StoreKind.available)
    func watchFollowsAProcessAWorkerRunsUntilItCompletes(kind: StoreKind) async throws {
        let (wf, keepAlive) = try await runner(kind)
        defer {
            wf.remove()
            withExtendedLifetime(keepAlive) {}
        }
        let id = try enqueue(wf, stepMillis: 100)
        let watch = try wf.launch(["process", "watch", String(id.prefix(8))])
        let worker = try wf.launch(["worker", "--no-scheduler", "--poll", "0.2"])
        let watched = watch.finish()
        kill(worker.process.processIdentifier, SIGTERM)
        #expect(worker.finish().status == 0)

        #expect(watched.status == 0, "\(watched.stderr)")
        let lines = watched.stdout.split(separator: "\n").map(String.init)
        let expected = [
            "created       task_engine_check by tester, created",
            "status        created -> running (runner",
            "step          check_1: success by tester",
            "step          check_5: success by tester",
            "step          done: complete by tester",
            "status        running -> completed",
            "process \(id) (task_engine_check): completed at step done",
        ]
        let positions = expected.map { line in lines.firstIndex { $0.contains(line) } }
        #expect(positions.allSatisfy { $0 != nil }, "every event once, then where it stopped:\n\(watched.stdout)")
        #expect(positions.compactMap { $0 } == positions.compactMap { $0 }.sorted(), "in order:\n\(watched.stdout)")
        #expect(lines.filter { $0.contains("step          check_") }.count == 5, "each step once:\n\(watched.stdout)")
    }

    @Test func watchOfAStoppedProcessPrintsItsEventsAndExitsWithItsStatus() async throws {
        let (wf, _) = try await runner(.sqlite)
        defer { wf.remove() }
        let started = try wf.json(["start", "task_engine_demo", "--input", "-"], stdin: #"{"message": "hi"}"#)
        let id = try #require(started.objectValue?["process_id"]?.stringValue)
        #expect(started.objectValue?["last_status"] == "suspended")

        let suspended = try wf.run(["process", "watch", id, "--json"])
        #expect(suspended.status == 0, "suspended, waiting for input: \(suspended.stderr)")
        let lines = try suspended.stdout.split(separator: "\n").map { try JSONValue.parse(String($0)) }
        #expect(
            lines.dropLast().map { $0.objectValue?["kind"] }
                == ["process_created", "step_committed", "step_committed", "step_committed", "process_status"])
        #expect(lines.dropLast().last?.objectValue?["data"]?.objectValue?["to"] == "suspended")
        #expect(lines.last?.objectValue?["last_status"] == "suspended", "the last line is the process, as `wf start --json` shows it")

        #expect(try wf.run(["abort", id, "--reason", "not today"]).status == 0)
        let aborted = try wf.run(["process", "watch", String(id.prefix(8))])
        #expect(aborted.status == 3, "aborted exits as `wf start` does")
        #expect(aborted.stdout.contains("step          abort: abort by tester: not today"), "\(aborted.stdout)")
        #expect(aborted.stdout.contains("status        suspended -> aborted: not today"), "\(aborted.stdout)")
    }

    @Test func ctrlCStopsWatchingAProcessThatHasNotStopped() async throws {
        let (wf, _) = try await runner(.sqlite)
        defer { wf.remove() }
        let id = try enqueue(wf, stepMillis: 0)
        let watch = try wf.launch(["process", "watch", id])
        try await Task.sleep(for: .seconds(2))
        kill(watch.process.processIdentifier, SIGINT)
        let result = watch.finish()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("created       task_engine_check by tester, created"))
        #expect(result.stderr.contains("stopped watching process \(id) (it is created)"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: wf.database + "-wal"), "the database was closed")
    }
}
