import Foundation
import Persistence
import Testing
import WorkflowEngine
import WorkflowTestKit

#if canImport(Glibc)
    import Glibc
#endif

/// `wf` with `WF_DATABASE` (here `--database`) set to a PostgreSQL URL: the demo, the
/// listings and the audit, an enqueued process run by a worker, and what a bad URL says.
@Suite(
    "wf on PostgreSQL", .tags(.cli), .enabled(if: StoreKind.postgresURL != nil, "WF_TEST_POSTGRES_URL is not set: PostgreSQL is not available"))
struct PostgresCommandLineTests {
    @Test func demoListingsAuditAndAWorkerRunOnPostgreSQL() async throws {
        let location = try StoreKind.scratchLocation()
        let wf = try WFRunner(database: location)
        defer { wf.remove() }
        let store = try await PostgresStore.connect(location)
        defer {
            Task {
                try? await store.dropSchema()
                await store.close()
            }
        }

        let demo = try wf.run(["demo"])
        #expect(demo.status == 0, "\(demo.stderr)")
        #expect(demo.stdout.contains("cable 1: connected"))
        #expect(demo.stdout.contains("database: postgres://"), "the demo names the database it used")
        #expect(!demo.stdout.contains(try #require(PostgresLocation(location).password)), "the password is never printed")

        let status = try wf.json(["db", "status"])
        #expect(status.objectValue?["dialect"] == "postgres")
        #expect(status.objectValue?["migrations"]?.arrayValue?.allSatisfy { $0.objectValue?["state"] == "applied" } == true)
        let subscriptions = try #require(try wf.json(["subscriptions", "--status", "active"]).arrayValue)
        #expect(subscriptions.count == 3)
        let circuit = try #require(subscriptions.first { $0.objectValue?["product_name"]?.stringValue?.hasPrefix("Circuit") == true })
        let id = try #require(circuit.objectValue?["subscription_id"]?.stringValue)
        let history = try wf.run(["subscription", "history", String(id.prefix(8))])
        #expect(history.status == 0)
        #expect(history.stdout.contains("create_circuit started by tester"))
        let audit = try #require(try wf.json(["audit", "--user", "tester"]).arrayValue)
        #expect(audit.count > 20, "every step of the demo's processes is in the audit")

        // Enqueued, then run by a worker that the test stops with SIGTERM.
        let enqueued = try wf.json(["start", "task_engine_check", "--async", "--input", "-"], stdin: #"{"step_millis": 10}"#)
        #expect(enqueued.objectValue?["status"] == "created")
        let processID = try #require(enqueued.objectValue?["process_id"]?.stringValue.flatMap(ProcessID.init))
        let worker = try wf.launch(["worker", "--no-scheduler", "--concurrency", "2"])
        let done = try await waitFor("the worker to complete the enqueued process", timeout: 60) { () -> ProcessRecord? in
            let process = try await store.process(processID)
            return process?.status == .completed ? process : nil
        }
        #expect(done.state[raw: "ran_5_on"] != nil)
        let workers = try #require(try wf.json(["workers"]).arrayValue)
        #expect(workers.count == 1)
        #expect(workers.first?.objectValue?["state"] == "live")
        kill(worker.process.processIdentifier, SIGTERM)
        let stopped = worker.finish()
        #expect(stopped.status == 0, "\(stopped.stderr)")
        #expect(stopped.stdout.contains("completed 1"))
        #expect(try wf.json(["workers"]).arrayValue?.isEmpty == true)
    }

    @Test func aBadURLOrPasswordIsNamedAndNothingHangs() throws {
        let url = try #require(StoreKind.postgresURL)
        var wrong = try #require(URLComponents(string: url))
        wrong.password = "not-the-password"
        let refusing = try WFRunner(database: wrong.string)
        defer { refusing.remove() }
        let refused = try refusing.run(["processes"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("cannot connect to PostgreSQL at postgres://"), "\(refused.stderr)")
        #expect(refused.stderr.contains("password authentication failed"), "\(refused.stderr)")
        #expect(!refused.stderr.contains("not-the-password"))

        let malformed = try WFRunner(database: url + "?pool=lots")
        defer { malformed.remove() }
        let result = try malformed.run(["processes"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("pool 'lots' must be a number from 1 to 200"), "\(result.stderr)")
    }
}
