/// Text written into the web UI's HTML and the map's SVG by hand, where the template engine
/// is not used (a long option list, the map).
enum Markup {
    private static let special: Set<UInt8> = Set("&<>\"'".utf8)

    /// `text` safe as XML or HTML character data and attribute values: markup characters as
    /// entities, and the control characters XML 1.0 cannot hold as U+FFFD.
    static func escaped(_ text: String) -> String {
        // Most names need nothing: one pass over the bytes says so (0xEF starts U+FFFE and U+FFFF).
        guard text.utf8.contains(where: { $0 < 0x20 || $0 == 0xEF || Self.special.contains($0) }) else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 16)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\n", "\t", "\r": out.unicodeScalars.append(scalar)
            case _ where scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF: out += "\u{FFFD}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
