import Foundation

/// A migration file cut into the statements PostgreSQL runs one by one. postgres-nio speaks
/// only the extended query protocol, which takes one statement per message, so the file
/// cannot go as one simple-query batch; instead it is cut where PostgreSQL itself would end
/// a statement: at a `;` outside quotes ('…', "…"), dollar quotes (`$$ … $$`,
/// `$body$ … $body$`) and comments (`-- …`, `/* … */`, which nest).
enum SQLScript {
    static func statements(_ text: String) -> [String] {
        let chars = Array(text.unicodeScalars)
        var statements: [String] = []
        var current = String.UnicodeScalarView()
        var index = 0

        func flush() {
            let statement = String(current).trimmingCharacters(in: .whitespacesAndNewlines)
            if !isOnlyComments(statement) { statements.append(statement) }
            current = String.UnicodeScalarView()
        }
        func copy(until end: Int) {
            current.append(contentsOf: chars[index..<end])
            index = end
        }
        /// The index just past `closing` from `start`, or the end of the text.
        func after(_ closing: [Unicode.Scalar], from start: Int) -> Int {
            var at = start
            while at + closing.count <= chars.count {
                if Array(chars[at..<at + closing.count]) == closing { return at + closing.count }
                at += 1
            }
            return chars.count
        }

        while index < chars.count {
            let char = chars[index]
            let next = index + 1 < chars.count ? chars[index + 1] : nil
            switch char {
            case ";":
                index += 1
                flush()
            case "'", "\"":
                // A doubled quote inside is two quoted strings back to back: same result.
                copy(until: after([char], from: index + 1))
            case "-" where next == "-":
                copy(until: after(["\n"], from: index + 2))
            case "/" where next == "*":
                var depth = 0
                var at = index
                while at < chars.count {
                    if chars[at] == "/", at + 1 < chars.count, chars[at + 1] == "*" {
                        depth += 1
                        at += 2
                    } else if chars[at] == "*", at + 1 < chars.count, chars[at + 1] == "/" {
                        depth -= 1
                        at += 2
                        if depth == 0 { break }
                    } else {
                        at += 1
                    }
                }
                copy(until: at)
            case "$":
                // `$tag$` where tag is empty or an identifier not starting with a digit; `$1` is a parameter.
                var end = index + 1
                while end < chars.count, chars[end] == "_" || chars[end].properties.isAlphabetic || ("0"..."9").contains(chars[end]) {
                    end += 1
                }
                let tag = Array(chars[index..<min(end + 1, chars.count)])
                let startsWithDigit = index + 1 < chars.count && ("0"..."9").contains(chars[index + 1])
                if end < chars.count, chars[end] == "$", !startsWithDigit {
                    copy(until: after(tag, from: end + 1))
                } else {
                    copy(until: index + 1)
                }
            default:
                copy(until: index + 1)
            }
        }
        flush()
        return statements
    }

    /// Whether `statement` holds nothing but comments and white space.
    private static func isOnlyComments(_ statement: String) -> Bool {
        var rest = Substring(statement)
        while true {
            rest = rest.drop { $0.isWhitespace }
            if rest.isEmpty { return true }
            if rest.hasPrefix("--") {
                rest = rest.drop { $0 != "\n" }
            } else if rest.hasPrefix("/*"), let close = rest.range(of: "*/") {
                rest = rest[close.upperBound...]
            } else {
                return false
            }
        }
    }
}
