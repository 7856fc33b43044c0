import Foundation
import Testing
import WorkflowEngine
import WorkflowTestKit

@Suite("JSON values", .storeSlots)
struct JSONValueTests {
    @Test func parsingKeepsIntegersDoublesAndBooleansApart() throws {
        let value = try JSONValue.parse(
            #"{"whole": 2.0, "int": 2, "yes": true, "no": false, "one": 1, "zero": 0, "big": 9007199254740993, "frac": 1.5}"#)
        #expect(
            value == [
                "whole": .double(2.0), "int": .int(2), "yes": .bool(true), "no": .bool(false), "one": .int(1), "zero": .int(0),
                "big": .int(9_007_199_254_740_993), "frac": .double(1.5),
            ])
    }

    @Test func wholeDoubleSurvivesATripThroughText() throws {
        let value: JSONValue = ["speed": .double(10.0), "list": [.double(2.0), .int(2)]]
        #expect(try JSONValue.parse(value.jsonText) == value)
    }

    @Test func stringsWithEscapesRoundTrip() throws {
        let value: JSONValue = ["text": "line one\nline \"two\"\t\\ and \u{01}", "unicode": "øæå ✓"]
        #expect(try JSONValue.parse(value.jsonText) == value)
    }

    @Test func scalarsParseAtTheTopLevel() throws {
        #expect(try JSONValue.parse("42") == .int(42))
        #expect(try JSONValue.parse("null") == .null)
        #expect(try JSONValue.parse(#""x""#) == .string("x"))
    }

    @Test func deeplyNestedInputParsesOrIsRefusedWithoutCrashing() {
        let depth = 400
        let text = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        if let value = try? JSONValue.parse(text) {
            var level = 0
            var current = value
            while case .array(let items) = current, let first = items.first {
                current = first
                level += 1
            }
            #expect(level == depth - 1)
        }
        #expect(throws: (any Error).self) { try JSONValue.parse("{\"a\": ") }
    }
}
