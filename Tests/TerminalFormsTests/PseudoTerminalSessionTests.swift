import Foundation
import TerminalForms
import Testing
import WorkflowEngine
import WorkflowTestKit

/// A person at a terminal fills in a create_circuit-shaped form through a real
/// pseudo-terminal: numbered choices, a refused answer asked again with its reason, the
/// summary, and the confirmation.
@Suite(.serialized)
struct PseudoTerminalSessionTests {
    @Test func personPicksBothSidesOnATerminalSeesTheSummaryAndConfirms() async throws {
        let terminal = try PseudoTerminal()
        let inventory = LabInventory()
        let session = FormSession(inventory.circuitForm)
        let prompter = TerminalPrompter(io: FileDescriptorTerminal(input: terminal.slave, output: terminal.slave))
        let filling = terminal.run { try await prompter.fill(session, confirmation: "Start fixture_create_circuit with these answers?") }

        // A side: the nodes, numbered with their labels.
        let aSide = try await terminal.expect("Choose 1-3: ")
        #expect(aSide.contains("1) rt1.lab"))
        #expect(aSide.contains("3) rt3.lab"))
        terminal.send("7")
        try await terminal.expect(#""7" is not one of 1–3"#)
        try await terminal.expect("Choose 1-3: ")
        terminal.send("1")

        // A-side port: only rt1's ports.
        let aPort = try await terminal.expect("Choose 1-3: ")
        #expect(aPort.contains("1) xe-0/0/0"))
        #expect(!aPort.contains("et-1/0/0"))
        terminal.send("2")
        try await terminal.expect("  → xe-0/0/1")

        // B side: choosing the A-side node again is refused by the page's check.
        try await terminal.expect("Choose 1-3: ")
        terminal.send("1")
        try await terminal.expect("b_side.node_b: cannot be the A-side node")
        try await terminal.expect("Choose 1-3: ")
        terminal.send("2")

        // B-side port: rt2's ports; the description keeps its default.
        let bPort = try await terminal.expect("Choose 1-2: ")
        #expect(bPort.contains("1) et-1/0/0"))
        terminal.send("1")
        try await terminal.expect("Description [lab circuit]: ")
        terminal.send("")

        // The summary, by label, then the confirmation.
        let summary = try await terminal.expect("Start fixture_create_circuit with these answers? [y/N]: ")
        #expect(summary.contains("== Summary =="))
        #expect(summary.contains("A-side node: rt1.lab"))
        #expect(summary.contains("A-side port: xe-0/0/1"))
        #expect(summary.contains("B-side node: rt2.lab"))
        #expect(summary.contains("B-side port: et-1/0/0"))
        #expect(summary.contains("Description: lab circuit"))
        terminal.send("y")

        let pages = try #require(try await filling.value)
        #expect(pages.map(\.form.name) == ["a_side", "a_port", "b_side", "b_port"])
        #expect(
            pages.mergedAnswers == ["node_a": 1, "port_a": "xe-0/0/1", "node_b": 2, "port_b": "et-1/0/0", "description": "lab circuit"])
        // Nodes once (shared by two pages), then the ports of rt1 and of rt2.
        #expect(inventory.callCount == 3)

        // The answers start the workflow; the same session means no new inventory calls.
        let temporary = try await TemporaryStore(workflows: [inventory.circuitWorkflow])
        let engine = try Engine.testing(store: temporary.store, workflows: [inventory.circuitWorkflow])
        let outcome = try await engine.start(
            inventory.circuitWorkflow.name, input: .pages(pages.map(\.answers)), session: session, user: "operator")
        #expect(outcome.status == .completed)
        #expect(inventory.callCount == 3)
        let inputs = try await temporary.store.inputStates(of: outcome.processID)
        #expect(inputs.map(\.page) == ["a_side", "a_port", "b_side", "b_port"])
    }

    @Test func decliningTheSummaryReturnsNoAnswers() async throws {
        let terminal = try PseudoTerminal()
        let inventory = LabInventory()
        let prompter = TerminalPrompter(io: FileDescriptorTerminal(input: terminal.slave, output: terminal.slave))
        let filling = terminal.run { try await prompter.fill(FormSession(inventory.circuitForm), confirmation: "Start?") }
        for answer in ["3", "1", "1"] {
            try await terminal.expect(": ")
            terminal.send(answer)
        }
        try await terminal.expect("Choose 1-3: ")
        terminal.send("1")
        try await terminal.expect("Description [lab circuit]: ")
        terminal.send("a link")
        try await terminal.expect("Start? [y/N]: ")
        terminal.send("n")
        #expect(try await filling.value == nil)
    }
}
