import Foundation

/// A request as the NetBox API handlers see it: independent of the HTTP server.
struct APIRequest: Sendable {
    /// `GET`, `POST`, ... in upper case.
    let method: String
    /// The path, percent-decoded, e.g. `/api/dcim/devices/1/`.
    let path: String
    /// The query parameters in their order; a repeated name appears once per value.
    let query: [(name: String, value: String)]
    /// The parsed body; nil when the request had none.
    let body: JSON?
    /// `http://<Host header>`: NetBox builds every `url` field from the request's Host.
    let baseURL: String
    /// The value of the Authorization header, if any.
    let authorization: String?
    /// The ids matched by `{id}` segments of the endpoint, in order.
    var ids: [String] = []

    /// Every value of the query parameter `name`.
    func values(_ name: String) -> [String] {
        query.filter { $0.name == name }.map(\.value)
    }

    /// The last value of the query parameter `name` (Django's `QueryDict.get`).
    func value(_ name: String) -> String? {
        values(name).last
    }

    /// NetBox's brief mode: a non-empty `brief` parameter on a GET (Python truthiness, so
    /// even `brief=false` asks for it, as on NetBox).
    var isBrief: Bool {
        method == "GET" && !(value("brief") ?? "").isEmpty
    }

    /// Parses a query string: `&`-separated, `+` as a space, percent-decoded, as Django does.
    static func parseQuery(_ query: String) -> [(name: String, value: String)] {
        query.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (text: Substring) in
                let spaced = text.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            return (name: decode(parts[0]), value: parts.count > 1 ? decode(parts[1]) : "")
        }
    }
}
