import Foundation
import NIOSSL
import PostgresNIO

/// Where a PostgreSQL database is, parsed from `WF_DATABASE`:
/// `postgres://user:password@host:port/database?schema=wf&pool=10&sslmode=disable`.
///
/// `schema` keeps the tables in their own schema (created by `wf db migrate`); `pool` is
/// the most connections one `wf` opens; `sslmode` is `disable`, `prefer` or `require`
/// (default: `disable` on a loopback host, `prefer` elsewhere).
public struct PostgresLocation: Sendable, Hashable, CustomStringConvertible {
    public enum TLSMode: String, Sendable {
        case disable, prefer, require
    }

    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var schema: String?
    public var poolSize: Int
    /// How long one statement outside a transaction may go unanswered before it fails
    /// (`query_timeout`, seconds; default 20): see `PostgresStore.bounded`.
    public var queryTimeout: Duration
    public var tls: TLSMode

    /// The URL schemes that name a PostgreSQL database.
    public static let schemes = ["postgres", "postgresql"]

    /// Whether `text` names a PostgreSQL database rather than a SQLite file (schemes are
    /// case-insensitive, as in any URL).
    public static func isPostgres(_ text: String) -> Bool {
        urlScheme(of: text).map { schemes.contains($0.lowercased()) } ?? false
    }

    /// The scheme of `text` when it starts like a URL (`mysql://…`, `postgress://…`), else
    /// nil: a file path such as `./data/wf.sqlite` or `/var/lib/wf/wf.sqlite` has none.
    public static func urlScheme(of text: String) -> String? {
        guard let range = text.range(of: "://") else { return nil }
        let scheme = text[..<range.lowerBound]
        // RFC 3986: a letter, then letters, digits, +, - and .
        guard let first = scheme.first, first.isASCII, first.isLetter,
            scheme.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) })
        else { return nil }
        return String(scheme)
    }

    public init(_ text: String) throws {
        func invalid(_ why: String) -> PersistenceError {
            PersistenceError(.invalidLocation, "the database URL '\(Self.redacting(text))' is not usable: \(why)")
        }
        guard Self.isPostgres(text), let components = URLComponents(string: text) else {
            throw invalid("expected postgres://user:password@host:port/database")
        }
        guard let host = components.host, !host.isEmpty else { throw invalid("it names no host") }
        guard let user = components.user, !user.isEmpty else { throw invalid("it names no user") }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else { throw invalid("it names no database (…/database)") }
        // URLComponents gives user, password and path already percent-decoded, and an IPv6
        // host with its brackets.
        self.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        self.port = components.port ?? 5432
        self.user = user
        self.password = components.password
        self.database = database
        let loopback = ["127.0.0.1", "::1", "localhost"].contains(self.host)
        var schema: String?
        var poolSize = 10
        var queryTimeout = 20
        var tls: TLSMode = loopback ? .disable : .prefer
        for item in components.queryItems ?? [] {
            let value = item.value ?? ""
            switch item.name {
            case "schema":
                guard value.range(of: "^[a-z_][a-z0-9_]{0,62}$", options: .regularExpression) != nil else {
                    throw invalid("schema '\(value)' must be lowercase letters, digits and _, starting with a letter or _")
                }
                schema = value
            case "pool":
                guard let size = Int(value), (1...200).contains(size) else { throw invalid("pool '\(value)' must be a number from 1 to 200") }
                poolSize = size
            case "query_timeout":
                guard let seconds = Int(value), (1...3600).contains(seconds) else {
                    throw invalid("query_timeout '\(value)' must be a number of seconds from 1 to 3600")
                }
                queryTimeout = seconds
            case "sslmode":
                guard let mode = TLSMode(rawValue: value) else { throw invalid("sslmode '\(value)' must be disable, prefer or require") }
                tls = mode
            default:
                throw invalid("unknown parameter '\(item.name)' (known: schema, pool, query_timeout, sslmode)")
            }
        }
        self.schema = schema
        self.poolSize = poolSize
        self.queryTimeout = .seconds(queryTimeout)
        self.tls = tls
    }

    /// The URL without its password, for messages and `wf db status`.
    public var description: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        var text = "postgres://\(user)@\(shownHost):\(port)/\(database)"
        if let schema { text += "?schema=\(schema)" }
        return text
    }

    /// `text` with the password of its `user:password@` part replaced by `***`, whatever the
    /// scheme, for messages that echo a URL as given. Text that is no URL is returned as is.
    public static func redacting(_ text: String) -> String {
        guard let start = text.range(of: "://")?.upperBound else { return text }
        // Up to the last `@` of all, not the first after the host: a password with a raw `@`,
        // `/` or `?` (an invalid URL, but typed anyway) must not show in part either. Masking a
        // little more than the password, in an unusual URL, does no harm.
        guard let at = text[start...].lastIndex(of: "@"), let colon = text[start..<at].firstIndex(of: ":") else { return text }
        return String(text[...colon]) + "***" + String(text[at...])
    }

    func clientConfiguration() -> PostgresClient.Configuration {
        let tlsConfiguration: PostgresClient.Configuration.TLS =
            switch tls {
            case .disable: .disable
            case .prefer: .prefer(.makeClientConfiguration())
            case .require: .require(.makeClientConfiguration())
            }
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: user, password: password, database: database, tls: tlsConfiguration)
        configuration.options.maximumConnections = poolSize
        configuration.options.connectTimeout = .seconds(10)
        if let schema { configuration.options.additionalStartupParameters = [("search_path", schema)] }
        return configuration
    }

    func connectionConfiguration() throws -> PostgresConnection.Configuration {
        let tlsConfiguration: PostgresConnection.Configuration.TLS =
            switch tls {
            case .disable: .disable
            case .prefer: .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
            case .require: .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
            }
        var configuration = PostgresConnection.Configuration(
            host: host, port: port, username: user, password: password, database: database, tls: tlsConfiguration)
        if let schema { configuration.options.additionalStartupParameters = [("search_path", schema)] }
        return configuration
    }
}
