import Foundation

/// The one error type of the NetBox client: a code, a message that says what to do, and
/// whether trying again later may help.
public struct NetBoxError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// NetBox refused the data (400): `fields` says why, per field.
        public static let validation = Code("validation")
        /// The token was refused (NetBox answers 403, never 401) or NETBOX_* is wrong.
        public static let configuration = Code("configuration")
        public static let notFound = Code("not_found")
        /// A prefix has no room for the requested block or address (409).
        public static let exhausted = Code("exhausted")
        /// Connection refused, timeout, 5xx: try again later.
        public static let unavailable = Code("unavailable")
        public static let unexpectedResponse = Code("unexpected_response")
    }

    public var code: Code
    public var message: String
    /// NetBox's messages per field, for a validation error.
    public var fields: [String: [String]]
    /// The HTTP status, when NetBox answered.
    public var status: Int?
    /// Retrying later may succeed.
    public var isRetryable: Bool
    /// NetBox could not be reached at all (as opposed to answering 5xx).
    public var isServiceUnreachable: Bool

    public init(
        _ code: Code, _ message: String, fields: [String: [String]] = [:], status: Int? = nil, isRetryable: Bool = false,
        isServiceUnreachable: Bool = false
    ) {
        self.code = code
        self.message = message
        self.fields = fields
        self.status = status
        self.isRetryable = isRetryable
        self.isServiceUnreachable = isServiceUnreachable
    }

    public var description: String {
        guard !fields.isEmpty else { return message }
        return message + ": " + fields.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value.joined(separator: " "))" }.joined(separator: "; ")
    }
}
