@testable import NetBoxLite

/// The first place where a response body differs from the recorded one, as a JSON path
/// (`$.results[2].cable.id`) and what each side holds there.
///
/// Ignored, as the recordings cannot match them: the values (not the presence or the
/// type) of `created`, `last_updated` and `/api/status/`'s `hostname` (the machine the
/// server runs on: CI's is not the recording machine), and the scheme and host of URLs
/// (the recorded `http://127.0.0.1:8001` stands for the server's own base URL).
struct JSONDifference: CustomStringConvertible {
    let path: String
    let expected: String
    let actual: String

    var description: String { "at \(path): expected \(expected), got \(actual)" }

    static let recordedBaseURL = "http://127.0.0.1:8001"
    static let timestampKeys: Set<String> = ["created", "last_updated", "hostname"]

    /// nil when `actual` matches `expected`.
    static func first(expected: JSON?, actual: JSON?, baseURL: String, path: String = "$") -> JSONDifference? {
        switch (expected, actual) {
        case (nil, nil): return nil
        case (nil, .some(let actual)): return JSONDifference(path: path, expected: "no body", actual: actual.text)
        case (.some(let expected), nil): return JSONDifference(path: path, expected: expected.text, actual: "no body")
        case (.some(let expected), .some(let actual)): return first(expected, actual, baseURL: baseURL, path: path)
        }
    }

    private static func first(_ expected: JSON, _ actual: JSON, baseURL: String, path: String) -> JSONDifference? {
        switch (expected, actual) {
        case (.object(let expectedPairs), .object(let actualPairs)):
            let expectedKeys = expectedPairs.map(\.key)
            let actualKeys = Set(actualPairs.map(\.key))
            if let missing = expectedKeys.first(where: { !actualKeys.contains($0) }) {
                return JSONDifference(path: "\(path).\(missing)", expected: "a key", actual: "no such key")
            }
            if let extra = actualPairs.map(\.key).first(where: { !expectedKeys.contains($0) }) {
                return JSONDifference(path: "\(path).\(extra)", expected: "no such key", actual: "a key")
            }
            for (key, value) in expectedPairs {
                let other = actual[key] ?? .null
                if timestampKeys.contains(key) {
                    if value.stringValue != nil && other.stringValue != nil { continue }
                    if value == other { continue }
                    return JSONDifference(path: "\(path).\(key)", expected: value.text, actual: other.text)
                }
                if let difference = first(value, other, baseURL: baseURL, path: "\(path).\(key)") {
                    return difference
                }
            }
            return nil
        case (.array(let expectedItems), .array(let actualItems)):
            for (index, (left, right)) in zip(expectedItems, actualItems).enumerated() {
                if let difference = first(left, right, baseURL: baseURL, path: "\(path)[\(index)]") {
                    return difference
                }
            }
            if expectedItems.count != actualItems.count {
                return JSONDifference(path: path, expected: "\(expectedItems.count) items", actual: "\(actualItems.count) items")
            }
            return nil
        case (.string(let text), _):
            let normalized = normalize(text, baseURL: baseURL)
            return actual == .string(normalized) ? nil : JSONDifference(path: path, expected: JSON.string(normalized).text, actual: actual.text)
        default:
            return expected == actual ? nil : JSONDifference(path: path, expected: expected.text, actual: actual.text)
        }
    }

    /// The recorded base URL replaced by the server's.
    static func normalize(_ text: String, baseURL: String) -> String {
        text.hasPrefix(recordedBaseURL) ? baseURL + text.dropFirst(recordedBaseURL.count) : text
    }
}
