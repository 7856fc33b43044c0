import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A time as UTC text to the millisecond, `YYYY-MM-DD<separator>HH:MM:SS.SSS<zone>`: with
/// `"T"` and `"Z"` the RFC 3339 timestamps of the API and `--json`, with `" "` and `""` what
/// SQLite stores.
///
/// Written by hand because Foundation's formatters cost more per call than the rest of a
/// step's commit, or of an API answer's rendering, together.
public enum UTCTimeText {
    public static func text(_ date: Date, separator: String = "T", zone: String = "Z") -> String {
        // To the nearest millisecond: truncating wrote a time such as x.001 s, which a Double
        // holds as x.000999…, one millisecond early.
        let totalMillis = (date.timeIntervalSince1970 * 1000).rounded()
        let whole = (totalMillis / 1000).rounded(.down)
        var seconds = time_t(whole)
        let millis = Int(totalMillis - whole * 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var text = ""
        text.reserveCapacity(24)
        append(Int(parts.tm_year) + 1900, width: 4, to: &text)
        text += "-"
        append(Int(parts.tm_mon) + 1, width: 2, to: &text)
        text += "-"
        append(Int(parts.tm_mday), width: 2, to: &text)
        text += separator
        append(Int(parts.tm_hour), width: 2, to: &text)
        text += ":"
        append(Int(parts.tm_min), width: 2, to: &text)
        text += ":"
        append(Int(parts.tm_sec), width: 2, to: &text)
        text += "."
        append(millis, width: 3, to: &text)
        text += zone
        return text
    }

    private static func append(_ value: Int, width: Int, to text: inout String) {
        let digits = String(value)
        if digits.count < width { text += String(repeating: "0", count: width - digits.count) }
        text += digits
    }
}
