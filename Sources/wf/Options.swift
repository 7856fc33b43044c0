import ArgumentParser
import Foundation

/// Options every command that touches the database takes.
struct DatabaseOptions: ParsableArguments {
    @Option(
        name: .long,
        help: "A SQLite database file or a postgres://user:password@host:port/database URL (default: $WF_DATABASE, else ~/.local/share/wf/wf.sqlite)."
    )
    var database: String?
}

/// Options of commands that act on processes.
struct ActorOptions: ParsableArguments {
    @Option(name: .long, help: "Who is acting, recorded in the audit trail (default: $USER): 1 to 64 letters, digits and . _ @ + -.")
    var user: String?

    var resolvedUser: String {
        if let user, !user.isEmpty { return user }
        let environment = ProcessInfo.processInfo.environment
        if let user = environment["USER"] ?? environment["LOGNAME"], !user.isEmpty { return user }
        return NSUserName()
    }

    /// The user is stored on every step and shown in every listing: a user name or an email
    /// address, never a paragraph or a terminal escape sequence.
    func validate() throws {
        if let problem = Self.problem(with: resolvedUser) {
            throw ValidationError(
                user?.isEmpty == false ? "--user \(problem)" : "the user from $USER \(problem); pass --user NAME")
        }
    }

    static let maximumUserLength = 64

    /// What is wrong with `name` as a user, nil when nothing is.
    static func problem(with name: String) -> String? {
        guard name.count <= maximumUserLength else {
            return "is \(name.count) characters long; at most \(maximumUserLength)"
        }
        guard !name.isEmpty else { return "is empty" }
        if let bad = name.first(where: { !($0.isLetter || $0.isNumber || "._@+-".contains($0)) }) {
            return "'\(name)' has \(describe(bad)); a user is letters, digits and . _ @ + - (a user name or an email address)"
        }
        return nil
    }

    /// A character as a message can show it: quoted when it prints, else by its code points.
    private static func describe(_ character: Character) -> String {
        if character == " " { return "a space" }
        let printable = character.unicodeScalars.allSatisfy { scalar in
            ![.control, .format, .lineSeparator, .paragraphSeparator, .spaceSeparator].contains(scalar.properties.generalCategory)
        }
        if printable { return "'\(character)'" }
        return character.unicodeScalars.map { "U+" + String(format: "%04X", $0.value) }.joined(separator: " ")
    }
}

struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print JSON (snake_case keys) instead of text.")
    var json = false
}

/// A message for the operator and the exit code to leave with.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    var code: Int32
    init(_ description: String, code: Int32 = 1) {
        self.description = description
        self.code = code
    }
}

/// A time on the command line (`--at`, `--since`): absolute, as ISO 8601 or
/// `YYYY-MM-DD[ HH:MM[:SS[.fff]]]` (UTC unless an offset such as `+01:00` is given), or
/// relative to now: `now`, `today`, `yesterday` (days begin at midnight UTC, as `wf` shows
/// every time in UTC), or an age such as `30m`, `2h`, `7d`, `2w` (`s`, `m`, `h`, `d`, `w`; "ago"
/// may follow).
enum TimeArgument {
    static let forms =
        "use 2026-11-25 08:00:00 (UTC), ISO 8601 (2026-11-25T08:00:00+01:00), or a relative time: now, today, yesterday, 30m, 2h, 7d"

    static func parse(_ text: String, now: Date = Date()) throws -> Date {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let relative = try relative(trimmed.lowercased(), now: now) { return relative }
        guard let match = trimmed.wholeMatch(of: absolute) else { throw CLIError("'\(text)' is not a time; \(forms)", code: 64) }
        func bad(_ why: String) -> CLIError { CLIError("'\(text)' is not a time: \(why)", code: 64) }
        let (year, month, day) = (match.1, match.2, match.3)
        guard year.count == 4, let yearValue = Int(year), yearValue >= 1 else {
            throw bad("year \(year) must have four digits (0001 to 9999)")
        }
        guard month.count <= 2, let monthValue = Int(month), (1...12).contains(monthValue) else {
            throw bad("month \(month) must be 01 to 12")
        }
        var components = DateComponents(year: yearValue, month: monthValue, day: 1)
        let days = calendar.date(from: components).flatMap { calendar.range(of: .day, in: .month, for: $0) }?.count ?? 31
        guard day.count <= 2, let dayValue = Int(day), (1...days).contains(dayValue) else {
            throw bad("day \(day) must be 01 to \(days) in \(year)-\(month)")
        }
        components.day = dayValue
        if let hour = match.4, let minute = match.5 {
            guard hour.count <= 2, let hourValue = Int(hour), (0...23).contains(hourValue) else { throw bad("hour \(hour) must be 00 to 23") }
            guard minute.count == 2, let minuteValue = Int(minute), (0...59).contains(minuteValue) else {
                throw bad("minute \(minute) must be 00 to 59")
            }
            components.hour = hourValue
            components.minute = minuteValue
            if let second = match.6 {
                guard second.count == 2, let secondValue = Int(second), (0...59).contains(secondValue) else {
                    throw bad("second \(second) must be 00 to 59")
                }
                components.second = secondValue
            }
            if let fraction = match.7 {
                guard fraction.count <= 9 else { throw bad("fraction .\(fraction) has more than nine digits") }
                components.nanosecond = Int(fraction.padding(toLength: 9, withPad: "0", startingAt: 0))
            }
        }
        guard let local = calendar.date(from: components) else { throw bad("no such date") }
        return local.addingTimeInterval(-TimeInterval(try offsetSeconds(match.8.map(String.init), bad: bad)))
    }

    /// `Z`, `+01:00`, `+0100` or `+01`, within the offsets time zones have (-12:00 to +14:00).
    private static func offsetSeconds(_ text: String?, bad: (String) -> CLIError) throws -> Int {
        guard let text, text.uppercased() != "Z" else { return 0 }
        let sign = text.hasPrefix("-") ? -1 : 1
        let digits = text.dropFirst().filter { $0 != ":" }
        guard text.dropFirst().allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ":") }), [2, 4].contains(digits.count),
            !text.dropFirst().hasPrefix(":"), text.filter({ $0 == ":" }).count <= 1, !(text.contains(":") && digits.count == 2)
        else { throw bad("offset \(text) must be like +01:00, +0100 or +01") }
        let hours = Int(digits.prefix(2)) ?? 99
        let minutes = Int(digits.dropFirst(2)) ?? 0
        guard minutes <= 59 else { throw bad("offset \(text): minutes must be 00 to 59") }
        let seconds = sign * (hours * 3600 + minutes * 60)
        guard (-12 * 3600...14 * 3600).contains(seconds) else { throw bad("offset \(text) is outside -12:00 to +14:00") }
        return seconds
    }

    private static func relative(_ text: String, now: Date) throws -> Date? {
        let today = calendar.startOfDay(for: now)
        switch text {
        case "now": return now
        case "today": return today
        case "yesterday": return today.addingTimeInterval(-86_400)
        default: break
        }
        guard let match = text.wholeMatch(of: age) else { return nil }
        let unit: Double =
            switch match.2 {
            case "s": 1
            case "m", "min": 60
            case "h": 3600
            case "d": 86_400
            default: 7 * 86_400
            }
        guard let count = Double(match.1), count * unit <= 100 * 366 * 86_400 else {
            throw CLIError("'\(text)' reaches back more than 100 years", code: 64)
        }
        return now.addingTimeInterval(-count * unit)
    }

    nonisolated(unsafe) private static let absolute =
        #/(\d+)-(\d+)-(\d+)(?:[Tt ](\d+):(\d+)(?::(\d+)(?:\.(\d+))?)?)? ?([Zz]|[+-][\d:]+)?/#
    nonisolated(unsafe) private static let age = #/(\d+) ?(s|min|m|h|d|w)(?: ago)?/#

    private static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .gmt
        return calendar
    }()
}
