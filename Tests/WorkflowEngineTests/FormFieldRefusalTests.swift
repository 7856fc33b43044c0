import Foundation
import Testing
import WorkflowEngine
import WorkflowTestKit

/// The problems of one field on a page named `page`, as `page.field: reason` lines.
private func problems(_ field: FormField, _ value: JSONValue) -> [String] {
    Form(name: "page", title: "Page", fields: [field]).check([field.name: value]).problems.map(\.description)
}

@Suite("Form fields: control characters in text", .storeSlots)
struct TextControlCharacterTests {
    @Test func nulInATextAnswerIsRefusedNamingItsPosition() {
        // SQLite stored "a\0b" as "a"; PostgreSQL refused it with SQLSTATE 22P05.
        #expect(problems(.text("name", "Name"), "a\u{0}b") == ["page.name: must not contain control characters (found U+0000 at position 2)"])
    }

    @Test(arguments: [
        ("line\nbreak", "U+000A", 5), ("tab\there", "U+0009", 4), ("a\rb", "U+000D", 2), ("esc\u{1B}[A", "U+001B", 4),
        ("del\u{7F}", "U+007F", 4), ("c1\u{85}", "U+0085", 3), ("é\u{9F}", "U+009F", 2),
    ])
    func singleLineTextRefusesEveryControlCharacter(text: String, scalar: String, position: Int) {
        #expect(
            problems(.text("name", "Name"), .string(text)) == [
                "page.name: must not contain control characters (found \(scalar) at position \(position))"
            ])
    }

    @Test func multiLineTextAllowsTabsAndLineBreaksButNotOtherControlCharacters() {
        let config = FormField.text("config", "Config", multiline: true)
        #expect(problems(config, "interface xe-0/0/0\r\n\tunit 0\n") == [])
        #expect(
            problems(config, "a\nb\u{0}") == [
                "page.config: must not contain control characters other than tabs and line breaks (found U+0000 at position 4)"
            ])
        #expect(config.jsonSchema.objectValue?["x-multiline"] == true)
    }

    @Test func printableTextFromAnyScriptIsAccepted() {
        #expect(problems(.text("name", "Name"), "rt1.lab — Zürich 東京 🛰") == [])
    }
}

@Suite("Form fields: nothing to choose from", .storeSlots)
struct NothingToChooseTests {
    @Test func requiredChoiceWithNoChoicesSaysWhyWithADefaultReason() {
        #expect(FormField.choice("node_a", "A-side node", choices: []).nothingToChoose == "nothing to choose from for A-side node")
        let given = FormField.choice("node_a", "A-side node", choices: [], ifEmpty: "no active Node to connect yet: run create_node first")
        #expect(given.nothingToChoose == "no active Node to connect yet: run create_node first")
        #expect(given.jsonSchema.objectValue?["x-nothing-to-choose"] == "no active Node to connect yet: run create_node first")
        let many = FormField.multiChoice("tags", "Tags", choices: [], count: 1...3, ifEmpty: "no tags defined")
        #expect(many.nothingToChoose == "no tags defined")
    }

    @Test func optionalOrNonEmptyChoicesCanBeAnswered() {
        #expect(FormField.choice("node", "Node", choices: [], required: false).nothingToChoose == nil)
        #expect(FormField.multiChoice("tags", "Tags", choices: []).nothingToChoose == nil, "zero items may be chosen")
        #expect(FormField.choice("node", "Node", choices: [Choice(1, label: "rt1")]).nothingToChoose == nil)
    }

    /// Two pages: a node, then that node's ports, which may be none.
    private static let flow = FormFlow([
        .init("node", "Node") { _ in [.choice("node", "Node", choices: [Choice(1, label: "rt1"), Choice(2, label: "rt2")])] },
        .init("port", "Port") { context in
            let node = try context.answers.value(for: StateKey<Int>("node"))
            let ports = node == 1 ? [Choice("xe-0/0/0", label: "xe-0/0/0")] : []
            return [.choice("port", "Port", choices: ports, ifEmpty: "rt\(node) has no free port: free one first")]
        },
    ])

    @Test func scriptedInputStopsAtAPageWithNothingToChooseWithItsReason() async throws {
        let error = try await #require(throws: WorkflowError.self) {
            _ = try await FormSession(Self.flow).evaluate(.merged(["node": 2, "port": "xe-0/0/0"]))
        }
        #expect(error.code == .nothingToChoose)
        #expect(error.description == "rt2 has no free port: free one first")
        let answered = try await FormSession(Self.flow).evaluate(.merged(["node": 1, "port": "xe-0/0/0"]))
        #expect(answered.mergedAnswers == ["node": 1, "port": "xe-0/0/0"])
    }

    @Test func validatingAStoredFormWithNothingToChooseGivesTheSameReason() {
        let form = Form(title: "Confirm", fields: [.choice("node", "Node", choices: [])])
        let error = #expect(throws: WorkflowError.self) { try form.validate(["node": 1]) }
        #expect(error?.code == .nothingToChoose)
        #expect(error?.message == "nothing to choose from for Node")
    }
}

@Suite("Form fields: a wrong choice lists the choices with their labels", .storeSlots)
struct ChoiceListingTests {
    static let devices = [Choice(45, label: "loc1-core"), Choice(46, label: "loc2-core")]

    @Test func wrongChoiceNamesWhatWasGivenAndEachChoiceWithItsLabel() {
        #expect(
            problems(.choice("device_id", "Device", choices: Self.devices), 47) == [
                "page.device_id: 47 is not one of: 45 (loc1-core), 46 (loc2-core)"
            ])
        #expect(
            problems(.multiChoice("devices", "Devices", choices: Self.devices), [45, 47])
                == ["page.devices: 47 is not one of: 45 (loc1-core), 46 (loc2-core)"])
    }

    @Test func choiceWhoseLabelIsItsValueIsListedOnce() {
        let ports = ["xe-0/0/0", "xe-0/0/1"].map { Choice(.string($0), label: $0) }
        #expect(problems(.choice("port", "Port", choices: ports), "et-1") == [#"page.port: "et-1" is not one of: xe-0/0/0, xe-0/0/1"#])
    }

    @Test func longListsShowTheFirstEightAndHowManyMore() {
        let many = (1...20).map { Choice(.int($0), label: "rt\($0)") }
        let listed = (1...8).map { "\($0) (rt\($0))" }.joined(separator: ", ")
        #expect(problems(.choice("node", "Node", choices: many), 99) == ["page.node: 99 is not one of: \(listed), … (12 more)"])
    }
}
