import Foundation
import Testing
import WorkflowEngine
import WorkflowTestKit

/// One field on a page named `page`, answered with `value` (nil: left out). Returns what the
/// page stores for the field and its problems as `page.field: reason` lines.
private func answer(_ field: FormField, with value: JSONValue?) -> (stored: JSONValue?, problems: [String]) {
    let form = Form(name: "page", title: "Page", fields: [field])
    var answer = State()
    answer[raw: field.name] = value
    let (accepted, problems) = form.check(answer)
    return (accepted[raw: field.name], problems.map(\.description))
}

/// The member at `path` of a JSON object, nil when any step is missing.
private func member(_ value: JSONValue, _ path: String...) -> JSONValue? {
    path.reduce(value) { current, key in current?.objectValue?[key] }
}

@Suite("Form fields: validation of every kind", .storeSlots)
struct FormFieldValidationTests {
    // MARK: text

    @Test func requiredTextRefusesMissingNullAndBlankAnswers() {
        let name = FormField.text("name", "Name")
        #expect(answer(name, with: nil).problems == ["page.name: is required"])
        #expect(answer(name, with: .null).problems == ["page.name: is required"])
        #expect(answer(name, with: "").problems == ["page.name: must not be empty"])
        #expect(answer(name, with: "   ").problems == ["page.name: must not be empty"])
        #expect(answer(name, with: " \t\n ").problems == ["page.name: must not be empty"], "newlines are blank too")
        #expect(answer(name, with: " core-1 ").stored == " core-1 ", "text is stored as given")
    }

    @Test func optionalTextMayBeLeftOutOrEmpty() {
        let note = FormField.text("note", "Note", required: false)
        #expect(answer(note, with: nil) == (nil, []))
        #expect(answer(note, with: "") == ("", []))
    }

    @Test(arguments: [
        (JSONValue.int(7), "an integer"), (.double(1.5), "a number"), (.bool(true), "a boolean"), (.array(["a"]), "an array"),
        (.object(["a": "b"]), "an object"),
    ])
    func textRefusesValuesThatAreNotStrings(value: JSONValue, type: String) {
        #expect(answer(.text("name", "Name"), with: value).problems == ["page.name: expected a string, got \(type)"])
    }

    @Test func textPatternMustMatchTheWholeText() {
        let device = FormField.text("device", "Device", pattern: "[a-z]+[0-9]+")
        #expect(answer(device, with: "rt12") == ("rt12", []))
        for partial in ["rt12x", "x rt12", "RT12", "rt"] {
            #expect(answer(device, with: .string(partial)).problems == ["page.device: must match [a-z]+[0-9]+"], "\(partial)")
        }
        let either = FormField.text("role", "Role", pattern: "core|edge")
        #expect(answer(either, with: "edge").problems == [])
        #expect(answer(either, with: "coreedge").problems == ["page.role: must match core|edge"], "alternation is anchored as a whole")
        #expect(answer(either, with: "score").problems == ["page.role: must match core|edge"])
    }

    @Test func textWithAnInvalidPatternRefusesEveryAnswerNamingThePattern() {
        let broken = FormField.text("name", "Name", pattern: "(unclosed")
        #expect(answer(broken, with: "anything").problems == ["page.name: has an invalid pattern (unclosed in its definition"])
    }

    @Test func textLengthBoundsAreInclusive() {
        let code = FormField.text("code", "Code", length: 2...4)
        #expect(answer(code, with: "a").problems == ["page.code: must be at least 2 characters long"])
        #expect(answer(code, with: "ab") == ("ab", []))
        #expect(answer(code, with: "abcd") == ("abcd", []))
        #expect(answer(code, with: "abcde").problems == ["page.code: must be at most 4 characters long"])
        #expect(answer(code, with: "ééé").problems == [], "length counts characters, not bytes")
        let optional = FormField.text("note", "Note", required: false, length: 1...3)
        #expect(answer(optional, with: "").problems == ["page.note: must be at least 1 characters long"])
    }

    // MARK: integer

    @Test(arguments: [
        (JSONValue.string("7"), "a string"), (.double(1.5), "a number"), (.bool(true), "a boolean"), (.array([7]), "an array"),
        (.object(["n": 7]), "an object"), (.double(1e300), "a number"),
    ])
    func integerRefusesValuesThatAreNotWholeNumbers(value: JSONValue, type: String) {
        #expect(answer(.integer("vlan", "VLAN"), with: value).problems == ["page.vlan: expected an integer, got \(type)"])
    }

    @Test func integerRangeIsInclusiveAndWholeDoublesAreStoredAsIntegers() {
        let vlan = FormField.integer("vlan", "VLAN", range: 1...4094)
        #expect(answer(vlan, with: 0).problems == ["page.vlan: must be at least 1, got 0"])
        #expect(answer(vlan, with: 1) == (1, []))
        #expect(answer(vlan, with: 4094) == (4094, []))
        #expect(answer(vlan, with: 4095).problems == ["page.vlan: must be at most 4094, got 4095"])
        #expect(answer(vlan, with: .double(7.0)) == (.int(7), []))
        #expect(answer(vlan, with: nil).problems == ["page.vlan: is required"])
    }

    @Test func integerDefaultFillsAMissingOrNullAnswerAndOptionalIntegerMayBeLeftOut() {
        let mtu = FormField.integer("mtu", "MTU", default: 9000, range: 1280...9216)
        #expect(mtu.isRequired, "required, but the default answers it")
        #expect(answer(mtu, with: nil) == (9000, []))
        #expect(answer(mtu, with: .null) == (9000, []))
        #expect(answer(mtu, with: 1500) == (1500, []))
        #expect(answer(.integer("metric", "Metric", required: false), with: nil) == (nil, []))
    }

    // MARK: boolean

    @Test func booleanWithoutDefaultIsRequiredAndTakesOnlyTrueOrFalse() {
        let enabled = FormField.boolean("enabled", "Enabled")
        #expect(enabled.isRequired)
        #expect(answer(enabled, with: nil).problems == ["page.enabled: is required"])
        #expect(answer(enabled, with: false) == (false, []))
        #expect(answer(enabled, with: "true").problems == ["page.enabled: expected true or false, got a string"])
        #expect(answer(enabled, with: 1).problems == ["page.enabled: expected true or false, got an integer"])
    }

    @Test func booleanWithDefaultIsOptionalAndFilledIn() {
        let enabled = FormField.boolean("enabled", "Enabled", default: true)
        #expect(!enabled.isRequired)
        #expect(answer(enabled, with: nil) == (true, []))
        #expect(answer(enabled, with: false) == (false, []))
    }

    // MARK: choice

    static let nodes = [Choice(1, label: "rt1.lab"), Choice(2, label: "rt2.lab")]

    @Test func choiceAcceptsOnlyTheValuesOfItsChoices() {
        let node = FormField.choice("node", "Node", choices: Self.nodes)
        #expect(answer(node, with: 2) == (2, []))
        #expect(answer(node, with: 3).problems == ["page.node: 3 is not one of: 1 (rt1.lab), 2 (rt2.lab)"])
        #expect(answer(node, with: "1").problems == [#"page.node: "1" is not one of: 1 (rt1.lab), 2 (rt2.lab)"#])
        #expect(answer(node, with: nil).problems == ["page.node: is required"])
    }

    @Test func choiceRefusesTheLabelOfAChoice() {
        let node = FormField.choice("node", "Node", choices: Self.nodes)
        #expect(answer(node, with: "rt1.lab").problems == [#"page.node: "rt1.lab" is not one of: 1 (rt1.lab), 2 (rt2.lab)"#])
        let tier = FormField.choice("tier", "Tier", choices: [Choice("gold", label: "Gold (99.99 %)"), Choice("silver", label: "Silver")])
        #expect(
            answer(tier, with: "Gold (99.99 %)").problems == [#"page.tier: "Gold (99.99 %)" is not one of: gold (Gold (99.99 %)), silver (Silver)"#])
        #expect(answer(tier, with: "gold") == ("gold", []))
    }

    @Test func choiceStoresTheChoiceValueForAWholeDouble() {
        let node = FormField.choice("node", "Node", choices: Self.nodes)
        #expect(answer(node, with: .double(1.0)) == (.int(1), []))
    }

    @Test func choiceWithNoChoicesSaysThereAreNone() {
        let node = FormField.choice("node", "Node", choices: [])
        #expect(answer(node, with: 1).problems == ["page.node: 1 is not one of the choices (there are none)"])
    }

    @Test func choiceDefaultFillsAMissingAnswer() {
        let node = FormField.choice("node", "Node", choices: Self.nodes, default: 2)
        #expect(answer(node, with: nil) == (2, []))
    }

    // MARK: multiChoice

    static let tags = ["a", "b", "c", "d"].map { Choice(.string($0), label: $0.uppercased()) }

    @Test func multiChoiceTakesAnArrayOfDistinctChoicesInTheGivenOrder() {
        let tags = FormField.multiChoice("tags", "Tags", choices: Self.tags, count: 1...3)
        #expect(answer(tags, with: ["c", "a"]) == (["c", "a"], []))
        #expect(answer(tags, with: "a").problems == ["page.tags: expected an array of choices, got a string"])
        #expect(answer(tags, with: ["a", "x"]).problems == [#"page.tags: "x" is not one of: a (A), b (B), c (C), d (D)"#])
        #expect(answer(tags, with: ["A"]).problems == [#"page.tags: "A" is not one of: a (A), b (B), c (C), d (D)"#], "labels are not values")
        #expect(answer(tags, with: ["a", "b", "a"]).problems == [#"page.tags: "a" is chosen twice"#])
    }

    @Test func multiChoiceCountBoundsAreInclusive() {
        let tags = FormField.multiChoice("tags", "Tags", choices: Self.tags, count: 1...3)
        #expect(tags.isRequired, "a lower bound above zero makes the field required")
        #expect(answer(tags, with: nil).problems == ["page.tags: is required"])
        #expect(answer(tags, with: []).problems == ["page.tags: choose at least 1"])
        #expect(answer(tags, with: ["a"]).problems == [])
        #expect(answer(tags, with: ["a", "b", "c"]).problems == [])
        #expect(answer(tags, with: ["a", "b", "c", "d"]).problems == ["page.tags: choose at most 3"])
    }

    @Test func multiChoiceWithoutLowerBoundIsOptionalAndTakesItsDefault() {
        let free = FormField.multiChoice("tags", "Tags", choices: Self.tags)
        #expect(!free.isRequired)
        #expect(answer(free, with: nil) == (nil, []))
        #expect(answer(free, with: []) == ([], []))
        let preset = FormField.multiChoice("tags", "Tags", choices: Self.tags, default: ["b"])
        #expect(answer(preset, with: nil) == (["b"], []))
    }

    // MARK: accept

    @Test(arguments: [JSONValue.bool(false), "true", 1, "yes", ["ok": true]])
    func acceptRefusesAnythingButTrue(value: JSONValue) {
        #expect(answer(.accept("ok", "Applied"), with: value).problems == ["page.ok: must be accepted (true) to continue"])
    }

    @Test func acceptTakesTrueAndIsRequired() {
        #expect(answer(.accept("ok", "Applied"), with: true) == (true, []))
        #expect(answer(.accept("ok", "Applied"), with: nil).problems == ["page.ok: is required"])
    }

    // MARK: read-only fields, unknown fields, defaults

    static let review = Form(
        name: "review", title: "Review",
        fields: [
            .display("config", "Config", text: "interface xe-0/0/0"),
            .summary("current", "Current", items: [SummaryItem("MTU", "9000")]),
            .text("name", "Name"),
        ])

    @Test func displayAndSummaryAreNeverRequiredNorStored() throws {
        let forcedRequired = FormField(name: "config", label: "Config", kind: .display, isRequired: true, text: "x")
        #expect(!forcedRequired.isRequired)
        #expect(Self.review.answerableFields.map(\.name) == ["name"])

        let stored = try Self.review.validate(["name": "core-1"])

        #expect(stored == ["name": "core-1"])
    }

    @Test func givingAReadOnlyFieldIsRefused() {
        let (_, problems) = Self.review.check(["name": "core-1", "config": "changed", "current": ["MTU": "1500"]])
        #expect(problems.map(\.description) == ["review.config: is read-only; leave it out", "review.current: is read-only; leave it out"])
    }

    @Test func unknownFieldIsRefusedListingTheAnswerableFields() {
        let (_, problems) = Self.review.check(["name": "core-1", "colour": "red"])
        #expect(problems.map(\.description) == ["review.colour: is not a field of this page (fields: name)"])
    }

    @Test func validateReportsEveryProblemOfThePageAtOnce() {
        let form = Form(
            name: "port", title: "Port",
            fields: [.text("name", "Name"), .integer("vlan", "VLAN", range: 1...4094), .accept("ok", "OK")])
        let error = #expect(throws: WorkflowError.self) { try form.validate(["vlan": 0, "ok": false, "extra": 1]) }
        #expect(error?.code == .invalidInput)
        #expect(
            error?.problems.map(\.description) == [
                "port.extra: is not a field of this page (fields: name, vlan, ok)", "port.name: is required",
                "port.vlan: must be at least 1, got 0", "port.ok: must be accepted (true) to continue",
            ])
    }

    @Test func defaultsFillInEveryMissingAnswer() throws {
        let form = Form(
            name: "defaults", title: "Defaults",
            fields: [
                .text("description", "Description", default: "lab"), .integer("mtu", "MTU", default: 9000),
                .boolean("enabled", "Enabled", default: false), .choice("node", "Node", choices: Self.nodes, default: 1),
                .multiChoice("tags", "Tags", choices: Self.tags, default: ["a", "d"]),
            ])

        #expect(try form.validate([:]) == ["description": "lab", "mtu": 9000, "enabled": false, "node": 1, "tags": ["a", "d"]])
    }

    /// A modify form: every field's default is the subscription's current value.
    static func modifyPort(current: State) -> Form {
        Form(
            name: "modify_port", title: "Modify port",
            fields: [
                .text("description", "Description", default: current[raw: "description"]?.stringValue),
                .integer("mtu", "MTU", default: current[raw: "mtu"]?.intValue, range: 1280...9216),
            ])
    }

    @Test func prefillIsKeptWhenLeftOutAndReplacedWhenGiven() throws {
        let form = Self.modifyPort(current: ["description": "uplink to rt2", "mtu": 9000])

        #expect(try form.validate([:]) == ["description": "uplink to rt2", "mtu": 9000])
        #expect(try form.validate(["mtu": 1500]) == ["description": "uplink to rt2", "mtu": 1500])
        #expect(try form.validate(["description": "spare", "mtu": 1500]) == ["description": "spare", "mtu": 1500])
        #expect(form.check(["mtu": 100]).problems.map(\.description) == ["modify_port.mtu: must be at least 1280, got 100"])
    }

    @Test func problemsAreNamedByPageAndField() {
        let form = Form(title: "A-side port", fields: [.integer("vlan", "VLAN")])
        #expect(form.name == "a_side_port", "the page name is derived from the title")
        #expect(form.check(["vlan": "x"]).problems.map(\.field) == ["a_side_port.vlan"])
    }
}

@Suite("Form fields: JSON Schema", .storeSlots)
struct FormFieldSchemaTests {
    @Test func choiceIsOneOfConstAndTitle() {
        let node = FormField.choice("node", "Node", choices: [Choice(1, label: "rt1.lab"), Choice(2, label: "rt2.lab")])
        #expect(
            node.jsonSchema == [
                "title": "Node", "x-kind": "choice",
                "oneOf": [["const": 1, "title": "rt1.lab"], ["const": 2, "title": "rt2.lab"]],
            ])
    }

    @Test func multiChoiceIsAnArrayOfUniqueItemsEachOneOfTheChoices() {
        let tags = FormField.multiChoice("tags", "Tags", choices: [Choice("a", label: "A"), Choice("b", label: "B")], count: 1...2)
        #expect(
            tags.jsonSchema == [
                "title": "Tags", "x-kind": "multi_choice", "type": "array", "uniqueItems": true,
                "items": ["oneOf": [["const": "a", "title": "A"], ["const": "b", "title": "B"]]], "minItems": 1, "maxItems": 2,
            ])
    }

    @Test func readOnlyFieldsAreMarkedReadOnlyWithTheirContentAsDefault() {
        let display = FormField.display("config", "Config", text: "set vlan 10")
        #expect(display.jsonSchema == ["title": "Config", "x-kind": "display", "type": "string", "readOnly": true, "default": "set vlan 10"])
        let summary = FormField.summary("current", "Current", items: [SummaryItem("MTU", "9000"), SummaryItem("VLAN", "10")])
        #expect(member(summary.jsonSchema, "readOnly") == true)
        #expect(member(summary.jsonSchema, "type") == "object")
        #expect(member(summary.jsonSchema, "default") == ["MTU": "9000", "VLAN": "10"])
        #expect(member(summary.jsonSchema, "x-items") == [["label": "MTU", "value": "9000"], ["label": "VLAN", "value": "10"]])
    }

    @Test func acceptIsABooleanThatMustBeTrue() {
        #expect(FormField.accept("ok", "Applied").jsonSchema == ["title": "Applied", "x-kind": "accept", "type": "boolean", "const": true])
    }

    @Test func textPatternIsAnchoredAndAcceptsExactlyWhatTheFormAccepts() throws {
        let role = FormField.text("role", "Role", pattern: "core|edge", length: 2...8)
        #expect(
            role.jsonSchema == [
                "title": "Role", "x-kind": "text", "type": "string", "pattern": "^(?:core|edge)$", "minLength": 2, "maxLength": 8,
            ])
        let anchored = try Regex(try #require(member(role.jsonSchema, "pattern")?.stringValue))
        for text in ["core", "edge", "coreedge", "score", "edges", ""] {
            let schemaAccepts = (try anchored.firstMatch(in: text)) != nil
            let formAccepts = answer(.text("role", "Role", pattern: "core|edge"), with: .string(text)).problems.isEmpty
            #expect(schemaAccepts == formAccepts, "\(text)")
        }
    }

    @Test func requiredTextWithoutLengthHasMinimumLengthOne() {
        #expect(member(FormField.text("name", "Name").jsonSchema, "minLength") == 1)
        #expect(member(FormField.text("note", "Note", required: false).jsonSchema, "minLength") == nil)
    }

    @Test func integerHasMinimumAndMaximumAndItsDefault() {
        #expect(
            FormField.integer("mtu", "MTU", default: 9000, range: 1280...9216).jsonSchema == [
                "title": "MTU", "x-kind": "integer", "type": "integer", "minimum": 1280, "maximum": 9216, "default": 9000,
            ])
        #expect(FormField.integer("metric", "Metric").jsonSchema == ["title": "Metric", "x-kind": "integer", "type": "integer"])
    }

    @Test func formSchemaRequiresExactlyTheRequiredFieldsWithoutDefaults() {
        let form = Form(
            name: "port", title: "Port",
            fields: [
                .text("name", "Name"), .text("description", "Description", default: "spare"), .integer("metric", "Metric", required: false),
                .integer("mtu", "MTU", default: 9000), .boolean("enabled", "Enabled"), .boolean("shutdown", "Shutdown", default: false),
                .accept("ok", "OK"), .display("config", "Config", text: "x"), .summary("current", "Current", items: []),
                .multiChoice("tags", "Tags", choices: [Choice("a", label: "A")], count: 1...1),
                .multiChoice("labels", "Labels", choices: [Choice("a", label: "A")]),
            ])

        let schema = form.jsonSchema

        #expect(member(schema, "required") == ["name", "enabled", "ok", "tags"])
        #expect(member(schema, "$schema") == "https://json-schema.org/draft/2020-12/schema")
        #expect(member(schema, "type") == "object")
        #expect(member(schema, "title") == "Port")
        #expect(member(schema, "x-page") == "port")
        #expect(member(schema, "additionalProperties") == false)
        #expect(member(schema, "x-field-order") == .array(form.fields.map { .string($0.name) }))
        #expect(member(schema, "properties") == .object(Dictionary(uniqueKeysWithValues: form.fields.map { ($0.name, $0.jsonSchema) })))
    }
}

@Suite("Form fields: stored forms", .storeSlots)
struct FormCodingTests {
    static let everyKind = Form(
        name: "everything", title: "Every kind",
        fields: [
            .text("name", "Name", default: "core-1", pattern: "[a-z]+-[0-9]+", length: 3...20),
            .text("note", "Note", required: false),
            .integer("vlan", "VLAN", default: 10, range: 1...4094),
            .boolean("enabled", "Enabled", default: true),
            .choice("node", "Node", choices: [Choice(1, label: "rt1.lab"), Choice("two", label: "rt2.lab"), Choice(2.5, label: "odd")], default: 1),
            .multiChoice("tags", "Tags", choices: [Choice("a", label: "A"), Choice("b", label: "B")], count: 1...2, default: ["a"]),
            .accept("ok", "Applied"),
            .display("config", "Config", text: "line 1\nline \"2\"\t\u{1}"),
            .summary("current", "Current", items: [SummaryItem("MTU", "9000"), SummaryItem("Description", "uplink ✓")]),
        ])

    @Test func storedFormReadsBackEqual() throws {
        let encoded = try JSONEncoder().encode(Self.everyKind)
        #expect(try JSONDecoder().decode(Form.self, from: encoded) == Self.everyKind)

        // The way a store keeps it: JSON text of the encoded value, parsed and decoded back.
        let text = try JSONValue(encoding: Self.everyKind).jsonText
        #expect(try JSONValue.parse(text).decode(Form.self) == Self.everyKind)
    }

    @Test func storedFormUsesExplicitSnakeCaseKeys() throws {
        let stored = try JSONValue(encoding: Self.everyKind)
        let fields = try #require(member(stored, "fields")?.arrayValue)
        #expect(member(fields[0], "min_length") == 3)
        #expect(member(fields[0], "max_length") == 20)
        #expect(member(fields[0], "default") == "core-1")
        #expect(member(fields[0], "required") == true)
        #expect(member(fields[5], "kind") == "multi_choice")
        #expect(member(fields[5], "min_items") == 1)
        #expect(member(fields[5], "max_items") == 2)
    }
}
