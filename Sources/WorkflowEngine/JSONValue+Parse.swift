import Foundation

extension JSONValue {
    /// Parses JSON text. Invalid text throws a `JSONSyntaxError` naming the line, the column
    /// and what was expected there.
    public static func parse(_ text: String) throws -> JSONValue {
        var text = text
        return try text.withUTF8 { try parse(bytes: $0) }
    }

    /// Parses JSON text (UTF-8, RFC 8259, any value at the top level).
    ///
    /// Hand-written because every state, form and model read from the database comes through
    /// here: JSONSerialization, bridged value by value into `JSONValue`, cost more than the
    /// query that fetched the text. It keeps `2.0` a double and `2` an integer (an integer
    /// beyond 64 bits becomes a double), and it loops with a stack of open containers instead
    /// of recursing, so deeply nested input cannot exhaust the call stack. Its own failures
    /// are only "invalid"; the syntax scanner then says where and why.
    public static func parse(_ data: Data) throws -> JSONValue {
        try data.withUnsafeBytes { raw in try parse(bytes: raw.bindMemory(to: UInt8.self)) }
    }

    private static func parse(bytes: UnsafeBufferPointer<UInt8>) throws -> JSONValue {
        var parser = JSONParser(bytes: bytes)
        if let value = parser.document() { return value }
        throw JSONSyntaxError.locate(in: Array(bytes)) ?? JSONSyntaxError(line: 1, column: 1, reason: "the text is not valid JSON")
    }
}

/// The parser behind `JSONValue.parse`: nil on the first thing that is not JSON.
private struct JSONParser {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0

    /// An open container and what it holds so far.
    private enum Open {
        case array([JSONValue])
        case object([String: JSONValue], key: String)
    }

    init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    /// Consumes `byte` (after whitespace); false when something else comes.
    private mutating func take(_ byte: UInt8) -> Bool {
        skipWhitespace()
        guard current == byte else { return false }
        index += 1
        return true
    }

    mutating func document() -> JSONValue? {
        var stack: [Open] = []
        while true {
            // A value starts here: a container opens (and the loop goes on inside it) or a scalar is read whole.
            skipWhitespace()
            var value: JSONValue
            switch current {
            case UInt8(ascii: "["):
                index += 1
                if take(UInt8(ascii: "]")) {
                    value = .array([])
                } else {
                    stack.append(.array([]))
                    continue
                }
            case UInt8(ascii: "{"):
                index += 1
                if take(UInt8(ascii: "}")) {
                    value = .object([:])
                } else {
                    guard let key = memberName() else { return nil }
                    stack.append(.object([:], key: key))
                    continue
                }
            default:
                guard let scalar = scalar() else { return nil }
                value = scalar
            }
            // A value is complete: it goes into the container it is in, which may close in turn.
            closing: while true {
                guard let open = stack.popLast() else {
                    skipWhitespace()
                    // Not a ternary: JSONValue is ExpressibleByNilLiteral, so its `nil` would be `.null`.
                    guard index == bytes.count else { return nil }
                    return value
                }
                switch open {
                case .array(var items):
                    items.append(value)
                    if take(UInt8(ascii: ",")) {
                        stack.append(.array(items))
                        break closing
                    }
                    guard take(UInt8(ascii: "]")) else { return nil }
                    value = .array(items)
                case .object(var members, let key):
                    members[key] = value
                    if take(UInt8(ascii: ",")) {
                        guard let next = memberName() else { return nil }
                        stack.append(.object(members, key: next))
                        break closing
                    }
                    guard take(UInt8(ascii: "}")) else { return nil }
                    value = .object(members)
                }
            }
        }
    }

    /// `"name" :`, before a member's value.
    private mutating func memberName() -> String? {
        skipWhitespace()
        guard current == UInt8(ascii: "\""), let name = string(), take(UInt8(ascii: ":")) else { return nil }
        return name
    }

    private mutating func scalar() -> JSONValue? {
        guard let byte = current else { return nil }
        switch byte {
        case UInt8(ascii: "\""): return quoted()
        case UInt8(ascii: "t"): return literal("true", .bool(true))
        case UInt8(ascii: "f"): return literal("false", .bool(false))
        case UInt8(ascii: "n"): return literal("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return number()
        default: return nil
        }
    }

    private mutating func quoted() -> JSONValue? {
        guard let text = string() else { return nil }
        return .string(text)
    }

    private mutating func literal(_ word: StaticString, _ value: JSONValue) -> JSONValue? {
        let count = word.utf8CodeUnitCount
        guard bytes.count - index >= count else { return nil }
        for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] { return nil }
        index += count
        return value
    }

    private mutating func digits() -> Int {
        let start = index
        while let byte = current, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") { index += 1 }
        return index - start
    }

    /// `-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`: an integer without fraction or
    /// exponent that fits 64 bits, a double otherwise.
    private mutating func number() -> JSONValue? {
        let start = index
        if current == UInt8(ascii: "-") { index += 1 }
        let leadingZero = current == UInt8(ascii: "0")
        let whole = digits()
        guard whole > 0, !leadingZero || whole == 1 else { return nil }
        var integral = true
        if current == UInt8(ascii: ".") {
            index += 1
            guard digits() > 0 else { return nil }
            integral = false
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            index += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
            guard digits() > 0 else { return nil }
            integral = false
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        if integral, let value = Int(text) { return .int(value) }
        return Double(text).map(JSONValue.double)
    }

    /// A string from its opening quote: unescaped runs are copied whole, escapes decoded
    /// (surrogate pairs included), control characters and invalid UTF-8 refused.
    private mutating func string() -> String? {
        index += 1
        var result = ""
        var runStart = index
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                guard appendRun(from: runStart, to: &result) else { return nil }
                index += 1
                return result
            case UInt8(ascii: "\\"):
                guard appendRun(from: runStart, to: &result), let scalar = escape() else { return nil }
                result.unicodeScalars.append(scalar)
                runStart = index
            case 0..<0x20:
                return nil
            default:
                index += 1
            }
        }
        return nil
    }

    private func appendRun(from start: Int, to result: inout String) -> Bool {
        guard index > start else { return true }
        guard let run = String(validating: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self) else { return false }
        result += run
        return true
    }

    /// After a backslash: the character it stands for, the backslash and the escape consumed.
    private mutating func escape() -> Unicode.Scalar? {
        index += 1
        guard let byte = current else { return nil }
        index += 1
        switch byte {
        case UInt8(ascii: "\""): return "\""
        case UInt8(ascii: "\\"): return "\\"
        case UInt8(ascii: "/"): return "/"
        case UInt8(ascii: "b"): return "\u{08}"
        case UInt8(ascii: "f"): return "\u{0C}"
        case UInt8(ascii: "n"): return "\n"
        case UInt8(ascii: "r"): return "\r"
        case UInt8(ascii: "t"): return "\t"
        case UInt8(ascii: "u"):
            guard let unit = hexUnit() else { return nil }
            guard UTF16.isLeadSurrogate(unit) else { return Unicode.Scalar(unit) }
            guard bytes.count - index >= 2, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else { return nil }
            index += 2
            guard let trail = hexUnit(), UTF16.isTrailSurrogate(trail) else { return nil }
            return Unicode.Scalar(0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(trail) - 0xDC00))
        default: return nil
        }
    }

    /// Four hex digits.
    private mutating func hexUnit() -> UInt16? {
        guard bytes.count - index >= 4 else { return nil }
        var unit: UInt16 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            unit = unit << 4 | UInt16(digit)
            index += 1
        }
        return unit
    }
}
