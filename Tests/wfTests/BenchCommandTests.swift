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
    @Test(.enabled(if: StoreKind.postgresURL != nil, StoreKind.postgresCasesSkipped(1)))
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
    }

    private func number(_ value: JSONValue?) -> Double {
        switch value {
        case .double(let number): number
        case .int(let number): Double(number)
        default: -1
        }
    }
}
