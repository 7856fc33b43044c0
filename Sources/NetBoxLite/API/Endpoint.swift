/// One path of the API and what each HTTP method does there.
struct Endpoint: Sendable {
    /// What a method does: read the lab, or change it inside a write transaction.
    enum Action: Sendable {
        case read(@Sendable (Lab, APIRequest) throws -> APIResponse)
        case write(@Sendable (inout Lab, APIRequest) throws -> APIResponse)
    }

    /// Path segments; `{id}` matches any one segment (its value goes to `APIRequest.ids`).
    let segments: [String]
    /// The `Allow` header NetBox sends for this path (on every answer, errors included).
    let allow: String
    let actions: [String: Action]

    init(_ path: String, allow: String, _ actions: [String: Action]) {
        segments = path.split(separator: "/").map(String.init)
        self.allow = allow
        self.actions = actions
    }

    /// The `{id}` values if `path` (split into segments) is this endpoint's, else nil.
    func match(_ path: [String]) -> [String]? {
        guard path.count == segments.count else { return nil }
        var ids: [String] = []
        for (pattern, segment) in zip(segments, path) {
            if pattern == "{id}" {
                ids.append(segment)
            } else if pattern != segment {
                return nil
            }
        }
        return ids
    }

    /// `Allow` values NetBox sends, by kind of view.
    enum Allow {
        static let list = "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS"
        static let detail = "GET, PUT, PATCH, DELETE, HEAD, OPTIONS"
        static let readOnly = "GET, HEAD, OPTIONS"
        static let available = "GET, POST, HEAD, OPTIONS"
        // The interface views also offer the trace action, which adds TRACE to their list.
        static let interfaceList = list + ", TRACE"
        static let interfaceDetail = detail + ", TRACE"
        static let trace = readOnly + ", TRACE"
    }
}
