import Foundation
import Testing
import WorkflowEngine

/// The test's JSON Schema validator on hand-made cases: it must refuse what the API's
/// document forbids, and say where.
struct SchemaValidatorTests {
    static let document: JSONValue = [
        "components": [
            "schemas": [
                "Pet": [
                    "type": "object",
                    "properties": [
                        "name": ["type": "string"],
                        "age": ["type": ["integer", "null"], "minimum": 0],
                        "kind": ["enum": ["cat", "dog"]],
                        "tags": ["type": "array", "items": ["type": "string"], "maxItems": 2],
                        "owner": ["$ref": "#/components/schemas/Owner"],
                    ],
                    "required": ["name", "kind"],
                    "additionalProperties": false,
                ],
                "Owner": ["type": "object", "properties": ["id": ["const": 7]], "additionalProperties": ["type": "string"]],
            ]
        ]
    ]

    let validator = SchemaValidator(document: Self.document)

    func messages(_ value: JSONValue, _ schema: String = "Pet") -> [String] {
        validator.validate(value, schemaNamed: schema).map(\.description)
    }

    @Test func aConformingValuePasses() {
        #expect(messages(["name": "Tom", "kind": "cat", "age": .null, "tags": ["a"], "owner": ["id": 7, "note": "x"]]).isEmpty)
        #expect(messages(["name": "Rex", "kind": "dog", "age": 3]).isEmpty)
    }

    @Test func missingAndUnknownKeysAreNamedWithTheirPath() {
        #expect(
            messages(["kind": "cat", "colour": "grey"]) == [
                "$: lacks the required key 'name'", "$.colour: is not a key the schema allows (age, kind, name, owner, tags)",
            ])
    }

    @Test func typesEnumsAndBoundsAreChecked() {
        #expect(messages(["name": 3, "kind": "cat"]) == ["$.name: expected string, got integer"])
        #expect(messages(["name": "Tom", "kind": "cow"]) == [#"$.kind: "cow" is not one of ["cat","dog"]"#])
        #expect(messages(["name": "Tom", "kind": "cat", "age": -1]) == ["$.age: -1 is less than the minimum 0"])
        #expect(messages(["name": "Tom", "kind": "cat", "age": 2.5]) == [#"$.age: expected ["integer","null"], got number"#])
        #expect(messages(["name": "Tom", "kind": "cat", "age": 2.0]).isEmpty, "2.0 is an integer in JSON Schema")
    }

    @Test func itemsReferencesAndAdditionalPropertiesSchemasAreFollowed() {
        #expect(
            messages(["name": "Tom", "kind": "cat", "tags": ["a", 1, "c"]]) == [
                "$.tags: has 3 items, more than 2", "$.tags[1]: expected string, got integer",
            ])
        #expect(
            messages(["name": "Tom", "kind": "cat", "owner": ["id": 8, "note": false]]) == [
                "$.owner.id: expected 7, got 8", "$.owner.note: expected string, got boolean",
            ])
        #expect(messages(["id": 7.0], "Owner").isEmpty, "7.0 equals the const 7")
    }

    @Test func oneOfNeedsExactlyOneBranchAndAnyOfAtLeastOne() {
        let oneOf: JSONValue = ["oneOf": [["type": "integer"], ["type": "number"]]]
        #expect(validator.validate("x", against: oneOf).first?.message == "matches none of the oneOf branches; nearest, branch 0:")
        #expect(validator.validate(1, against: oneOf).map(\.message) == ["matches 2 oneOf branches (0, 1); exactly one must"])
        #expect(validator.validate(1.5, against: oneOf).isEmpty)
        let anyOf: JSONValue = ["anyOf": [["type": "integer"], ["type": "number"]]]
        #expect(validator.validate(1, against: anyOf).isEmpty)
        #expect(validator.validate(.null, against: anyOf).count == 2, "the summary and the nearest branch's violation")
    }

    @Test func unknownKeywordsAndBrokenReferencesAreViolationsNotSilentPasses() {
        #expect(
            validator.validate("abc", against: ["type": "string", "pattern": "^a"]).map(\.message) == [
                "the schema uses 'pattern', which this validator does not check"
            ])
        #expect(
            validator.validate(1, against: ["$ref": "#/components/schemas/Nope"]).map(\.message) == [
                "$ref #/components/schemas/Nope names no schema of the document"
            ])
        #expect(validator.validate(1, against: ["$ref": "other.json#/X"]).count == 1)
        let nested: JSONValue = ["properties": ["a": ["items": ["oneOf": [["uniqueItems": true]]]]]]
        #expect(SchemaValidator.unsupportedKeywords(in: nested).map(\.description) == ["$.properties.a.items.oneOf[0]: uses 'uniqueItems'"])
    }
}
