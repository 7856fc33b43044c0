import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization
import WorkflowEngine

/// The production store: PostgreSQL through postgres-nio, shared by every `wf` and every
/// worker on every host. Row locks are the coordination: a lease is taken by a conditional
/// UPDATE, workers claim with `FOR UPDATE SKIP LOCKED`, and `LISTEN/NOTIFY` wakes them.
///
/// Ids are `uuid`, times `timestamptz` (kept to the millisecond, as in SQLite), JSON `jsonb`.
///
/// The store is a `Service` for its connection pool: a long-running command runs it in its
/// `ServiceGroup` (with `listener`) after the services that use it, so that the pool
/// stops last and with them.
public final class PostgresStore: Service, Sendable {
    public let location: PostgresLocation
    let client: PostgresClient
    let logger: Logger
    /// The pool's `run()`. It starts when the store connects, so that one-shot commands and
    /// tests need no service group; `run()` (the store as a `Service`) owns when it ends.
    private let runner: Mutex<Task<Void, Never>?>
    /// The `LISTEN` loop that wakes workers when work is enqueued: a `Service` of its own.
    public let listener: PostgresWorkListener
    /// The `LISTEN` for `eventSignals()`, running while someone follows the event log.
    let eventListener: PostgresEventListener
    /// Statements and transactions sent, for the benchmark's per-process counts.
    let counters = StatementCounters()
    /// The ids of products and product blocks by name, as saves look them up: a catalog row
    /// keeps its id for good (the catalog sync updates a product in place and deletes none),
    /// so each is read once per store instead of once per save.
    let catalogIDs = Mutex<[String: UUID]>([:])

    /// The channel `LISTEN`ed on for enqueued work (one per schema, so that stores in
    /// different schemas of one database do not wake each other).
    var workChannel: String { Self.workChannel(location) }

    static func workChannel(_ location: PostgresLocation) -> String { "wf_work" + (location.schema.map { "_" + $0 } ?? "") }

    private init(location: PostgresLocation, client: PostgresClient, logger: Logger) {
        self.location = location
        self.client = client
        self.logger = logger
        runner = Mutex(nil)
        listener = PostgresWorkListener(location: location, channel: Self.workChannel(location), logger: logger)
        eventListener = PostgresEventListener(location: location, channel: Self.eventChannel(location), logger: logger)
    }

    /// Connects: checks first with one plain connection (which fails in milliseconds with
    /// the real cause when the server is down or the password wrong), then starts the pool.
    /// Does not migrate: call `migrate()`. Call `close()` when done.
    public static func connect(_ location: PostgresLocation, logger: Logger = Logger(label: "wf.postgres")) async throws -> PostgresStore {
        do {
            let connection = try await PostgresConnection.connect(
                configuration: try location.connectionConfiguration(), id: 0, logger: logger)
            try await connection.close()
        } catch {
            throw PersistenceError(
                .cannotOpen, "cannot connect to PostgreSQL at \(location)", database: location.description,
                underlying: PostgresFailure(error))
        }
        let store = PostgresStore(location: location, client: PostgresClient(configuration: location.clientConfiguration()), logger: logger)
        let client = store.client
        store.runner.withLock { $0 = Task { await client.run() } }
        return store
    }

    public static func connect(_ url: String) async throws -> PostgresStore {
        try await connect(try PostgresLocation(url))
    }

    /// Stops the connection pool and ends the event signal streams. Pending queries fail.
    /// Safe to call twice.
    public func close() async {
        eventListener.close()
        let task = runner.withLock { task -> Task<Void, Never>? in
            defer { task = nil }
            return task
        }
        task?.cancel()
        await task?.value
    }

    deinit {
        runner.withLock { $0?.cancel() }
        eventListener.close()
    }

    /// Keeps the pool until graceful shutdown (or cancellation), then closes it.
    public func run() async throws {
        try? await gracefulShutdown()
        await close()
    }

    // MARK: - Running SQL

    /// Runs one statement on its own (autocommit) and returns its rows; one left unanswered
    /// for `location.queryTimeout` fails (`BoundedCall`).
    @discardableResult
    func rows(_ query: PostgresQuery) async throws -> [PostgresRandomAccessRow] {
        counters.statement()
        counters.transaction()
        let (client, logger) = (self.client, self.logger)
        do {
            return try await BoundedCall.run(location.queryTimeout, what: { "a query" }) {
                var rows: [PostgresRandomAccessRow] = []
                for try await row in try await client.query(query, logger: logger) { rows.append(row.makeRandomAccess()) }
                return rows
            }
        } catch {
            throw PostgresFailure.wrap(error, location: location)
        }
    }

    /// Runs one writing statement in a transaction of its own, for a write that must not be
    /// lost once acknowledged (a process, a ledger entry, a token, an audit record). On its
    /// own it would commit only at the Sync after it, while postgres-nio answers at its end:
    /// a connection that ends in between (a restart, a terminated backend) loses a write the
    /// caller was told succeeded. A COMMIT answers only once committed.
    @discardableResult
    func committed(_ query: PostgresQuery) async throws -> [PostgresRandomAccessRow] {
        try await transaction { tx in try await tx.rows(query) }
    }

    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws.
    /// A transaction not over within `location.queryTimeout` fails (`BoundedCall`): as a
    /// single query can, a transaction whose connection closed under it (a restart) may
    /// never answer, and a worker's step would wait on it for ever while its heartbeat kept
    /// the lease. Migrations and bulk loads, which may rightly take longer, use
    /// `unboundedTransaction`.
    func transaction<Result: Sendable>(_ body: @escaping @Sendable (PostgresTransaction) async throws -> Result) async throws -> Result {
        do {
            return try await BoundedCall.run(location.queryTimeout, what: { "a transaction" }) {
                try await self.unboundedTransaction(body)
            }
        } catch let timedOut as BoundedCall.TimedOut {
            throw PostgresFailure.wrap(timedOut, location: location)
        }
    }

    /// `transaction` without a time limit: for work that may rightly take long (a migration
    /// waiting for another one's lock, a bulk load).
    func unboundedTransaction<Result: Sendable>(_ body: (PostgresTransaction) async throws -> Result) async throws -> Result {
        counters.transaction()
        counters.statement(2)
        do {
            return try await client.withTransaction(logger: logger) { connection in
                try await body(PostgresTransaction(connection: connection, counters: counters, logger: logger))
            }
        } catch let error as PostgresTransactionError {
            throw PostgresFailure.wrap(error.closureError ?? error.beginError ?? error.commitError ?? error, location: location)
        } catch {
            throw PostgresFailure.wrap(error, location: location)
        }
    }

    // MARK: - Migrations

    /// Applies the pending migrations in order, each in its own transaction under an
    /// advisory lock, so that two `wf db migrate` at once apply each file once. Creates the
    /// schema named in the URL first. Returns the versions applied.
    @discardableResult
    public func migrate() async throws -> [Migration] {
        let pending = try await migrationStatus().filter { $0.state == .pending }.map(\.version)
        guard !pending.isEmpty else { return [] }
        let migrations = try Migration.bundled(dialect: "postgres").filter { pending.contains($0.version) }
        var applied: [Migration] = []
        for migration in migrations {
            let didApply = try await unboundedTransaction { tx -> Bool in
                try await tx.rows("SELECT pg_advisory_xact_lock(hashtext(\(self.lockName)))")
                if let schema = self.location.schema {
                    try await tx.rows(PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \(schema)"))
                }
                try await tx.rows(
                    """
                    CREATE TABLE IF NOT EXISTS schema_migrations (
                        version text PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, applied_at timestamptz NOT NULL)
                    """)
                guard try await tx.rows("SELECT 1 FROM schema_migrations WHERE version = \(migration.version)").isEmpty else { return false }
                do {
                    try await tx.simple(migration.sql)
                } catch {
                    throw PersistenceError(
                        .migrationFailed, "migration \(migration.version)_\(migration.name) failed and was rolled back",
                        database: self.location.description, underlying: PostgresFailure(error))
                }
                try await tx.rows(
                    """
                    INSERT INTO schema_migrations (version, name, checksum, applied_at)
                    VALUES (\(migration.version), \(migration.name), \(migration.checksum), \(Date().milliseconds))
                    """)
                return true
            }
            if didApply { applied.append(migration) }
        }
        return applied
    }

    private var lockName: String { "wf_migrate:" + (location.schema ?? "public") }

    public func migrationStatus() async throws -> [MigrationStatus] {
        let migrations = try Migration.bundled(dialect: "postgres")
        var applied: [String: (checksum: String, appliedAt: Date)] = [:]
        let table = try await rows("SELECT to_regclass('schema_migrations') IS NOT NULL AS present")
        if try table.first?["present"].decode(Bool.self) == true {
            for row in try await rows("SELECT version, checksum, applied_at FROM schema_migrations") {
                applied[try row["version"].decode(String.self)] = (try row["checksum"].decode(String.self), try row.date("applied_at"))
            }
        }
        return StoreShared.status(of: migrations, applied: applied)
    }

    /// Drops the schema named in the URL with everything in it (test clean-up).
    public func dropSchema() async throws {
        guard let schema = location.schema else { return }
        try await rows(PostgresQuery(unsafeSQL: "DROP SCHEMA IF EXISTS \(schema) CASCADE"))
    }

    // MARK: - The physical floor, for the benchmark

    public func prepareBareCommitTable() async throws {
        try await rows("CREATE TABLE IF NOT EXISTS bench_bare_commits (id bigserial PRIMARY KEY, payload text NOT NULL)")
    }

    /// One single-row insert in its own transaction, through the same pool the store uses.
    public func commitBareRow(_ payload: String) async throws {
        var binds = PostgresBindings()
        binds.append(payload)
        _ = try await execute(BareCommit(binds: binds))
    }

    public func dropBareCommitTable() async throws {
        try await rows("DROP TABLE IF EXISTS bench_bare_commits")
    }

    /// Statements and commits sent so far by this store.
    public var statementCounts: (statements: Int, transactions: Int) { counters.read() }
}

/// A connection inside a transaction.
struct PostgresTransaction {
    let connection: PostgresConnection
    let counters: StatementCounters
    let logger: Logger

    @discardableResult
    func rows(_ query: PostgresQuery) async throws -> [PostgresRandomAccessRow] {
        counters.statement()
        var rows: [PostgresRandomAccessRow] = []
        for try await row in try await connection.query(query, logger: logger) { rows.append(row.makeRandomAccess()) }
        return rows
    }

    /// Runs SQL text that may hold several statements (a migration file), cut where
    /// PostgreSQL ends a statement (`SQLScript`): `$$` function bodies, `;` inside strings
    /// and comments anywhere stay whole, as SQLite runs the same files.
    func simple(_ sql: String) async throws {
        for statement in SQLScript.statements(sql) {
            try await rows(PostgresQuery(unsafeSQL: statement))
        }
    }
}

/// Counts what a store sends, so the benchmark can report statements and commits per process.
final class StatementCounters: Sendable {
    private let statements = Atomic<Int>(0)
    private let transactions = Atomic<Int>(0)

    func statement(_ count: Int = 1) { statements.add(count, ordering: .relaxed) }
    func transaction() { transactions.add(1, ordering: .relaxed) }
    func read() -> (statements: Int, transactions: Int) {
        (statements.load(ordering: .relaxed), transactions.load(ordering: .relaxed))
    }
}

/// A PostgreSQL error with the server's own message (postgres-nio's description hides it).
public struct PostgresFailure: Error, Sendable, CustomStringConvertible {
    public var description: String
    /// The SQLSTATE, when the server sent one (`40001`, `23505`, …).
    public var sqlState: String?

    init(_ error: any Error) {
        if let failure = error as? PostgresFailure {
            self = failure
            return
        }
        guard let psql = error as? PSQLError else {
            description = "\(error)"
            return
        }
        if let info = psql.serverInfo, let message = info[.message] {
            sqlState = info[.sqlState]
            var text = message
            if let detail = info[.detail] { text += " (\(detail))" }
            if let sqlState { text += " [SQLSTATE \(sqlState)]" }
            description = text
        } else if let underlying = psql.underlying {
            // The cause is often another PSQLError (the server's FATAL that closed the
            // connection): its own description is the placeholder, so describe it the same way.
            let cause = PostgresFailure(underlying)
            sqlState = cause.sqlState
            description = "\(psql.code): \(cause.description)"
        } else {
            description = "\(psql.code)"
        }
    }

    /// Errors of the engine and the stores pass through; driver errors are made readable.
    static func wrap(_ error: any Error, location: PostgresLocation) -> any Error {
        if error is WorkflowError || error is PersistenceError || error is CancellationError { return error }
        return PersistenceError(.queryFailed, "PostgreSQL at \(location)", database: location.description, underlying: PostgresFailure(error))
    }
}

extension PostgresRandomAccessRow {
    /// A timestamptz, to the millisecond (as stored).
    func date(_ column: String) throws -> Date {
        try self[column].decode(Date.self).milliseconds
    }

    func optionalDate(_ column: String) throws -> Date? {
        try self[column].decode(Date?.self)?.milliseconds
    }

    func string(_ column: String) throws -> String { try self[column].decode(String.self) }
    func optionalString(_ column: String) throws -> String? { try self[column].decode(String?.self) }
}

extension Date {
    /// This time to the nearest millisecond, the precision both stores keep. Rounded in
    /// `Date`'s own representation (seconds since 2001), so that a time read back is the
    /// very `Date` that was written, as with SQLite.
    var milliseconds: Date {
        Date(timeIntervalSinceReferenceDate: (timeIntervalSinceReferenceDate * 1000).rounded() / 1000)
    }
}
