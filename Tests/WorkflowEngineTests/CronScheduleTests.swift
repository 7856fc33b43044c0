import Foundation
import Testing

@testable import WorkflowEngine

/// Cron expressions against a table of known answers worked out by hand from calendars and
/// the published daylight saving transitions, never computed by the code under test.
struct CronScheduleTests {
    /// One expected next due time: after `after`, on the wall clock of `zone`, `expression`
    /// is next due at `expected`.
    struct NextCase: Sendable, CustomTestStringConvertible {
        let expression: String
        let zone: String
        let after: String
        let expected: String

        var testDescription: String { "\(expression) in \(zone) after \(after)" }
    }

    /// One expected run of due times from `after` through `through`, at most `limit`.
    struct RunCase: Sendable, CustomTestStringConvertible {
        let expression: String
        let zone: String
        let after: String
        let through: String
        let limit: Int
        let expected: [String]

        var testDescription: String { "\(expression) in \(zone) from \(after) through \(through)" }
    }

    /// One expected catch-up run: the latest due time after `after` through `through`, if any.
    struct LastCase: Sendable, CustomTestStringConvertible {
        let expression: String
        let zone: String
        let after: String
        let through: String
        let expected: String?

        var testDescription: String { "\(expression) in \(zone) from \(after) through \(through)" }
    }

    /// One refused expression and the exact message.
    struct BadCase: Sendable, CustomTestStringConvertible {
        let expression: String
        let message: String

        var testDescription: String { "'\(expression)'" }
    }

    static let amsterdam = "Europe/Amsterdam"
    static let newYork = "America/New_York"
    static let kolkata = "Asia/Kolkata"
    static let utc = "UTC"

    static func instant(_ text: String) -> Date {
        ISO8601DateFormatter().date(from: text)!
    }

    static func zone(_ identifier: String) -> TimeZone {
        TimeZone(identifier: identifier)!
    }

    static let nextCases: [NextCase] = [
        // Steps, shorthands and names in UTC; 2026-05-04 is a Monday.
        NextCase(expression: "*/15 * * * *", zone: utc, after: "2026-05-04T10:07:00Z", expected: "2026-05-04T10:15:00Z"),
        NextCase(expression: "*/15 * * * *", zone: utc, after: "2026-05-04T10:15:00Z", expected: "2026-05-04T10:30:00Z"),
        NextCase(expression: "*/15 * * * *", zone: utc, after: "2026-05-04T10:59:00Z", expected: "2026-05-04T11:00:00Z"),
        NextCase(expression: "@hourly", zone: utc, after: "2026-05-04T10:07:00Z", expected: "2026-05-04T11:00:00Z"),
        NextCase(expression: "@daily", zone: utc, after: "2026-05-04T10:07:00Z", expected: "2026-05-05T00:00:00Z"),
        NextCase(expression: "@midnight", zone: utc, after: "2026-05-04T10:07:00Z", expected: "2026-05-05T00:00:00Z"),
        NextCase(expression: "@weekly", zone: utc, after: "2026-05-04T10:07:00Z", expected: "2026-05-10T00:00:00Z"),
        NextCase(expression: "@monthly", zone: utc, after: "2026-05-04T10:07:00Z", expected: "2026-06-01T00:00:00Z"),
        NextCase(expression: "@yearly", zone: utc, after: "2026-05-04T10:07:00Z", expected: "2027-01-01T00:00:00Z"),
        NextCase(expression: "@annually", zone: utc, after: "2026-05-04T10:07:00Z", expected: "2027-01-01T00:00:00Z"),
        NextCase(expression: "0 0 1 1 *", zone: utc, after: "2026-12-31T23:59:59Z", expected: "2027-01-01T00:00:00Z"),
        NextCase(expression: "0 0 * JAN,JUL MON", zone: utc, after: "2026-05-04T10:07:00Z", expected: "2026-07-06T00:00:00Z"),
        NextCase(expression: "0 0 * JAN,JUL MON", zone: utc, after: "2026-07-27T00:00:00Z", expected: "2027-01-04T00:00:00Z"),
        NextCase(expression: "0 0 * jan,Jul mon", zone: utc, after: "2026-05-04T10:07:00Z", expected: "2026-07-06T00:00:00Z"),
        NextCase(expression: "0 0 29 2 *", zone: utc, after: "2026-03-01T00:00:00Z", expected: "2028-02-29T00:00:00Z"),
        NextCase(expression: "0 12 * * 7", zone: utc, after: "2026-05-04T10:07:00Z", expected: "2026-05-10T12:00:00Z"),
        NextCase(expression: "0 0 * * SAT-SUN", zone: utc, after: "2026-05-04T10:07:00Z", expected: "2026-05-09T00:00:00Z"),
        NextCase(expression: "0 0 * * SAT-SUN", zone: utc, after: "2026-05-09T00:00:00Z", expected: "2026-05-10T00:00:00Z"),
        // Both day fields restricted: the 31st or a Monday, whichever comes first, in the months given.
        NextCase(expression: "0 0 31 * MON", zone: utc, after: "2026-05-04T10:07:00Z", expected: "2026-05-11T00:00:00Z"),
        NextCase(expression: "0 0 31 2 MON", zone: utc, after: "2026-05-04T10:07:00Z", expected: "2027-02-01T00:00:00Z"),
        // Day of month */2 starts with *, so both must match: an odd day that is a Monday (May 11).
        NextCase(expression: "0 0 */2 * MON", zone: utc, after: "2026-05-04T10:07:00Z", expected: "2026-05-11T00:00:00Z"),
        // Infrahub's example in Amsterdam (CEST, UTC+2): Friday 2026-06-05, Saturday is day 6 and skipped.
        NextCase(expression: "0 9-16 * * 0-5", zone: amsterdam, after: "2026-06-05T13:30:00Z", expected: "2026-06-05T14:00:00Z"),
        NextCase(expression: "0 9-16 * * 0-5", zone: amsterdam, after: "2026-06-05T14:30:00Z", expected: "2026-06-07T07:00:00Z"),
        NextCase(expression: "0 9-16 * * 0-5", zone: amsterdam, after: "2026-06-07T14:00:00Z", expected: "2026-06-08T07:00:00Z"),
        NextCase(expression: "0 0 * * *", zone: amsterdam, after: "2026-06-05T12:00:00Z", expected: "2026-06-05T22:00:00Z"),
        // Spring forward in Amsterdam, 2026-03-29 01:00Z: 02:00 CET becomes 03:00 CEST.
        NextCase(expression: "30 2 * * *", zone: amsterdam, after: "2026-03-27T12:00:00Z", expected: "2026-03-28T01:30:00Z"),
        NextCase(expression: "30 2 * * *", zone: amsterdam, after: "2026-03-28T12:00:00Z", expected: "2026-03-29T01:00:00Z"),
        NextCase(expression: "30 2 * * *", zone: amsterdam, after: "2026-03-29T01:00:00Z", expected: "2026-03-30T00:30:00Z"),
        // Fall back in Amsterdam, 2026-10-25 01:00Z: 03:00 CEST becomes 02:00 CET; 02:30 is 00:30Z and 01:30Z.
        NextCase(expression: "30 2 * * *", zone: amsterdam, after: "2026-10-24T12:00:00Z", expected: "2026-10-25T00:30:00Z"),
        NextCase(expression: "30 2 * * *", zone: amsterdam, after: "2026-10-25T00:30:00Z", expected: "2026-10-26T01:30:00Z"),
        NextCase(expression: "30 * * * *", zone: amsterdam, after: "2026-10-25T00:30:00Z", expected: "2026-10-25T01:30:00Z"),
        // New York springs forward 2026-03-08 07:00Z (02:00 EST to 03:00 EDT).
        NextCase(expression: "30 2 * * *", zone: newYork, after: "2026-03-07T12:00:00Z", expected: "2026-03-08T07:00:00Z"),
        NextCase(expression: "30 2 * * *", zone: newYork, after: "2026-03-08T07:00:00Z", expected: "2026-03-09T06:30:00Z"),
        // New York falls back 2026-11-01 06:00Z (02:00 EDT to 01:00 EST); 01:30 is 05:30Z and 06:30Z.
        NextCase(expression: "30 1 * * *", zone: newYork, after: "2026-10-31T12:00:00Z", expected: "2026-11-01T05:30:00Z"),
        NextCase(expression: "30 1 * * *", zone: newYork, after: "2026-11-01T05:30:00Z", expected: "2026-11-02T06:30:00Z"),
        // Kolkata is UTC+05:30 all year.
        NextCase(expression: "0 9 * * MON-FRI", zone: kolkata, after: "2026-05-04T04:00:00Z", expected: "2026-05-05T03:30:00Z"),
        NextCase(expression: "30 23 * * *", zone: kolkata, after: "2026-05-04T00:00:00Z", expected: "2026-05-04T18:00:00Z"),
        NextCase(expression: "0 0 1 * *", zone: kolkata, after: "2026-05-04T00:00:00Z", expected: "2026-05-31T18:30:00Z"),
    ]

    @Test(arguments: nextCases)
    func nextDueMatchesTheTable(_ row: NextCase) throws {
        let schedule = try CronSchedule(parsing: row.expression)
        #expect(schedule.nextDue(after: Self.instant(row.after), in: Self.zone(row.zone)) == Self.instant(row.expected))
    }

    static let runCases: [RunCase] = [
        // April 2026: Fridays 3, 10, 17, 24 and Monday the 13th.
        RunCase(
            expression: "0 0 13 * FRI", zone: utc, after: "2026-04-01T00:00:00Z", through: "2026-04-30T23:59:00Z", limit: 10,
            expected: [
                "2026-04-03T00:00:00Z", "2026-04-10T00:00:00Z", "2026-04-13T00:00:00Z", "2026-04-17T00:00:00Z", "2026-04-24T00:00:00Z",
            ]
        ),
        RunCase(
            expression: "0 0 13 * FRI", zone: utc, after: "2026-04-01T00:00:00Z", through: "2026-04-30T23:59:00Z", limit: 2,
            expected: ["2026-04-03T00:00:00Z", "2026-04-10T00:00:00Z"]
        ),
        RunCase(
            expression: "10-30/10 * * * *", zone: utc, after: "2026-05-04T10:00:00Z", through: "2026-05-04T12:00:00Z", limit: 4,
            expected: ["2026-05-04T10:10:00Z", "2026-05-04T10:20:00Z", "2026-05-04T10:30:00Z", "2026-05-04T11:10:00Z"]
        ),
        RunCase(
            expression: "5/20 * * * *", zone: utc, after: "2026-05-04T10:00:00Z", through: "2026-05-04T11:05:00Z", limit: 10,
            expected: ["2026-05-04T10:05:00Z", "2026-05-04T10:25:00Z", "2026-05-04T10:45:00Z", "2026-05-04T11:05:00Z"]
        ),
        // Every 02:xx of the spring-forward day falls in the gap: one run at the transition.
        RunCase(
            expression: "*/15 2 * * *", zone: amsterdam, after: "2026-03-28T23:00:00Z", through: "2026-03-29T22:00:00Z", limit: 10,
            expected: ["2026-03-29T01:00:00Z"]
        ),
        RunCase(
            expression: "*/30 * * * *", zone: amsterdam, after: "2026-03-29T00:15:00Z", through: "2026-03-29T02:00:00Z", limit: 10,
            expected: ["2026-03-29T00:30:00Z", "2026-03-29T01:00:00Z", "2026-03-29T01:30:00Z", "2026-03-29T02:00:00Z"]
        ),
        // Falling back, a wildcard hour runs in both passes of 02:xx; a fixed hour only in the first.
        RunCase(
            expression: "*/30 * * * *", zone: amsterdam, after: "2026-10-24T23:45:00Z", through: "2026-10-25T02:30:00Z", limit: 10,
            expected: [
                "2026-10-25T00:00:00Z", "2026-10-25T00:30:00Z", "2026-10-25T01:00:00Z", "2026-10-25T01:30:00Z", "2026-10-25T02:00:00Z",
                "2026-10-25T02:30:00Z",
            ]
        ),
        RunCase(
            expression: "@hourly", zone: amsterdam, after: "2026-10-24T23:30:00Z", through: "2026-10-25T02:30:00Z", limit: 10,
            expected: ["2026-10-25T00:00:00Z", "2026-10-25T01:00:00Z", "2026-10-25T02:00:00Z"]
        ),
        RunCase(
            expression: "*/15 2 * * *", zone: amsterdam, after: "2026-10-24T23:00:00Z", through: "2026-10-25T03:00:00Z", limit: 10,
            expected: ["2026-10-25T00:00:00Z", "2026-10-25T00:15:00Z", "2026-10-25T00:30:00Z", "2026-10-25T00:45:00Z"]
        ),
        RunCase(
            expression: "*/30 * * * *", zone: newYork, after: "2026-11-01T04:45:00Z", through: "2026-11-01T07:00:00Z", limit: 10,
            expected: [
                "2026-11-01T05:00:00Z", "2026-11-01T05:30:00Z", "2026-11-01T06:00:00Z", "2026-11-01T06:30:00Z", "2026-11-01T07:00:00Z",
            ]
        ),
        RunCase(
            expression: "0 0 1 1 *", zone: utc, after: "2026-01-01T00:00:00Z", through: "2036-01-01T00:00:00Z", limit: 3,
            expected: ["2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z", "2029-01-01T00:00:00Z"]
        ),
        RunCase(
            expression: "@daily", zone: utc, after: "2026-05-04T00:00:00Z", through: "2026-05-04T23:59:00Z", limit: 10, expected: []
        ),
    ]

    @Test(arguments: runCases)
    func dueTimesMatchTheTable(_ row: RunCase) throws {
        let schedule = try CronSchedule(parsing: row.expression)
        let times = schedule.dueTimes(
            after: Self.instant(row.after), through: Self.instant(row.through), in: Self.zone(row.zone), limit: row.limit
        )
        #expect(times == row.expected.map(Self.instant))
    }

    static let lastCases: [LastCase] = [
        LastCase(
            expression: "* * * * *", zone: utc, after: "2026-05-04T10:07:00Z", through: "2026-05-04T10:07:00Z", expected: nil
        ),
        LastCase(
            expression: "* * * * *", zone: utc, after: "2026-05-04T10:06:00Z", through: "2026-05-04T10:07:00Z",
            expected: "2026-05-04T10:07:00Z"
        ),
        LastCase(expression: "0 0 * * *", zone: utc, after: "2026-05-04T00:00:00Z", through: "2026-05-04T12:00:00Z", expected: nil),
        LastCase(
            expression: "0 0 * * *", zone: utc, after: "2026-05-03T23:59:00Z", through: "2026-05-04T12:00:00Z",
            expected: "2026-05-04T00:00:00Z"
        ),
        LastCase(expression: "0 0 1 1 *", zone: utc, after: "2026-02-01T00:00:00Z", through: "2026-12-31T00:00:00Z", expected: nil),
        LastCase(
            expression: "0 0 1 1 *", zone: utc, after: "2020-02-01T00:00:00Z", through: "2026-12-31T00:00:00Z",
            expected: "2026-01-01T00:00:00Z"
        ),
        LastCase(
            expression: "*/30 * * * *", zone: amsterdam, after: "2026-10-24T00:00:00Z", through: "2026-10-25T01:45:00Z",
            expected: "2026-10-25T01:30:00Z"
        ),
        LastCase(
            expression: "30 2 * * *", zone: amsterdam, after: "2026-10-24T12:00:00Z", through: "2026-10-25T23:00:00Z",
            expected: "2026-10-25T00:30:00Z"
        ),
        LastCase(
            expression: "30 2 * * *", zone: amsterdam, after: "2026-03-01T00:00:00Z", through: "2026-03-29T12:00:00Z",
            expected: "2026-03-29T01:00:00Z"
        ),
    ]

    @Test(arguments: lastCases)
    func lastDueMatchesTheTable(_ row: LastCase) throws {
        let schedule = try CronSchedule(parsing: row.expression)
        let last = schedule.lastDue(after: Self.instant(row.after), through: Self.instant(row.through), in: Self.zone(row.zone))
        #expect(last == row.expected.map(Self.instant))
    }

    /// Searches back from the end: a minutely schedule down for a year catches up one minute.
    @Test func aMinutelyScheduleDownForAYearCatchesUpTheLastMinute() throws {
        let schedule = try CronSchedule(parsing: "* * * * *")
        let last = schedule.lastDue(
            after: Self.instant("2025-05-04T10:07:30Z"), through: Self.instant("2026-05-04T10:07:30Z"), in: Self.zone(Self.amsterdam))
        #expect(last == Self.instant("2026-05-04T10:07:00Z"))
    }

    @Test func aDueTimeIsAWholeMinuteStrictlyAfterAFractionalInstant() throws {
        let schedule = try CronSchedule(parsing: "*/15 * * * *")
        let after = Self.instant("2026-05-04T10:14:59Z").addingTimeInterval(0.5)
        #expect(schedule.nextDue(after: after, in: Self.zone(Self.utc)) == Self.instant("2026-05-04T10:15:00Z"))
    }

    @Test func theDescriptionIsTheTrimmedTextWithSingleSpaces() throws {
        #expect(try CronSchedule(parsing: "  0\t9-16  * *   0-5 \n").description == "0 9-16 * * 0-5")
        #expect(try CronSchedule(parsing: "@HOURLY").description == "@hourly")
        #expect(try CronSchedule(parsing: "0 9 * * MON-FRI") == CronSchedule(parsing: "0  9 * * MON-FRI"))
    }

    static let badCases: [BadCase] = [
        BadCase(
            expression: "0 9-16 * *",
            message: "cron \"0 9-16 * *\": needs 5 fields (minute hour day-of-month month day-of-week) or a shorthand like @hourly, got 4"
        ),
        BadCase(
            expression: "0 0 0 * * *",
            message: "cron \"0 0 0 * * *\": needs 5 fields (minute hour day-of-month month day-of-week) or a shorthand like @hourly, got 6"
        ),
        BadCase(
            expression: "",
            message: "cron \"\": is empty; needs 5 fields (minute hour day-of-month month day-of-week) or a shorthand like @hourly"
        ),
        BadCase(
            expression: " \t ",
            message: "cron \"\": is empty; needs 5 fields (minute hour day-of-month month day-of-week) or a shorthand like @hourly"
        ),
        BadCase(expression: "60 * * * *", message: "cron \"60 * * * *\": minute 60 is out of range 0-59"),
        BadCase(expression: "0 24 * * *", message: "cron \"0 24 * * *\": hour 24 is out of range 0-23"),
        BadCase(expression: "0 0 0 * *", message: "cron \"0 0 0 * *\": day-of-month 0 is out of range 1-31"),
        BadCase(expression: "0 0 * 13 *", message: "cron \"0 0 * 13 *\": month 13 is out of range 1-12"),
        BadCase(expression: "0 0 * * 8", message: "cron \"0 0 * * 8\": day-of-week 8 is out of range 0-7"),
        BadCase(expression: "*/0 * * * *", message: "cron \"*/0 * * * *\": minute step 0 must be at least 1"),
        BadCase(expression: "*/x * * * *", message: "cron \"*/x * * * *\": minute step 'x' is not a number"),
        BadCase(expression: "0 5-1 * * *", message: "cron \"0 5-1 * * *\": hour range 5-1 goes backwards"),
        BadCase(expression: "0 0 * * FRI-MON", message: "cron \"0 0 * * FRI-MON\": day-of-week range FRI-MON goes backwards"),
        BadCase(
            expression: "0 0 * * FOO", message: "cron \"0 0 * * FOO\": day-of-week: 'FOO' is not a number or a day name (SUN-SAT)"
        ),
        BadCase(expression: "0 0 * FOO *", message: "cron \"0 0 * FOO *\": month: 'FOO' is not a number or a month name (JAN-DEC)"),
        BadCase(expression: "FOO * * * *", message: "cron \"FOO * * * *\": minute: 'FOO' is not a number"),
        BadCase(expression: "0 MON * * *", message: "cron \"0 MON * * *\": hour: 'MON' is not a number"),
        BadCase(expression: "0 0 * * MON-", message: "cron \"0 0 * * MON-\": day-of-week: 'MON-' is not a number or a range like 1-5"),
        BadCase(expression: "1,,2 * * * *", message: "cron \"1,,2 * * * *\": minute: '1,,2' has an empty list item"),
        BadCase(expression: "1/2/3 * * * *", message: "cron \"1/2/3 * * * *\": minute: '1/2/3' has more than one step"),
        BadCase(expression: "*-5 * * * *", message: "cron \"*-5 * * * *\": minute: '*-5' mixes * with other values"),
        BadCase(
            expression: "@reboot",
            message: "cron \"@reboot\": @reboot runs once when cron starts, which is not a schedule; "
                + "use 5 fields (minute hour day-of-month month day-of-week) or a shorthand like @hourly"
        ),
        BadCase(
            expression: "@fortnightly",
            message: "cron \"@fortnightly\": unknown shorthand @fortnightly; use @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly"
        ),
        BadCase(expression: "@daily 0", message: "cron \"@daily 0\": shorthand @daily takes no other fields, got 1 more"),
        BadCase(
            expression: "0 0 31 2 *", message: "cron \"0 0 31 2 *\": day-of-month 31 never occurs in month 2, so the schedule never fires"
        ),
        BadCase(
            expression: "0 0 30 2 *", message: "cron \"0 0 30 2 *\": day-of-month 30 never occurs in month 2, so the schedule never fires"
        ),
        BadCase(
            expression: "0 0 31 APR,JUN,SEP,NOV *",
            message: "cron \"0 0 31 APR,JUN,SEP,NOV *\": day-of-month 31 never occurs in month APR,JUN,SEP,NOV, so the schedule never fires"
        ),
    ]

    @Test(arguments: badCases)
    func aBadExpressionIsRefusedWithAMessageNamingFieldAndValue(_ row: BadCase) {
        let error = #expect(throws: CronError.self) {
            try CronSchedule(parsing: row.expression)
        }
        #expect(error?.message == row.message)
    }

    @Test func theErrorDescribesItselfWithItsMessage() {
        let error = CronError(message: "cron \"x\": wrong")
        #expect(error.description == "cron \"x\": wrong")
        #expect("\(error)" == "cron \"x\": wrong")
    }
}
