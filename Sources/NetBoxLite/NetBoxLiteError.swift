/// Why NetBoxLite could not start or keep its state: a code to match on, a message that says
/// what to do next, and the underlying error when there is one.
public struct NetBoxLiteError: Error, CustomStringConvertible, Sendable {
    /// An extensible error code: new codes are added as static members, never as enum cases.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String

        /// The seed inventory or the choice lists cannot be read.
        public static let badSeed = Code(name: "badSeed")
        /// The SQLite file for the state cannot be opened, migrated or written.
        public static let storeFailed = Code(name: "storeFailed")
        /// The HTTP server did not start listening.
        public static let cannotListen = Code(name: "cannotListen")
        /// The configuration is not usable (for example a malformed v2 token).
        public static let badConfiguration = Code(name: "badConfiguration")

        public var description: String { name }
    }

    public let code: Code
    public let message: String
    public let underlying: (any Error & Sendable)?

    init(_ code: Code, _ message: String, underlying: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String {
        guard let underlying else { return "NetBoxLite: \(message)" }
        return "NetBoxLite: \(message) (\(underlying))"
    }
}
