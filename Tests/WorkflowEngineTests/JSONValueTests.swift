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

    @Test func numbersEscapesAndWhitespaceParseAsRFC8259Says() throws {
        #expect(
            try JSONValue.parse(" [ -0 , -12 , 1e3 , 2.5E-1 , 0.0 , 18446744073709551616 ] \n") == [
                .int(0), .int(-12), .double(1000), .double(0.25), .double(0), .double(18_446_744_073_709_551_616),
            ])
        #expect(try JSONValue.parse(#""\u00e6\ud83d\ude00\/\b\f\r""#) == .string("æ😀/\u{08}\u{0C}\r"))
        #expect(try JSONValue.parse(#"{"a": {"b": [{}, []]}, "a2": "x"}"#) == ["a": ["b": [[:], []]], "a2": "x"])
    }

    @Test(arguments: [
        "", " ", "01", "-", "1.", ".5", "1e", "+1", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "[1 2]", "tru", "nul", "\"a",
        "\"\\x\"", "\"\\ud800\"", "\"\\ud800\\u0041\"", "\"\t\"", "[1]]", "{}x", "\"\\u12g4\"",
    ])
    func invalidTextIsRefusedNamingWhere(text: String) {
        #expect(throws: JSONSyntaxError.self, "\(text)") { try JSONValue.parse(text) }
    }

    @Test func invalidUTF8IsRefused() {
        #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(Data([0x22, 0xC3, 0x28, 0x22])) }
    }

    @Test func randomValuesSurviveATripThroughText() throws {
        var generator = SystemRandomNumberGenerator()
        func random(_ depth: Int) -> JSONValue {
            switch Int.random(in: 0..<(depth > 3 ? 5 : 7), using: &generator) {
            case 0: return .null
            case 1: return .bool(Bool.random(using: &generator))
            case 2: return .int(Int.random(in: Int.min...Int.max, using: &generator))
            case 3: return .double(Double.random(in: -1e12...1e12, using: &generator))
            case 4: return .string(String((0..<Int.random(in: 0..<8)).map { _ in "aø\"\\\n\u{01}😀 ".randomElement()! }))
            case 5: return .array((0..<Int.random(in: 0..<4)).map { _ in random(depth + 1) })
            default: return .object(Dictionary(uniqueKeysWithValues: (0..<Int.random(in: 0..<4)).map { ("k\($0)", random(depth + 1)) }))
            }
        }
        for _ in 0..<500 {
            let value = random(0)
            #expect(try JSONValue.parse(value.jsonText) == value, "\(value.jsonText)")
            #expect(try JSONValue.parse(value.prettyText) == value)
        }
    }
}
