/// The one error type of the stores: a code that can grow, the database it concerns, and
/// a message that tells the operator what to do next.
public struct PersistenceError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let cannotOpen = Code("cannot_open")
        public static let migrationFailed = Code("migration_failed")
        public static let migrationsMissing = Code("migrations_missing")
        public static let notMigrated = Code("not_migrated")
        public static let corruptRow = Code("corrupt_row")
        public static let unknownWorkflow = Code("unknown_workflow")
        /// A product the catalog tables do not hold (`wf db migrate` syncs them).
        public static let unknownProduct = Code("unknown_product")
        /// A product block the catalog tables do not hold.
        public static let unknownBlock = Code("unknown_block")
        public static let invalidLocation = Code("invalid_location")
        public static let queryFailed = Code("query_failed")
        /// A write the database acknowledged is not there: the step built on it is refused.
        public static let commitLost = Code("commit_lost")
    }

    public var code: Code
    public var message: String
    public var database: String?
    public var underlying: (any Error)?

    public init(_ code: Code, _ message: String, database: String? = nil, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.database = database
        self.underlying = underlying
    }

    public var description: String {
        var text = message
        if let underlying { text += ": \(underlying)" }
        return text
    }
}
