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

    /// The time of `text` as `text(_:)` writes it with any one-character separator and zone
    /// `Z` or none, with zero to three fractional digits (RFC 3339 in UTC, or SQLite's form);
    /// nil for anything else (an offset, a leap second), which a caller may hand to a
    /// general parser.
    public static func date(_ text: String) -> Date? {
        var utf8 = text.utf8[...]
        if utf8.last == UInt8(ascii: "Z") { utf8 = utf8.dropLast() }
        let bytes = Array(utf8)
        guard bytes.count >= 19, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"), bytes[13] == UInt8(ascii: ":"),
            bytes[16] == UInt8(ascii: ":")
        else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                let digit = Int(bytes[index]) - 48
                guard (0...9).contains(digit) else { return nil }
                value = value * 10 + digit
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10), let hour = number(11..<13),
            let minute = number(14..<16), let second = number(17..<19), (1...12).contains(month), (1...31).contains(day), hour < 24,
            minute < 60, second < 60
        else { return nil }
        var millis = 0
        if bytes.count > 19 {
            let digits = bytes.count - 20
            guard bytes[19] == UInt8(ascii: "."), (1...3).contains(digits), let fraction = number(20..<bytes.count) else { return nil }
            millis = fraction * [100, 10, 1][digits - 1]
        }
        // Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second
        // Whole milliseconds since 2001 over 1000: the very `Date` the stores keep for this time.
        return Date(timeIntervalSinceReferenceDate: Double(seconds * 1000 + millis - 978_307_200_000) / 1000)
    }

    private static func append(_ value: Int, width: Int, to text: inout String) {
        let digits = String(value)
        if digits.count < width { text += String(repeating: "0", count: width - digits.count) }
        text += digits
    }
}
