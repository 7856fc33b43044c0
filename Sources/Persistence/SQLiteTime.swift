import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Times as SQLite stores them here: UTC text `YYYY-MM-DD HH:MM:SS.SSS`, which sorts as
/// time does and is the format GRDB reads back into `Date`.
///
/// Written by hand because binding a `Date` through Foundation's formatter costs more per
/// step than the rest of the commit's Swift code together.
enum SQLiteTime {
    static func text(_ date: Date) -> String {
        // To the nearest millisecond: truncating stored a time such as x.001 s, which a Double
        // holds as x.000999…, one millisecond early.
        let totalMillis = (date.timeIntervalSince1970 * 1000).rounded()
        let whole = (totalMillis / 1000).rounded(.down)
        var seconds = time_t(whole)
        let millis = Int(totalMillis - whole * 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var text = ""
        text.reserveCapacity(23)
        append(Int(parts.tm_year) + 1900, width: 4, to: &text)
        text += "-"
        append(Int(parts.tm_mon) + 1, width: 2, to: &text)
        text += "-"
        append(Int(parts.tm_mday), width: 2, to: &text)
        text += " "
        append(Int(parts.tm_hour), width: 2, to: &text)
        text += ":"
        append(Int(parts.tm_min), width: 2, to: &text)
        text += ":"
        append(Int(parts.tm_sec), width: 2, to: &text)
        text += "."
        append(millis, width: 3, to: &text)
        return text
    }

    static func text(_ date: Date?) -> String? {
        date.map { text($0) }
    }

    private static func append(_ value: Int, width: Int, to text: inout String) {
        let digits = String(value)
        if digits.count < width { text += String(repeating: "0", count: width - digits.count) }
        text += digits
    }
}
