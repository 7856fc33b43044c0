import Foundation
import Testing
import WorkflowEngine
import WorkflowTestKit

/// `wf bench` runs end to end and reports every figure (the figures themselves are for
/// people to read; no test judges them).
@Suite(.tags(.cli))
struct BenchCommandTests {
    /// Stands for the PostgreSQL cases the store tests below drop without a server, so that
    /// the run names them as skipped; with one, checks that a PostgreSQL store opens.
    @Test(.enabled(if: StoreKind.postgresURL != nil, StoreKind.postgresCasesSkipped(3)))
    func postgreSQLCasesRan() async throws {
        #expect(StoreKind.available.contains(.postgres))
        let temporary = try await TemporaryStore(kind: .postgres)
        #expect(try await temporary.store.migrationStatus().allSatisfy { $0.state == .applied })
    }

    @Test(arguments: StoreKind.available)
    func benchReportsTheFloorTheInlineRunnerAndEachWorkerCount(kind: StoreKind) throws {
        // On PostgreSQL the bench works in a schema of its own, dropped afterwards.
        let url = StoreKind.postgresURL
        let wf = try WFRunner(database: kind == .postgres ? url : nil)
        defer { wf.remove() }
        let result = try wf.run(["bench", "-n", "30", "-k", "3", "--commits", "30", "--workers", "1,2", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(try JSONValue.parse(result.stdout).objectValue)
        #expect(report["dialect"]?.stringValue == kind.rawValue)
        #expect(report["processes"] == 30)
        #expect(number(report["bare_commits_per_second"]) > 0)
        #expect(number(report["processes_per_second"]) > 0)
        let workers = try #require(report["workers"]?.arrayValue)
        #expect(workers.map { $0.objectValue?["workers"] } == [1, 2])
        if kind == .postgres {
            #expect(number(report["commits_per_process"]) == 4, "inline: the create commit and one per step")
        } else {
            #expect(report["commits_per_process"] == JSONValue.null, "SQLite does not count statements")
        }
        // The same steps declared pure: the process's commit and one for its steps.
        let pure = try wf.run(["bench", "--pure", "-n", "20", "-k", "3", "--commits", "20", "--workers", "1", "--json"])
        #expect(pure.status == 0, "\(pure.stderr)")
        let pureReport = try #require(try JSONValue.parse(pure.stdout).objectValue)
        #expect(pureReport["scenario"]?.stringValue == "trivial, pure")
        if kind == .postgres { #expect(number(pureReport["commits_per_process"]) == 2) }
    }

    @Test(arguments: StoreKind.available)
    func theNodeScenarioRunsTheReferenceEnginesCreateNodeAndReportsItsCost(kind: StoreKind) throws {
        let wf = try WFRunner(database: kind == .postgres ? StoreKind.postgresURL : nil)
        defer { wf.remove() }
        let result = try wf.run(["bench", "--scenario", "node", "-n", "20", "--commits", "20", "--workers", "1", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(try JSONValue.parse(result.stdout).objectValue)
        #expect(report["scenario"]?.stringValue?.contains("create_node") == true)
        #expect(report["steps"] == 9, "eight steps and done")
        #expect(number(report["processes_per_second"]) > 0)
        #expect(number(report["cpu_us_per_process"]) > 0)
        #expect(report["workers"]?.arrayValue?.first?.objectValue?["workers"] == 1)
        if kind == .postgres {
            #expect(number(report["commits_per_process"]) == 2, "the create commit and one for its nine pure steps")
            #expect(number(report["postgres_cpu_us_per_process"]) > 0)
        }
        let wrong = try wf.run(["bench", "--scenario", "nodes"])
        #expect(wrong.status != 0 && wrong.stderr.contains("scenario"), "\(wrong.stderr)")
    }

    @Test(arguments: StoreKind.available)
    func theCircuitScenarioCreatesCircuitsOnNetBoxLiteAndReportsTheirCost(kind: StoreKind) throws {
        let wf = try WFRunner(database: kind == .postgres ? StoreKind.postgresURL : nil)
        defer { wf.remove() }
        let result = try wf.run(["bench", "--scenario", "circuit", "-n", "6", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(try JSONValue.parse(result.stdout).objectValue)
        #expect(report["scenario"]?.stringValue?.contains("create_circuit") == true)
        #expect(report["processes"] == 6)
        #expect(number(report["processes_per_second"]) > 0)
        #expect(number(report["cpu_us_per_process"]) > 0)
        if kind == .postgres { #expect(number(report["statements_per_process"]) > 0) }
        let tooMany = try wf.run(["bench", "--scenario", "circuit", "-n", "5000"])
        #expect(tooMany.status != 0 && tooMany.stderr.contains("at most 2000"), "\(tooMany.stderr)")
    }

    @Test func apiBenchReportsEachLoadTheRoundTripsStartUpAndMemory() throws {
        let wf = try WFRunner()
        defer { wf.remove() }
        let result = try wf.runOutsideDatabaseOption(
            ["bench", "--api", "--seconds", "0.2", "--rounds", "3", "--json"], in: wf.directory, environment: [:])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(try JSONValue.parse(result.stdout).objectValue)
        let loads = try #require(report["loads"]?.arrayValue)
        #expect(loads.compactMap { $0.objectValue?["name"]?.stringValue }.map { $0.prefix(5) } == ["floor", "GET /", "GET /"])
        #expect(loads.allSatisfy { number($0.objectValue?["requests_per_second"]) > 0 })
        #expect(report["latencies"]?.arrayValue?.count == 2)
        #expect(number(report["startup_ms"]) > 0)
        #expect(number(report["rss_idle_mib"]) > 0)
        let refused = try wf.run(["bench", "--api"])
        #expect(refused.status != 0 && refused.stderr.contains("leave out --database"))
    }

    private func number(_ value: JSONValue?) -> Double {
        switch value {
        case .double(let number): number
        case .int(let number): Double(number)
        default: -1
        }
    }
}
