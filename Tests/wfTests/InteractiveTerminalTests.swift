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
        try await terminal.expect("What to say when the change is confirmed [hello from wf]: ")
        terminal.send("hello, lab")
        try await terminal.expect("How long the work step takes, in seconds [0]: ")
        terminal.send("lots")
        try await terminal.expect("expected an integer, got a string")
        try await terminal.expect("How long the work step takes, in seconds [0]: ")
        terminal.send("4000")
        try await terminal.expect("must be at most 3600, got 4000")
        terminal.send("")
        let summary = try await terminal.expect("Start task_engine_demo with these answers? [y/N]: ")
        #expect(summary.contains("What to say when the change is confirmed: hello, lab"))
        terminal.send("y")
        try await terminal.expect("suspended at step confirm_change")
        child.waitUntilExit()
        #expect(child.terminationStatus == 0)

        let listed = try #require(try wf.json(["processes"]).arrayValue)
        #expect(listed.count == 1)
        let id = try #require(listed.first?.objectValue?["process_id"]?.stringValue)

        // Resume on the terminal: the form shows the change, a refusal is asked again.
        let resumer = try launch(wf, ["resume", String(id.prefix(8))], on: terminal)
        try await terminal.expect("say 'hello, lab' after 0 s of work")
        try await terminal.expect("I confirm this change [y/N]: ")
        terminal.send("n")
        try await terminal.expect("not applied yet")
        resumer.waitUntilExit()
        #expect(resumer.terminationStatus == 0, "declining leaves the process suspended, which is no error")
        #expect(try wf.json(["process", "show", String(id.prefix(8))]).objectValue?["last_status"]?.stringValue == "suspended")

        // Confirmed once it is applied.
        let again = try launch(wf, ["resume", String(id.prefix(8))], on: terminal)
        try await terminal.expect("I confirm this change [y/N]: ")
        terminal.send("y")
        try await terminal.expect("completed at step done")
        again.waitUntilExit()
        #expect(again.terminationStatus == 0)
    }

    @Test func interruptingThePromptsLeavesNothingBehind() async throws {
        let wf = try WFRunner()
        defer { wf.remove() }
        #expect(try wf.run(["db", "migrate"]).status == 0)
        let terminal = try PseudoTerminal()
        let child = try launch(wf, ["start", "task_engine_demo"], on: terminal)
        try await terminal.expect("What to say when the change is confirmed [hello from wf]: ")
        terminal.send("about to be interrupted")
        try await terminal.expect("How long the work step takes, in seconds [0]: ")
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
            try await terminal.expect("]: ")
            terminal.send("")
        }
        try await terminal.expect("[y/N]: ")
        terminal.send("n")
        try await terminal.expect("nothing was started")
        child.waitUntilExit()
        #expect(child.terminationStatus == 1)
        #expect(try wf.json(["processes"]).arrayValue?.isEmpty == true)
    }

    /// A page whose choice list is empty used to trap (`Range requires lowerBound <= upperBound`,
    /// exit 132) once a number was typed. It now says why and ends cleanly, as `--input` does.
    @Test func anEmptyChoiceListSaysWhyAndEndsCleanly() async throws {
        let wf = try WFRunner()
        defer { wf.remove() }
        #expect(try wf.run(["db", "migrate"]).status == 0)
        let terminal = try PseudoTerminal()
        let child = try launch(wf, ["start", "create_circuit"], on: terminal)
        try await terminal.expect("no active, in-sync Node to connect yet: run create_node first")
        terminal.send("1")
        child.waitUntilExit()
        #expect(child.terminationStatus == 1)
        #expect(try wf.json(["processes"]).arrayValue?.isEmpty == true, "nothing stored")

        let scripted = try wf.run(["start", "create_circuit", "--input", "-"], stdin: #"{"product": "Circuit 10G", "node_a": "x"}"#)
        #expect(scripted.status == 1)
        #expect(scripted.stderr.contains("no active, in-sync Node to connect yet: run create_node first"), "\(scripted.stderr)")
    }

    /// Abort undoes nothing, and says what it leaves and how to clean it up; the clean-up it
    /// names works, and the device is offered again.
    @Test func abortSaysWhatItLeavesBehindAndTheCleanUpWorks() async throws {
        let wf = try WFRunner()
        defer { wf.remove() }
        let started = try #require(try wf.json(["start", "create_node", "--input", "-"], stdin: #"{"device_id": 1}"#).objectValue)
        #expect(started["last_status"]?.stringValue == "suspended")
        let id = try #require(started["process_id"]?.stringValue)

        let aborted = try wf.run(["abort", String(id.prefix(8)), "--reason", "wrong device"])
        #expect(aborted.status == 0, "\(aborted.stderr)")
        #expect(aborted.stdout.contains("left behind: subscription"), "\(aborted.stdout)")
        #expect(aborted.stdout.contains("out of sync"))
        #expect(aborted.stdout.contains("never confirmed as applied: create_node"))
        #expect(aborted.stdout.contains("device 1"), "names the NetBox objects")
        #expect(aborted.stdout.contains("wf start terminate_node --input"), "names the clean-up")

        let subscription = try #require(try wf.json(["subscriptions"]).arrayValue?.first?.objectValue)
        #expect(subscription["insync"] == false, "stays visibly out of sync")
        let key = try #require(subscription["subscription_id"]?.stringValue)
        let cleaned = try wf.json(["start", "terminate_node", "--input", "-"], stdin: "{\"subscription_id\": \"\(key.prefix(8))\"}")
        #expect(cleaned.objectValue?["last_status"]?.stringValue == "completed", "\(cleaned)")
        let again = try wf.json(["start", "create_node", "--input", "-"], stdin: #"{"device_id": 1}"#)
        #expect(again.objectValue?["last_status"]?.stringValue == "suspended", "the device is offered again: \(again)")
    }
}
