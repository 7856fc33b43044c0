import Foundation
import TerminalForms
import Testing
import WorkflowEngine
import WorkflowTestKit

/// Asks `form` on a terminal where the person types `lines`; returns the answers and the screen.
private func ask(_ form: Form, typing lines: [String]) throws -> (answers: State, screen: String) {
    let terminal = ScriptedTerminal(typing: lines)
    let answers = try TerminalPrompter(io: terminal).ask(form)
    return (answers, terminal.output)
}

private let devices = Form(
    title: "Device",
    fields: [.choice("device_id", "Which planned device?", choices: (45...53).map { Choice(.int($0), label: "loc\($0 - 44)-core") })])

@Suite("Terminal prompts")
struct TerminalPrompterTests {
    @Test func wrongNumberSaysWhatWasTypedAndTheNumbersShown() throws {
        let (answers, screen) = try ask(devices, typing: ["47", "0", "2"])
        #expect(answers == ["device_id": 46])
        #expect(screen.contains(#"  "47" is not one of 1–9"#))
        #expect(screen.contains(#"  "0" is not one of 1–9"#))
        #expect(!screen.contains("45 ("), "internal values are not shown at the terminal")
    }

    @Test func chosenLabelIsEchoedAfterTheNumber() throws {
        let (_, screen) = try ask(devices, typing: ["2"])
        #expect(screen.hasSuffix("Choose 1-9: " + "  → loc2-core\n"))
        let tags = Form(
            title: "Tags", fields: [.multiChoice("tags", "Tags", choices: ["a", "b", "c"].map { Choice(.string($0), label: $0.uppercased()) })])
        let (answers, multi) = try ask(tags, typing: ["3, 1"])
        #expect(answers == ["tags": ["c", "a"]])
        #expect(multi.contains("  → C, A\n"))
    }

    @Test func headingsAndPromptsDoNotDoublePunctuation() throws {
        let (_, screen) = try ask(devices, typing: ["1"])
        #expect(screen.contains("Which planned device?\n  1) loc1-core"))
        #expect(!screen.contains("?:"))
        let form = Form(title: "Node", fields: [.choice("node", "A-side node", choices: [Choice(1, label: "rt1")]), .text("name", "Name:")])
        let (_, other) = try ask(form, typing: ["1", "x"])
        #expect(other.contains("A-side node:\n  1) rt1"))
        #expect(other.contains("Name: "))
        #expect(!other.contains("Name::"))
    }

    @Test func emptyAnswerToARequiredFieldNamesTheField() throws {
        let form = Form(title: "Node", fields: [.text("name", "Node name"), .choice("node", "Which node?", choices: [Choice(1, label: "rt1")])])
        let (answers, screen) = try ask(form, typing: ["", "rt9", "", "1"])
        #expect(answers == ["name": "rt9", "node": 1])
        #expect(screen.contains("  Node name is required\n"))
        #expect(screen.contains("  Which node is required\n"))
    }

    @Test func controlCharactersTypedAtTheTerminalAreRefused() throws {
        let (answers, screen) = try ask(Form(title: "Node", fields: [.text("name", "Name")]), typing: ["rt\u{1B}[A1", "rt1"])
        #expect(answers == ["name": "rt1"])
        #expect(screen.contains("  must not contain control characters (found U+001B at position 3)"))
    }

    @Test func declinedConfirmationReturnsNilInsteadOfAskingAgain() throws {
        let form = Form(title: "Applied?", fields: [.display("config", "Config", text: "set x"), .accept("confirmed", "Both sides are configured")])
        let terminal = ScriptedTerminal(typing: ["n"])
        #expect(try TerminalPrompter(io: terminal).askOrDecline(form) == nil)
        #expect(!terminal.output.contains("must be accepted"))

        let unclear = ScriptedTerminal(typing: ["", "maybe", "yes"])
        #expect(try TerminalPrompter(io: unclear).askOrDecline(form) == ["confirmed": true])
        #expect(unclear.output.contains("  answer y to confirm, or n if not yet\n"))
        #expect(unclear.output.contains("must be accepted (true) to continue"))
    }

    @Test func askStillInsistsOnAConfirmation() throws {
        let (answers, screen) = try ask(Form(title: "Applied?", fields: [.accept("confirmed", "Applied")]), typing: ["n", "y"])
        #expect(answers == ["confirmed": true])
        #expect(screen.contains("must be accepted (true) to continue"))
    }

    @Test func optionalChoiceWithNothingToChooseIsLeftOut() throws {
        let form = Form(
            title: "Port", fields: [.choice("port", "Port", choices: [], required: false, ifEmpty: "no free port"), .text("note", "Note")])
        let (answers, screen) = try ask(form, typing: ["hello"])
        #expect(answers == ["note": "hello"])
        #expect(screen.contains("  (nothing to choose from: no free port; left out)\n"))
        #expect(!screen.contains("Choose 1-0"))
    }

    @Test func summaryConfirmationDefaultsToNoAndAsksAgainWhenUnclear() async throws {
        let flow = FormFlow(Form(title: "Name", fields: [.text("name", "Name")]))
        let declined = ScriptedTerminal(typing: ["rt1", ""])
        #expect(try await TerminalPrompter(io: declined).fill(FormSession(flow), confirmation: "Start it?") == nil)
        #expect(declined.output.hasSuffix("Start it? [y/N]: "))

        let unclear = ScriptedTerminal(typing: ["rt1", "sure", "y"])
        let pages = try await TerminalPrompter(io: unclear).fill(FormSession(flow), confirmation: "Start it?")
        #expect(pages?.mergedAnswers == ["name": "rt1"])
        #expect(unclear.output.contains("Start it? [y/N]: " + "  answer y or n\n" + "Start it? [y/N]: "))
    }
}

/// A page with nothing to choose from, on a real pseudo-terminal: the form ends at once with
/// the reason, asks nothing on that page, and does not crash on a typed number.
@Suite(.serialized)
struct EmptyChoiceOnATerminalTests {
    static let flow = FormFlow([
        .init("a_side", "A side") { _ in
            [.choice("node_a", "A-side node", choices: [], ifEmpty: "no active Node to connect yet: run create_node first")]
        }
    ])

    @Test func emptyRequiredChoiceEndsTheFormWithItsReason() async throws {
        let terminal = try PseudoTerminal()
        let prompter = TerminalPrompter(io: FileDescriptorTerminal(input: terminal.slave, output: terminal.slave))
        let filling = terminal.run { try await prompter.fill(FormSession(Self.flow), confirmation: "Start?") }
        let error = await #expect(throws: WorkflowError.self) { try await filling.value }
        #expect(error?.code == .nothingToChoose)
        #expect(error?.description == "no active Node to connect yet: run create_node first")
        terminal.send("1")
        let seen = try await terminal.expect("1")
        #expect(!seen.contains("Choose"), "nothing was asked")

        // --input gives the same message.
        let scripted = await #expect(throws: WorkflowError.self) { _ = try await FormSession(Self.flow).evaluate(.merged(["node_a": 1])) }
        #expect(scripted?.description == error?.description)
    }

    @Test func typedNumberOnAnOptionalEmptyChoiceDoesNotCrash() async throws {
        let terminal = try PseudoTerminal()
        let prompter = TerminalPrompter(io: FileDescriptorTerminal(input: terminal.slave, output: terminal.slave))
        let form = Form(title: "B side", fields: [.choice("node_b", "B-side node", choices: [], required: false), .integer("vlan", "VLAN")])
        let asking = terminal.run { try prompter.ask(form) }
        try await terminal.expect("(nothing to choose from; left out)")
        try await terminal.expect("VLAN: ")
        terminal.send("1")
        #expect(try await asking.value == ["vlan": 1])
    }
}
