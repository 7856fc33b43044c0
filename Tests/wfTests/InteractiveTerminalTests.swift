import Foundation
import Persistence
import Testing
import WorkflowEngine
import WorkflowTestKit

#if canImport(Glibc)
    import Glibc
#endif

/// `wf` on a real pseudo-terminal, as a person at a keyboard meets it.
@Suite(.tags(.cli), .serialized)
struct InteractiveTerminalTests {
    /// Starts `wf` with the pseudo-terminal as its standard input, output and error.
    private func launch(_ wf: WFRunner, _ arguments: [String], on terminal: PseudoTerminal) throws -> Process {
        let process = Process()
        process.executableURL = WFRunner.binary
        process.arguments = arguments + ["--database", wf.database]
        var environment = ProcessInfo.processInfo.environment
        environment["USER"] = "tester"
        process.environment = environment
        let handle = FileHandle(fileDescriptor: terminal.slave, closeOnDealloc: false)
        process.standardInput = handle
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return process
    }

    @Test func startAsksOnTheTerminalShowsTheSummaryAndStartsOnConfirmation() async throws {
        let wf = try WFRunner()
        defer { wf.remove() }
        let terminal = try PseudoTerminal()
        let child = try launch(wf, ["start", "task_engine_demo"], on: terminal)
        try terminal.expect("What to say when the change is confirmed [hello from wf]: ")
        terminal.send("hello, lab")
        try terminal.expect("How long the work step takes, in seconds [0]: ")
        terminal.send("lots")
        try terminal.expect("expected an integer, got a string")
        try terminal.expect("How long the work step takes, in seconds [0]: ")
        terminal.send("4000")
        try terminal.expect("must be at most 3600, got 4000")
        terminal.send("")
        let summary = try terminal.expect("Start task_engine_demo with these answers? [y/N]: ")
        #expect(summary.contains("What to say when the change is confirmed: hello, lab"))
        terminal.send("y")
        try terminal.expect("suspended at step confirm_change")
        child.waitUntilExit()
        #expect(child.terminationStatus == 0)

        let listed = try #require(try wf.json(["processes"]).arrayValue)
        #expect(listed.count == 1)
        let id = try #require(listed.first?.objectValue?["process_id"]?.stringValue)

        // Resume on the terminal: the form shows the change, a refusal is asked again.
        let resumer = try launch(wf, ["resume", String(id.prefix(8))], on: terminal)
        try terminal.expect("say 'hello, lab' after 0 s of work")
        try terminal.expect("I confirm this change [y/N]: ")
        terminal.send("n")
        try terminal.expect("not applied yet")
        resumer.waitUntilExit()
        #expect(resumer.terminationStatus == 0, "declining leaves the process suspended, which is no error")
        #expect(try wf.json(["process", "show", String(id.prefix(8))]).objectValue?["last_status"]?.stringValue == "suspended")

        // Confirmed once it is applied.
        let again = try launch(wf, ["resume", String(id.prefix(8))], on: terminal)
        try terminal.expect("I confirm this change [y/N]: ")
        terminal.send("y")
        try terminal.expect("completed at step done")
        again.waitUntilExit()
        #expect(again.terminationStatus == 0)
    }

    @Test func interruptingThePromptsLeavesNothingBehind() async throws {
        let wf = try WFRunner()
        defer { wf.remove() }
        #expect(try wf.run(["db", "migrate"]).status == 0)
        let terminal = try PseudoTerminal()
        let child = try launch(wf, ["start", "task_engine_demo"], on: terminal)
        try terminal.expect("What to say when the change is confirmed [hello from wf]: ")
        terminal.send("about to be interrupted")
        try terminal.expect("How long the work step takes, in seconds [0]: ")
        kill(child.processIdentifier, SIGINT)  // what Ctrl-C sends
        child.waitUntilExit()
        #expect(child.terminationReason == .uncaughtSignal)
        let store = try wf.store()
        #expect(try await store.processes(ProcessFilter()).isEmpty)
    }

    @Test func decliningTheSummaryStartsNothing() async throws {
        let wf = try WFRunner()
        defer { wf.remove() }
        let terminal = try PseudoTerminal()
        let child = try launch(wf, ["start", "task_engine_demo"], on: terminal)
        for _ in 0..<2 {
            try terminal.expect("]: ")
            terminal.send("")
        }
        try terminal.expect("[y/N]: ")
        terminal.send("n")
        try terminal.expect("nothing was started")
        child.waitUntilExit()
        #expect(child.terminationStatus == 1)
        #expect(try wf.json(["processes"]).arrayValue?.isEmpty == true)
    }
}
