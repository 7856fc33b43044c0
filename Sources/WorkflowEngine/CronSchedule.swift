import Foundation

/// A standard five-field cron expression (minute, hour, day of month, month, day of week) or a
/// shorthand such as `@hourly`, and the instants at which it is due in a given time zone.
///
/// Each field takes `*`, numbers, lists (`1,2,5`), ranges (`1-5`) and steps (`*/15`, `1-30/5`,
/// and `5/10`, which means `5-59/10` in the minute field). Months may be written JAN to DEC and
/// days of the week SUN to SAT, in any case, also inside ranges (`MON-FRI`). Day of week 0 and
/// 7 are both Sunday, and a day-of-week range that ends in the name SUN ends on Sunday
/// (`SAT-SUN` is the weekend). When both day of month and day of week are restricted (neither
/// starts with `*`) a day matches when either matches, as in classic cron; otherwise both must
/// match. An expression whose day of month falls in none of its months (`0 0 31 2 *`) is
/// refused, since it could never fire.
///
/// Due times are whole minutes on the wall clock of the time zone passed in, and daylight
/// saving time is handled as Vixie cron intends:
///
/// - A wall time that exists once is due at that instant.
/// - A wall time that does not exist, because the clock springs forward over it, is due once at
///   the first instant after the gap, the moment of the transition (02:30 on 2026-03-29 in
///   Europe/Amsterdam is due at 03:00 CEST, 01:00 UTC). Several due wall times inside one gap
///   (`*/15 2 * * *`) give that single run: never none, never more than one.
/// - A wall time that exists twice, because the clock falls back over it, is due at both
///   instants when the hour field is a wildcard (`*` or `*/n`, and `@hourly`), so that such a
///   schedule follows elapsed time; otherwise it is due only at the first of the two (a daily
///   02:30 job runs once on the day the clock falls back).
public struct CronSchedule: Sendable, Hashable, CustomStringConvertible {
    /// The expression as given, trimmed and with single spaces between the fields.
    private let text: String
    /// One bit per allowed value: minutes 0-59, hours 0-23, days 1-31, months 1-12, weekdays 0-6 with 0 Sunday.
    private let minutes: UInt64
    private let hours: UInt64
    private let days: UInt64
    private let months: UInt64
    private let weekdays: UInt64
    /// Whether the day-of-month and day-of-week fields are restricted, that is do not start with `*`.
    private let daysRestricted: Bool
    private let weekdaysRestricted: Bool
    /// Whether the hour field starts with `*`, which makes a repeated wall time due twice.
    private let everyHour: Bool

    /// How far ahead, in days, a search for the next due time looks before it gives up.
    private static let horizonDays = 5 * 366

    /// Parses a five-field cron expression or a shorthand (`@yearly`, `@annually`, `@monthly`,
    /// `@weekly`, `@daily`, `@midnight`, `@hourly`); fields are separated by any run of spaces
    /// or tabs. The error names the field and value that is wrong.
    public init(parsing text: String) throws(CronError) {
        let fields = text.trimmingCharacters(in: .whitespacesAndNewlines)
            .split(whereSeparator: { $0 == " " || $0 == "\t" })
            .map(String.init)
        let normalized = fields.joined(separator: " ")
        let context = "cron \"\(normalized)\": "
        let usage = "5 fields (minute hour day-of-month month day-of-week) or a shorthand like @hourly"
        guard let first = fields.first else {
            throw CronError(message: context + "is empty; needs " + usage)
        }
        var parts = fields
        var shown = normalized
        if first.hasPrefix("@") {
            guard fields.count == 1 else {
                throw CronError(message: context + "shorthand \(first) takes no other fields, got \(fields.count - 1) more")
            }
            let name = first.lowercased()
            switch name {
            case "@yearly", "@annually": parts = ["0", "0", "1", "1", "*"]
            case "@monthly": parts = ["0", "0", "1", "*", "*"]
            case "@weekly": parts = ["0", "0", "*", "*", "0"]
            case "@daily", "@midnight": parts = ["0", "0", "*", "*", "*"]
            case "@hourly": parts = ["0", "*", "*", "*", "*"]
            case "@reboot":
                throw CronError(message: context + "@reboot runs once when cron starts, which is not a schedule; use " + usage)
            default:
                throw CronError(
                    message: context + "unknown shorthand \(first); use @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly"
                )
            }
            shown = name
        } else if fields.count != 5 {
            throw CronError(message: context + "needs " + usage + ", got \(fields.count)")
        }

        self.text = shown
        minutes = try Self.parseField(parts[0], .minute, context: context)
        hours = try Self.parseField(parts[1], .hour, context: context)
        days = try Self.parseField(parts[2], .dayOfMonth, context: context)
        months = try Self.parseField(parts[3], .month, context: context)
        weekdays = try Self.parseField(parts[4], .dayOfWeek, context: context)
        daysRestricted = !parts[2].hasPrefix("*")
        weekdaysRestricted = !parts[4].hasPrefix("*")
        everyHour = parts[1].hasPrefix("*")

        // With the day-of-week field unrestricted a day must match day of month and month, so
        // at least one month must have one of the days (February counted with 29).
        if !weekdaysRestricted {
            let longest = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
            let possible = (1...12).contains { month in
                months & (1 << UInt64(month)) != 0 && (1...longest[month - 1]).contains { days & (1 << UInt64($0)) != 0 }
            }
            guard possible else {
                throw CronError(
                    message: context + "day-of-month \(parts[2]) never occurs in month \(parts[3]), so the schedule never fires"
                )
            }
        }
    }

    /// The expression as given, trimmed and with single spaces between the fields, such as
    /// `0 9-16 * * 0-5`; a shorthand in lower case, such as `@hourly`.
    public var description: String { text }

    /// The first due instant strictly after `instant` on the wall clock of `timeZone`, or nil
    /// when there is none within five years.
    public func nextDue(after instant: Date, in timeZone: TimeZone) -> Date? {
        dueTimes(after: instant, through: .distantFuture, in: timeZone, limit: 1).first
    }

    /// The due instants after `start` up to and including `end`, in order, at most `limit` of
    /// them: what repeated calls of `nextDue(after:in:)` give. The search stops early when five
    /// years pass without a due time.
    public func dueTimes(after start: Date, through end: Date, in timeZone: TimeZone, limit: Int) -> [Date] {
        let low = start.timeIntervalSince1970
        let high = end.timeIntervalSince1970
        guard limit > 0, low < high, let firstDay = Self.localDay(of: start, in: timeZone) else { return [] }
        let lastDay = Self.localDay(of: end, in: timeZone).map { $0 + 1 } ?? Int.max
        var found: [Int] = []
        var lastFoundDay = firstDay
        var day = firstDay - 1
        // Instants of one local day can come before some of the previous day's only around a
        // transition near midnight, so one more day is read after the limit is reached.
        var stopDay = Int.max
        while day <= min(lastDay, stopDay), day - lastFoundDay <= Self.horizonDays {
            if matches(day: day) {
                let before = found.count
                found += instants(onLocalDay: day, in: timeZone).filter { Double($0) > low && Double($0) <= high }
                if found.count > before {
                    lastFoundDay = day
                    if found.count >= limit, stopDay == Int.max { stopDay = day + 1 }
                }
            }
            day += 1
        }
        let ordered = Set(found).sorted().prefix(limit)
        return ordered.map { Date(timeIntervalSince1970: Double($0)) }
    }

    /// The latest due instant after `start` up to and including `end`, or nil when there is
    /// none: the one run that a scheduler which was down catches up. It searches backwards from
    /// `end`, so a long gap costs no more than a short one, and looks at most five years back.
    public func lastDue(after start: Date, through end: Date, in timeZone: TimeZone) -> Date? {
        let low = start.timeIntervalSince1970
        let high = end.timeIntervalSince1970
        guard low < high, let endDay = Self.localDay(of: end, in: timeZone) else { return nil }
        let startDay = Self.localDay(of: start, in: timeZone).map { $0 - 1 } ?? Int.min
        let floorDay = max(startDay, endDay - Self.horizonDays - 1)
        var best: Int?
        var day = endDay + 1
        var stopDay = Int.min
        while day >= max(floorDay, stopDay) {
            if matches(day: day),
                let latest = instants(onLocalDay: day, in: timeZone).last(where: { Double($0) <= high }),
                Double(latest) > low
            {
                best = max(best ?? latest, latest)
                if stopDay == Int.min { stopDay = day - 1 }
            }
            day -= 1
        }
        return best.map { Date(timeIntervalSince1970: Double($0)) }
    }
}

/// Why a cron expression was refused: the message quotes the expression and names the field
/// and value that is wrong.
public struct CronError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong and where, such as `cron "0 25 * * *": hour 25 is out of range 0-23`.
    public let message: String

    /// An error with the given message.
    public init(message: String) {
        self.message = message
    }

    /// The message.
    public var description: String { message }
}

// MARK: - Parsing

extension CronSchedule {
    /// One of the five fields: its name in messages, its values, and the names it accepts.
    private struct Field {
        let name: String
        let range: ClosedRange<Int>
        let names: [String]
        let namesHint: String
        let firstNameValue: Int

        static let minute = Field(name: "minute", range: 0...59, names: [], namesHint: "", firstNameValue: 0)
        static let hour = Field(name: "hour", range: 0...23, names: [], namesHint: "", firstNameValue: 0)
        static let dayOfMonth = Field(name: "day-of-month", range: 1...31, names: [], namesHint: "", firstNameValue: 0)
        static let month = Field(
            name: "month", range: 1...12,
            names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"],
            namesHint: " or a month name (JAN-DEC)", firstNameValue: 1
        )
        static let dayOfWeek = Field(
            name: "day-of-week", range: 0...7, names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"],
            namesHint: " or a day name (SUN-SAT)", firstNameValue: 0
        )
    }

    /// The set of values of one field as bits; day of week 7 is stored as 0.
    private static func parseField(_ text: String, _ field: Field, context: String) throws(CronError) -> UInt64 {
        var bits: UInt64 = 0
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard !item.isEmpty else {
                throw CronError(message: context + "\(field.name): '\(text)' has an empty list item")
            }
            let pieces = item.split(separator: "/", omittingEmptySubsequences: false)
            guard pieces.count <= 2 else {
                throw CronError(message: context + "\(field.name): '\(item)' has more than one step")
            }
            var step = 1
            if pieces.count == 2 {
                let stepText = String(pieces[1])
                guard let value = number(stepText) else {
                    throw CronError(message: context + "\(field.name) step '\(stepText)' is not a number")
                }
                guard value >= 1 else {
                    throw CronError(message: context + "\(field.name) step \(stepText) must be at least 1")
                }
                step = value
            }
            let rangeText = String(pieces[0])
            var low: Int
            var high: Int
            if rangeText == "*" {
                low = field.range.lowerBound
                high = field.range.upperBound
            } else if rangeText.contains("*") {
                throw CronError(message: context + "\(field.name): '\(rangeText)' mixes * with other values")
            } else if rangeText.contains("-") {
                let ends = rangeText.split(separator: "-", omittingEmptySubsequences: false)
                guard ends.count == 2, !ends[0].isEmpty, !ends[1].isEmpty else {
                    throw CronError(message: context + "\(field.name): '\(rangeText)' is not a number or a range like 1-5")
                }
                low = try parseValue(String(ends[0]), field, context: context).value
                let end = try parseValue(String(ends[1]), field, context: context)
                high = end.value
                // A day-of-week range that ends in the name SUN ends on Sunday 7.
                if field.name == Field.dayOfWeek.name, end.isName, high == 0, low > 0 { high = 7 }
                guard low <= high else {
                    throw CronError(message: context + "\(field.name) range \(rangeText) goes backwards")
                }
            } else {
                low = try parseValue(rangeText, field, context: context).value
                high = pieces.count == 2 ? field.range.upperBound : low
            }
            for value in stride(from: low, through: high, by: step) {
                bits |= 1 << UInt64(value == 7 && field.name == Field.dayOfWeek.name ? 0 : value)
            }
        }
        return bits
    }

    /// One value of a field, a number in range or a name, and whether it was a name.
    private static func parseValue(_ text: String, _ field: Field, context: String) throws(CronError) -> (value: Int, isName: Bool) {
        if let index = field.names.firstIndex(of: text.uppercased()) {
            return (index + field.firstNameValue, true)
        }
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw CronError(message: context + "\(field.name): '\(text)' is not a number" + field.namesHint)
        }
        guard let value = Int(text), field.range.contains(value) else {
            throw CronError(
                message: context + "\(field.name) \(text) is out of range \(field.range.lowerBound)-\(field.range.upperBound)"
            )
        }
        return (value, false)
    }

    /// The value of a text of ASCII digits, nil for anything else; a number too large for
    /// `Int` counts as `Int.max`.
    private static func number(_ text: String) -> Int? {
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(text) ?? Int.max
    }
}

// MARK: - Wall clock and instants

extension CronSchedule {
    /// A stretch of time, in whole seconds since 1970 UTC, during which the zone keeps one
    /// offset from UTC; the first stretch starts at `Int.min` and the last ends at `Int.max`.
    private struct Stretch {
        let start: Int
        let end: Int
        let offset: Int
    }

    /// Whether the local day, counted in days since 1970-01-01, matches the month, day of
    /// month and day of week fields.
    private func matches(day: Int) -> Bool {
        let (_, month, dayOfMonth) = Self.civilDate(day)
        guard months & (1 << UInt64(month)) != 0 else { return false }
        let weekday = ((day + 4) % 7 + 7) % 7
        let dayMatches = days & (1 << UInt64(dayOfMonth)) != 0
        let weekdayMatches = weekdays & (1 << UInt64(weekday)) != 0
        return daysRestricted && weekdaysRestricted ? dayMatches || weekdayMatches : dayMatches && weekdayMatches
    }

    /// The due instants, in seconds since 1970 UTC, of the due wall times on one local day,
    /// sorted and without repeats, mapped by the daylight saving rule of the type.
    private func instants(onLocalDay day: Int, in timeZone: TimeZone) -> [Int] {
        let stretches = Self.stretches(aroundLocalDay: day, in: timeZone)
        var result: [Int] = []
        for hour in 0..<24 where hours & (1 << UInt64(hour)) != 0 {
            for minute in 0..<60 where minutes & (1 << UInt64(minute)) != 0 {
                let local = day * 86_400 + hour * 3_600 + minute * 60
                var exists = false
                for (index, stretch) in stretches.enumerated() {
                    let instant = local - stretch.offset
                    guard instant >= stretch.start, instant < stretch.end else { continue }
                    exists = true
                    if index > 0, !everyHour {
                        // The second time of a repeated wall time is skipped unless the hour is a wildcard.
                        let earlier = stretches[index - 1]
                        let first = local - earlier.offset
                        if first >= earlier.start, first < earlier.end { continue }
                    }
                    result.append(instant)
                }
                guard !exists else { continue }
                // A wall time skipped by a forward transition is due at the transition.
                for index in stretches.indices.dropFirst() {
                    let earlier = stretches[index - 1]
                    let later = stretches[index]
                    if local >= later.start + earlier.offset, local < later.start + later.offset {
                        result.append(later.start)
                        break
                    }
                }
            }
        }
        if stretches.count == 1 { return result }
        return Set(result).sorted()
    }

    /// The offsets of the zone from 18 hours before the local day to 18 hours after it, as
    /// stretches, which covers every instant a wall time of that day can have.
    private static func stretches(aroundLocalDay day: Int, in timeZone: TimeZone) -> [Stretch] {
        func offset(_ second: Int) -> Int {
            timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(second)))
        }
        let windowEnd = day * 86_400 + 86_400 + 64_800
        var cursor = day * 86_400 - 64_800
        var current = offset(cursor)
        var start = Int.min
        var result: [Stretch] = []
        while cursor < windowEnd {
            var next = windowEnd
            if let transition = timeZone.nextDaylightSavingTimeTransition(after: Date(timeIntervalSince1970: Double(cursor))) {
                let second = Int(transition.timeIntervalSince1970.rounded(.down))
                if second > cursor, second < windowEnd { next = second }
            }
            // A change of offset that the zone does not report as a transition is found by bisection.
            if offset(next - 1) != current {
                var same = cursor
                var changed = next - 1
                while changed - same > 1 {
                    let middle = same + (changed - same) / 2
                    if offset(middle) == current { same = middle } else { changed = middle }
                }
                next = changed
            }
            guard next < windowEnd else { break }
            let following = offset(next)
            if following != current {
                result.append(Stretch(start: start, end: next, offset: current))
                start = next
                current = following
            }
            cursor = next
        }
        result.append(Stretch(start: start, end: Int.max, offset: current))
        return result
    }

    /// The local day, in days since 1970-01-01, of an instant on the wall clock of the zone;
    /// nil for an instant too far from today to count in seconds.
    private static func localDay(of instant: Date, in timeZone: TimeZone) -> Int? {
        let seconds = instant.timeIntervalSince1970
        guard seconds.isFinite, abs(seconds) < 1e14 else { return nil }
        let local = Int(seconds.rounded(.down)) + timeZone.secondsFromGMT(for: instant)
        return local >= 0 ? local / 86_400 : (local + 1) / 86_400 - 1
    }

    /// The proleptic Gregorian year, month and day of a day counted from 1970-01-01.
    private static func civilDate(_ day: Int) -> (year: Int, month: Int, day: Int) {
        let shifted = day + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let dayOfMonth = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, dayOfMonth)
    }
}
