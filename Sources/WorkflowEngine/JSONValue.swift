import Foundation

/// A JSON value: what state, form answers and step results are made of.
///
/// Integers and floating-point numbers are kept apart so that an id read back from the
/// database is the same `Int` that was written, never a `Double` that merely looks like it.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])
}

extension JSONValue {
    /// The name of the JSON type, for error messages ("expected an integer, got a string").
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .int: "an integer"
        case .double: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var intValue: Int? {
        switch self {
        case .int(let value): value
        case .double(let value) where value.rounded() == value && abs(value) < 9.0e15: Int(value)
        default: nil
        }
    }

    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    public var objectValue: [String: JSONValue]? {
        if case .object(let value) = self { return value }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }
}

// MARK: - Literals

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}

// MARK: - Codable

extension JSONValue: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}

// MARK: - Text

extension JSONValue {
    /// Compact JSON with sorted keys, so equal values always serialise to equal text.
    ///
    /// Hand-written because it sits on the per-step hot path, where JSONEncoder costs
    /// several times more than the database commit it precedes.
    public var jsonText: String {
        var out = ""
        write(to: &out, indent: nil, level: 0)
        return out
    }

    /// Indented JSON with sorted keys, for people.
    public var prettyText: String {
        var out = ""
        write(to: &out, indent: "  ", level: 0)
        return out
    }

    private func write(to out: inout String, indent: String?, level: Int) {
        switch self {
        case .null: out += "null"
        case .bool(let value): out += value ? "true" : "false"
        case .int(let value): out += String(value)
        case .double(let value):
            if value.isFinite {
                out += value.rounded() == value && abs(value) < 1e15 ? String(format: "%.1f", value) : "\(value)"
            } else {
                out += "null"
            }
        case .string(let value): Self.writeString(value, to: &out)
        case .array(let values):
            if values.isEmpty {
                out += "[]"
                return
            }
            out += "["
            for (index, value) in values.enumerated() {
                if index > 0 { out += "," }
                Self.newline(&out, indent: indent, level: level + 1)
                value.write(to: &out, indent: indent, level: level + 1)
            }
            Self.newline(&out, indent: indent, level: level)
            out += "]"
        case .object(let members):
            if members.isEmpty {
                out += "{}"
                return
            }
            out += "{"
            for (index, member) in members.sorted(by: { $0.key < $1.key }).enumerated() {
                if index > 0 { out += "," }
                Self.newline(&out, indent: indent, level: level + 1)
                Self.writeString(member.key, to: &out)
                out += indent == nil ? ":" : ": "
                member.value.write(to: &out, indent: indent, level: level + 1)
            }
            Self.newline(&out, indent: indent, level: level)
            out += "}"
        }
    }

    private static func newline(_ out: inout String, indent: String?, level: Int) {
        guard let indent else { return }
        out += "\n"
        out += String(repeating: indent, count: level)
    }

    private static func writeString(_ value: String, to out: inout String) {
        out += "\""
        // Most keys and values need no escaping: append them whole. (0xC2 leads the UTF-8 of
        // U+0080–U+00BF, among them the C1 controls.)
        if !value.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") || $0 == 0x7F || $0 == 0xC2 }) {
            out += value
            out += "\""
            return
        }
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            // C0, and DEL and C1 too: JSON allows them raw, but a terminal showing the text obeys them.
            case let control where control.value < 0x20 || (0x7F...0x9F).contains(control.value):
                out +=
                    "\\u" + String(repeating: "0", count: 4 - String(control.value, radix: 16).count)
                    + String(control.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}

/// Where and why JSON text is not valid, e.g. `line 2, column 5: expected ',' or '}'`.
public struct JSONSyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
    /// From 1.
    public var line: Int
    /// From 1, in characters.
    public var column: Int
    public var reason: String

    public init(line: Int, column: Int, reason: String) {
        self.line = line
        self.column = column
        self.reason = reason
    }

    public var description: String { "line \(line), column \(column): \(reason)" }

    /// The first syntax error in `bytes`, nil when they are valid JSON. A loop with an explicit
    /// stack, not recursion, so that deeply nested input cannot exhaust the call stack.
    static func locate(in bytes: [UInt8]) -> JSONSyntaxError? {
        var scanner = JSONScanner(bytes: bytes)
        guard let (offset, reason) = scanner.firstError() else { return nil }
        let lineStart = bytes[..<offset].lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
        return JSONSyntaxError(
            line: bytes[..<offset].count(where: { $0 == UInt8(ascii: "\n") }) + 1,
            column: String(decoding: bytes[lineStart..<offset], as: UTF8.self).count + 1, reason: reason)
    }
}

/// Checks JSON syntax (RFC 8259) byte by byte and reports the first error: its offset and a
/// reason for people.
private struct JSONScanner {
    let bytes: [UInt8]
    var index = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
    }

    private func found() -> String {
        guard let byte = current else { return "the end of the input" }
        let character = String(decoding: bytes[index...].prefix(4), as: UTF8.self).first.map(String.init) ?? "?"
        return byte < 0x20 ? "a control character" : "'\(character)'"
    }

    /// Steps into the container that starts at `current`; true when it closes at once (`{}`, `[]`).
    private mutating func open(closedBy close: UInt8, _ stack: inout [UInt8]) -> Bool {
        stack.append(bytes[index])
        index += 1
        skipWhitespace()
        guard current == close else { return false }
        stack.removeLast()
        index += 1
        return true
    }

    mutating func firstError() -> (Int, String)? {
        var stack: [UInt8] = []  // the open containers: `[` or `{`
        var expectingValue = true
        while true {
            skipWhitespace()
            if expectingValue {
                switch current {
                case UInt8(ascii: "{"):
                    if open(closedBy: UInt8(ascii: "}"), &stack) {
                        expectingValue = false
                    } else if let error = memberName(first: true) {
                        return error
                    }
                case UInt8(ascii: "["):
                    if open(closedBy: UInt8(ascii: "]"), &stack) { expectingValue = false }
                default:
                    if let error = scalar() { return error }
                    expectingValue = false
                }
                continue
            }
            guard let open = stack.last else {
                return current == nil ? nil : (index, "unexpected \(found()) after the JSON value")
            }
            let close = open == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
            switch current {
            case close:
                stack.removeLast()
                index += 1
            case UInt8(ascii: ","):
                index += 1
                skipWhitespace()
                if current == close { return (index, "expected a \(open == UInt8(ascii: "{") ? "member" : "value") after ',', found \(found())") }
                if open == UInt8(ascii: "{"), let error = memberName(first: false) { return error }
                expectingValue = true
            default:
                return (index, "expected ',' or '\(Character(Unicode.Scalar(close)))', found \(found())")
            }
        }
    }

    /// A member name and its colon; the value is next.
    private mutating func memberName(first: Bool) -> (Int, String)? {
        guard current == UInt8(ascii: "\"") else {
            let expected = first ? "a member name in double quotes or '}'" : "a member name in double quotes"
            return (index, "expected \(expected), found \(found())")
        }
        if let error = string() { return error }
        skipWhitespace()
        guard current == UInt8(ascii: ":") else { return (index, "expected ':' after the member name, found \(found())") }
        index += 1
        return nil
    }

    /// A string, number, true, false or null.
    private mutating func scalar() -> (Int, String)? {
        switch current {
        case UInt8(ascii: "\""): return string()
        case .some(let byte) where byte == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte): return number()
        case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
            for word in ["true", "false", "null"] where bytes[index...].starts(with: word.utf8) {
                index += word.utf8.count
                return nil
            }
            return (index, "expected true, false or null, found \(found())")
        case UInt8(ascii: "'"): return (index, "strings take double quotes, found \(found())")
        default: return (index, "expected a JSON value, found \(found())")
        }
    }

    private mutating func string() -> (Int, String)? {
        let start = index
        index += 1
        while let byte = current {
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return nil
            case UInt8(ascii: "\\"):
                index += 1
                switch current {
                case UInt8(ascii: "u"):
                    let hex = bytes[(index + 1)...].prefix(4)
                    guard hex.count == 4, hex.allSatisfy({ Character(Unicode.Scalar($0)).isHexDigit }) else {
                        return (index - 1, "'\\u' takes four hexadecimal digits")
                    }
                    index += 5
                case .some(let escaped) where "\"\\/bfnrt".utf8.contains(escaped): index += 1
                default: return (index - 1, "invalid escape in a string: \\\(found().dropFirst().dropLast())")
                }
            case 0..<0x20:
                return (index, "a control character in a string must be escaped (\\n, \\t, \\u0000…)")
            default:
                index += 1
            }
        }
        return (start, "this string is not closed: no '\"' before the end of the input")
    }

    private mutating func number() -> (Int, String)? {
        let start = index
        func digits() -> Int {
            let from = index
            while let byte = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { index += 1 }
            return index - from
        }
        if current == UInt8(ascii: "-") { index += 1 }
        if current == UInt8(ascii: "0") {
            index += 1
            if let byte = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { return (start, "a number cannot start with 0") }
        } else if digits() == 0 {
            return (index, "expected a digit, found \(found())")
        }
        if current == UInt8(ascii: ".") {
            index += 1
            if digits() == 0 { return (index, "expected a digit after '.', found \(found())") }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            index += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
            if digits() == 0 { return (index, "expected a digit in the exponent, found \(found())") }
        }
        return nil
    }
}
