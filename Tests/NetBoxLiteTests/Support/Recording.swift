import Foundation

@testable import NetBoxLite

/// One recorded exchange with the real NetBox 4.7.3 (`Fixtures/recordings/NN-name.json`).
struct Recording: Sendable, CustomStringConvertible {
    /// The file name without `.json`, e.g. `26-cable-create-planned`.
    let file: String
    let method: String
    let path: String
    /// The query in recorded order; a repeated parameter appears once per value.
    let query: [(name: String, value: String)]
    let headers: [String: String]
    let body: JSON?
    let status: Int
    let responseHeaders: [String: String]
    let responseBody: JSON?

    var description: String { file }

    /// Every recording, in file (= recording) order.
    static func all() throws -> [Recording] {
        guard let directory = Bundle.module.url(forResource: "recordings", withExtension: nil) else {
            throw RecordingError("the recordings are missing from the test bundle")
        }
        let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        return try files.map { try Recording(contentsOf: $0) }
    }

    init(contentsOf url: URL) throws {
        file = url.deletingPathExtension().lastPathComponent
        let json = try JSON.parse(Data(contentsOf: url))
        guard let request = json["request"], let response = json["response"],
            let method = request["method"]?.stringValue, let path = request["path"]?.stringValue,
            let status = response["status"]?.intValue
        else {
            throw RecordingError("\(file): not a recording")
        }
        self.method = method
        self.path = path
        self.status = status
        body = request["body"].flatMap { $0.isNull ? nil : $0 }
        responseBody = response["body"].flatMap { $0.isNull ? nil : $0 }
        headers = Self.strings(request["headers"])
        responseHeaders = Self.strings(response["headers"])
        var query: [(name: String, value: String)] = []
        if case .object(let pairs) = request["query"] ?? .null {
            for (name, value) in pairs {
                for item in value.arrayValue ?? [value] {
                    query.append((name: name, value: Self.text(item)))
                }
            }
        }
        self.query = query
    }

    /// The path with its query, form-encoded.
    var uri: String {
        guard !query.isEmpty else { return path }
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
        let pairs = query.map { pair in
            [pair.name, pair.value].map { $0.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0 }.joined(separator: "=")
        }
        return path + "?" + pairs.joined(separator: "&")
    }

    private static func strings(_ json: JSON?) -> [String: String] {
        guard case .object(let pairs) = json ?? .null else { return [:] }
        return Dictionary(pairs.compactMap { pair in pair.value.stringValue.map { (pair.key, $0) } }, uniquingKeysWith: { $1 })
    }

    private static func text(_ value: JSON) -> String {
        switch value {
        case .string(let text): text
        case .int(let number): String(number)
        case .bool(let flag): flag ? "true" : "false"
        default: value.text
        }
    }
}

struct RecordingError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
