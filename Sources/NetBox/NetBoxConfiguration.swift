import Foundation

/// Where NetBox is and how to talk to it. The token is never printed or logged.
public struct NetBoxConfiguration: Sendable, CustomStringConvertible {
    /// The base URL, e.g. `https://netbox.example.net` (without `/api`).
    public var url: URL
    public var token: String
    /// How long one request may take, once connected, before it counts as a (transient)
    /// timeout (`NETBOX_TIMEOUT`).
    public var timeout: Duration
    /// How long connecting may take (`NETBOX_CONNECT_TIMEOUT`). A refused connection is
    /// reported at once, whatever this is.
    public var connectTimeout: Duration
    /// How many objects to ask for per page when following pagination.
    public var pageSize: Int

    public init(url: URL, token: String, timeout: Duration = .seconds(30), connectTimeout: Duration = .seconds(5), pageSize: Int = 100) {
        self.url = url
        self.token = token
        self.timeout = timeout
        self.connectTimeout = connectTimeout
        self.pageSize = pageSize
    }

    /// From `NETBOX_URL`, `NETBOX_TOKEN` and, when set, `NETBOX_TIMEOUT` and
    /// `NETBOX_CONNECT_TIMEOUT` (seconds); nil when `NETBOX_URL` is not set. Throws when the
    /// URL is not http(s), the token is missing or a timeout is not a positive number.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> NetBoxConfiguration? {
        guard let text = environment["NETBOX_URL"], !text.isEmpty else { return nil }
        guard let url = URL(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
            throw NetBoxError(.configuration, "NETBOX_URL must be an http(s) URL such as https://netbox.example.net, got '\(text)'")
        }
        guard let token = environment["NETBOX_TOKEN"], !token.isEmpty else {
            throw NetBoxError(.configuration, "NETBOX_URL is set but NETBOX_TOKEN is not: NetBox needs an API token")
        }
        var configuration = NetBoxConfiguration(url: url, token: token)
        if let timeout = try seconds("NETBOX_TIMEOUT", in: environment) { configuration.timeout = timeout }
        if let timeout = try seconds("NETBOX_CONNECT_TIMEOUT", in: environment) { configuration.connectTimeout = timeout }
        return configuration
    }

    /// `name`'s value as a duration in seconds (`2.5`), nil when unset or empty.
    private static func seconds(_ name: String, in environment: [String: String]) throws -> Duration? {
        guard let text = environment[name], !text.isEmpty else { return nil }
        guard let seconds = Double(text), seconds > 0, seconds.isFinite else {
            throw NetBoxError(.configuration, "\(name) must be a number of seconds greater than 0, such as 5 or 2.5, got '\(text)'")
        }
        return .milliseconds(Int64((seconds * 1000).rounded(.up)))
    }

    /// The `Authorization` header: `Bearer` for v2 tokens (`nbt_…`), `Token` for v1 ones.
    var authorization: String {
        token.hasPrefix("nbt_") ? "Bearer \(token)" : "Token \(token)"
    }

    public var description: String { "NetBox at \(url.absoluteString) (token redacted)" }
}
