import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// NetBox's timestamps: UTC, ISO 8601 with microseconds and a `Z` (`2026-11-25T00:02:18.374843Z`).
enum Timestamp {
    static func now() -> String {
        text(Date())
    }

    static func text(_ date: Date) -> String {
        let micros = (date.timeIntervalSince1970 * 1_000_000).rounded()
        let whole = (micros / 1_000_000).rounded(.down)
        var seconds = time_t(whole)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func padded(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return padded(Int(parts.tm_year) + 1900, 4) + "-" + padded(Int(parts.tm_mon) + 1, 2) + "-"
            + padded(Int(parts.tm_mday), 2) + "T" + padded(Int(parts.tm_hour), 2) + ":" + padded(Int(parts.tm_min), 2) + ":"
            + padded(Int(parts.tm_sec), 2) + "." + padded(Int(micros - whole * 1_000_000), 6) + "Z"
    }
}
