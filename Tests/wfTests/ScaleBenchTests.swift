import Foundation
import Testing
import WorkflowEngine
import WorkflowTestKit

/// `wf bench --scale` loads a small network through the store's bulk path, times every read
/// operators and the UI do, and what it loaded reads back through the ordinary commands (the
/// figures are for people to read; no test judges them).
@Suite(.tags(.cli))
struct ScaleBenchTests {
    static let reads = [
        "subscription show ID", "subscription show PREFIX (8 characters)", "subscription show ID --at TIME", "subscription history ID",
        "audit --user USER --since 1d", "subscriptions --where node_name=NAME", "subscriptions --where port_name=NAME",
        "processes (first page)", "processes --status suspended --waiting-for noc", "processes --workflow WORKFLOW",
        "GET /api/processes?user=USER&status=completed", "process show PREFIX (8 characters)", "create_circuit form: A-side nodes",
    ]

    /// Stands for the PostgreSQL case the test below drops without a server, so that the run
    /// names it as skipped.
    @Test(.enabled(if: StoreKind.postgresURL != nil, StoreKind.postgresCasesSkipped(1)))
    func postgreSQLCasesRan() {
        #expect(StoreKind.available.contains(.postgres))
    }

    @Test(arguments: StoreKind.available)
    func scaleBenchLoadsHistoryInBulkAndTimesEveryRead(kind: StoreKind) throws {
        // On PostgreSQL the bench works in a schema of its own, dropped afterwards.
        let wf = try WFRunner(database: kind == .postgres ? StoreKind.postgresURL : nil)
        defer { wf.remove() }
        let result = try wf.run(["bench", "--scale", "200", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(try JSONValue.parse(result.stdout).objectValue)
        #expect(report["dialect"]?.stringValue == kind.rawValue)
        #expect(report["subscriptions"] == 200)
        #expect(number(report["nodes"]) >= 20, "about one Node in ten")
        let tables = try #require(report["rows_by_table"]?.objectValue)
        #expect(number(tables["processes"]) > 200, "every subscription's create, and later processes on some")
        #expect(number(tables["process_steps"]) > 10 * 200, "about ten steps a process")
        #expect(number(tables["subscription_versions"]) > 5 * 200)
        #expect(number(tables["input_states"]) > 200)
        #expect(number(report["rows_per_second"]) > 0)
        let measured = try #require(report["measurements"]?.arrayValue).compactMap(\.objectValue)
        #expect(measured.compactMap { $0["name"]?.stringValue } == Self.reads)
        for read in measured {
            #expect(number(read["runs"]) >= 5, "\(read)")
            #expect(number(read["p50_ms"]) > 0 && number(read["p99_ms"]) >= number(read["p50_ms"]), "\(read)")
        }
    }

    @Test func loadedSubscriptionsReadBackThroughShowHistoryAuditAndProcesses() throws {
        // On SQLite the bench loads into the file --database names, and keeps it.
        let wf = try WFRunner()
        defer { wf.remove() }
        let load = try wf.run(["bench", "--scale", "200", "--json"])
        #expect(load.status == 0, "\(load.stderr)")

        let node = try #require(try wf.json(["subscriptions", "--product", "Node", "--limit", "1"]).arrayValue?.first?.objectValue)
        let nodeID = try #require(node["subscription_id"]?.stringValue)
        let shown = try wf.run(["subscription", "show", String(nodeID.prefix(8))])
        #expect(shown.status == 0, "\(shown.stderr)")
        #expect(shown.stdout.contains("node_name: \"loc") && shown.stdout.contains("in use by"), "\(shown.stdout)")
        let circuit = try #require(
            try wf.json(["subscriptions", "--product", "Circuit 10G", "--status", "active", "--limit", "1"]).arrayValue?.first?.objectValue)
        let circuitID = try #require(circuit["subscription_id"]?.stringValue)
        let history = try wf.run(["subscription", "history", circuitID])
        #expect(history.status == 0, "\(history.stderr)")
        #expect(history.stdout.contains("create_circuit started by") && history.stdout.contains("step store_process_subscription"))
        let past = try wf.run(["subscription", "show", circuitID, "--at", "1d"])
        #expect(past.status == 0 || past.stderr.contains("did not exist yet"), "\(past.stderr)")
        let versions = try wf.json(["subscription", "history", circuitID]).arrayValue ?? []
        #expect(versions.contains { $0.objectValue?["kind"]?.stringValue == "version" })

        let audit = try wf.json(["audit", "--limit", "20"]).arrayValue ?? []
        #expect(audit.count == 20)
        let waiting = try wf.json(["processes", "--waiting-for", "noc"]).arrayValue ?? []
        #expect(waiting.allSatisfy { $0.objectValue?["last_status"]?.stringValue == "suspended" })
        let process = try #require(try wf.json(["processes", "--limit", "1"]).arrayValue?.first?.objectValue?["process_id"]?.stringValue)
        let steps = try wf.run(["process", "show", String(process.prefix(8))])
        #expect(steps.status == 0 && steps.stdout.contains("done"), "\(steps.stderr)")

        let again = try wf.run(["bench", "--scale", "20"])
        #expect(again.status != 0 && again.stderr.contains("empty database"), "\(again.stderr)")
    }

    private func number(_ value: JSONValue?) -> Double {
        switch value {
        case .double(let number): number
        case .int(let number): Double(number)
        default: -1
        }
    }
}
