import Testing

@testable import NetBoxLite

/// The replay's comparison must catch what matters and only ignore what the recordings
/// cannot match.
@Suite struct JSONDifferenceTests {
    let base = "http://localhost"

    @Test func findsTheFirstDifferentValueWithItsPath() {
        let expected: JSON = ["results": [["id": 1, "cable": ["id": 1]], ["id": 2, "cable": nil]]]
        let actual: JSON = ["results": [["id": 1, "cable": ["id": 1]], ["id": 2, "cable": ["id": 3]]]]
        let difference = JSONDifference.first(expected: expected, actual: actual, baseURL: base)
        #expect(difference?.path == "$.results[1].cable")
    }

    @Test func missingAndExtraKeysAndTypesCount() {
        #expect(JSONDifference.first(expected: ["a": 1, "b": 2], actual: ["a": 1], baseURL: base)?.path == "$.b")
        #expect(JSONDifference.first(expected: ["a": 1], actual: ["a": 1, "c": 3], baseURL: base)?.path == "$.c")
        #expect(JSONDifference.first(expected: ["a": 1], actual: ["a": "1"], baseURL: base)?.path == "$.a")
        #expect(JSONDifference.first(expected: [1, 2], actual: [1], baseURL: base)?.path == "$")
        #expect(JSONDifference.first(expected: nil, actual: [:], baseURL: base) != nil)
    }

    @Test func ignoresTimestampValuesAndTheRecordedHost() {
        let expected: JSON = [
            "url": "http://127.0.0.1:8001/api/dcim/devices/1/", "created": "2026-11-25T00:02:18.374843Z", "last_updated": "x",
        ]
        let actual: JSON = ["url": "http://localhost/api/dcim/devices/1/", "created": "2030-01-01T00:00:00.000000Z", "last_updated": "y"]
        #expect(JSONDifference.first(expected: expected, actual: actual, baseURL: base) == nil)
        #expect(JSONDifference.first(expected: ["created": "x"], actual: ["created": nil], baseURL: base)?.path == "$.created")
        let wrongPath: JSON = ["url": "http://localhost/api/dcim/devices/2/", "created": "a", "last_updated": "b"]
        #expect(JSONDifference.first(expected: expected, actual: wrongPath, baseURL: base)?.path == "$.url")
    }
}
