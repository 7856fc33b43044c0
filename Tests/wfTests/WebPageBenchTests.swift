import Foundation
import Testing
import WorkflowEngine

/// `wf bench --ui` at a tiny size, so that it keeps working: every page of the web UI is
/// timed on the workshop story's database, and each answers with its server time.
@Suite("wf bench --ui", .tags(.cli))
struct WebPageBenchTests {
    @Test func timesEveryPageOnTheWorkshopDatabase() throws {
        let wf = try WFRunner()
        defer { wf.remove() }
        let demo = try wf.run(["demo"])
        try #require(demo.status == 0, "\(demo.stderr)")
        let figures = try wf.json(["bench", "--ui", "--database", wf.database, "--rounds", "2"])
        let pages = figures.arrayValue?.compactMap { $0.objectValue?["page"]?.stringValue } ?? []
        for page in ["home", "subscriptions", "subscription", "subscription ?at=", "processes", "process", "start create_circuit", "network map"] {
            #expect(pages.contains(page), "\(page) is timed: \(pages)")
        }
        for figure in figures.arrayValue ?? [] {
            var server = -1.0
            if case .double(let value)? = figure.objectValue?["server_p50_ms"] { server = value }
            #expect(server > 0, "a server time for \(figure.jsonText)")
            #expect((figure.objectValue?["bytes"]?.intValue ?? 0) > 500, "a whole page for \(figure.jsonText)")
        }
    }
}
