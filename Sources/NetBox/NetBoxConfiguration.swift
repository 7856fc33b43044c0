import Foundation

/// Where NetBox is and how to talk to it. The token is never printed or logged.
public struct NetBoxConfiguration: Sendable, CustomStringConvertible {
    /// The base URL, e.g. `https://netbox.example.net` (without `/api`).
    public var url: URL
    public var token: String
    /// How long one request may take before it counts as a (transient) timeout.
    public var timeout: Duration
    /// How many objects to ask for per page when following pagination.
    public var pageSize: Int

    public init(url: URL, token: String, timeout: Duration = .seconds(15), pageSize: Int = 100) {
        self.url = url
        self.token = token
        self.timeout = timeout
        self.pageSize = pageSize
    }

    /// From `NETBOX_URL` and `NETBOX_TOKEN`; nil when `NETBOX_URL` is not set. Throws when
    /// the URL is not http(s) or the token is missing.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> NetBoxConfiguration? {
        guard let text = environment["NETBOX_URL"], !text.isEmpty else { return nil }
        guard let url = URL(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
            throw NetBoxError(.configuration, "NETBOX_URL must be an http(s) URL such as https://netbox.example.net, got '\(text)'")
        }
        guard let token = environment["NETBOX_TOKEN"], !token.isEmpty else {
            throw NetBoxError(.configuration, "NETBOX_URL is set but NETBOX_TOKEN is not: NetBox needs an API token")
        }
        return NetBoxConfiguration(url: url, token: token)
    }

    /// The `Authorization` header: `Bearer` for v2 tokens (`nbt_…`), `Token` for v1 ones.
    var authorization: String {
        token.hasPrefix("nbt_") ? "Bearer \(token)" : "Token \(token)"
    }

    public var description: String { "NetBox at \(url.absoluteString) (token redacted)" }
}
