import Foundation
import Testing
import WorkflowEngine

/// The hand-written UTC time text: what `text` writes, `date` reads back to the very same
/// `Date`; a form it does not know is nil, never a wrong time.
struct UTCTimeTextTests {
    @Test func whatTextWritesDateReadsBackExactly() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            // Whole milliseconds from 1900 to 2200, as the stores keep times.
            let millis = Int64.random(in: -2_208_988_800_000...7_258_118_400_000, using: &generator)
            let date = Date(timeIntervalSinceReferenceDate: Double(millis - 978_307_200_000) / 1000)
            #expect(UTCTimeText.date(UTCTimeText.text(date)) == date, "\(UTCTimeText.text(date))")
            #expect(UTCTimeText.date(UTCTimeText.text(date, separator: " ", zone: "")) == date)
        }
    }

    @Test func itAgreesWithFoundationOnRFC3339InUTC() throws {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        for text in ["2027-01-15T08:00:00.000Z", "2000-02-29T23:59:59.999Z", "1970-01-01T00:00:00.001Z", "2026-12-05T07:15:23.5Z"] {
            let parsed = try #require(UTCTimeText.date(text))
            let expected = try #require(formatter.date(from: text))
            #expect(abs(parsed.timeIntervalSince(expected)) < 0.000_5, "\(text)")
        }
        #expect(UTCTimeText.date("2027-01-15T08:00:00Z") == UTCTimeText.date("2027-01-15T08:00:00.000Z"))
    }

    @Test(arguments: [
        "", "2027-01-15", "2027-13-01T00:00:00Z", "2027-01-15T24:00:00Z", "2027-01-15T08:00:00+01:00", "2027-01-15T08:00:00.1234Z",
        "20x7-01-15T08:00:00Z", "2027-01-15T08:00:60Z", "2027-01-15T08:00:00.Z",
    ])
    func aFormItDoesNotKnowIsNil(text: String) {
        #expect(UTCTimeText.date(text) == nil)
    }
}
