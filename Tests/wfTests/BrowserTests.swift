import Foundation
import Testing
import WorkflowTestKit

/// The workshop story through the web UI only, in a real browser: `Tests/browser/workshop.py`
/// drives headless Chromium (Debian's `chromium`) with Playwright for Python against a
/// `wf serve` started here. Without Chromium or Playwright the suite is skipped, by name;
/// under `CI=true` a missing one fails (`.ci/run` installs both).
@Suite(
    "Web UI in a real browser", .tags(.cli),
    .disabled(if: !BrowserTools.ready && ProcessInfo.processInfo.environment["CI"] != "true", Comment(rawValue: BrowserTools.missing)),
    // CI runs it on its own after the rest: Chromium beside the whole suite starves its timing-sensitive CLI tests.
    .disabled(if: ProcessInfo.processInfo.environment["WF_BROWSER_TESTS_APART"] == "1", "run apart (WF_BROWSER_TESTS_APART=1)"))
struct BrowserTests {
    @Test(.timeLimit(.minutes(5)))
    func workshopStoryThroughTheWebUI() async throws {
        try #require(BrowserTools.ready, "\(BrowserTools.missing)")
        try await BrowserTools.runStory()
    }
}

/// Where the browser and Playwright are, and the story's run.
enum BrowserTools {
    /// The Python with Playwright: `WF_TEST_PYTHON`, else `python3`.
    static let python = ProcessInfo.processInfo.environment["WF_TEST_PYTHON"] ?? "python3"
    static let chromium = ProcessInfo.processInfo.environment["WF_CHROMIUM"] ?? "/usr/bin/chromium"

    static let missing: String = {
        var missing: [String] = []
        if !FileManager.default.isExecutableFile(atPath: chromium) { missing.append("no Chromium at \(chromium) (apt-get install chromium)") }
        if run([python, "-c", "import playwright"]) != 0 { missing.append("\(python) lacks Playwright (pip install playwright)") }
        return missing.joined(separator: "; ")
    }()

    static var ready: Bool { missing.isEmpty }

    private static func run(_ arguments: [String]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
            process.waitUntilExit()
            return process.terminationStatus
        } catch {
            return 127
        }
    }

    static func runStory() async throws {
        let server = try await ServeRunner.start()
        let screenshots = FileManager.default.temporaryDirectory.appendingPathComponent("wf-ui-screenshots-\(UUID().uuidString.prefix(8))")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("browser/workshop.py")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [Self.python, script.path]
        var environment = ProcessInfo.processInfo.environment
        environment["WF_UI_URL"] = server.baseURL.absoluteString
        environment["WF_UI_TOKEN"] = try server.token(user: "alice", role: "operator")
        environment["WF_UI_VIEWER_TOKEN"] = try server.token(user: "vera", role: "viewer")
        environment["WF_UI_SCREENSHOTS"] = ProcessInfo.processInfo.environment["WF_UI_SCREENSHOTS"] ?? screenshots.path
        environment["WF_CHROMIUM"] = Self.chromium
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: try output.fileHandleForReading.readToEnd() ?? Data(), as: UTF8.self)
        process.waitUntilExit()
        let status = process.terminationStatus
        let stopped = await server.stop()
        #expect(status == 0, "the browser story failed:\n\(text)\nwf serve:\n\(server.transcript.suffix(4000))")
        #expect(stopped == 0)
        print(text)
    }
}
