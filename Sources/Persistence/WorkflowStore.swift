import Foundation
import GRDB
import PostgresNIO
import WorkflowEngine

/// Everything `wf` needs from a database, whichever it is: processes, workers,
/// subscriptions, the catalog, the audit, migrations and the benchmark's floor.
public protocol WorkflowStore: WorkerStore, SubscriptionStore {
    /// Where the data is, without secrets (a file path, or a URL without its password).
    var locationDescription: String { get }
    /// `sqlite` or `postgres`: which folder of `migrations/` applies.
    var dialect: String { get }

    @discardableResult
    func migrate() async throws -> [Migration]
    func migrationStatus() async throws -> [MigrationStatus]
    func requireMigrated() async throws
    func productRows() async throws -> [ProductRow]
    func audit(_ filter: AuditFilter) async throws -> [AuditEntry]

    /// Runs a read-only query written by hand and returns its first column as text, NULL as
    /// nil: for tests and tooling that check the relational tables with plain SQL.
    func plainTexts(_ sql: String) async throws -> [String?]

    func prepareBareCommitTable() async throws
    func commitBareRow(_ payload: String) async throws
    func dropBareCommitTable() async throws

    /// Closes connections (PostgreSQL's pool); the store is unusable afterwards.
    func close() async
}

extension WorkflowStore {
    /// Fails with a clear message when the database lacks migrations this build needs.
    public func requireMigrated() async throws {
        let pending = try await migrationStatus().filter { $0.state == .pending }
        guard pending.isEmpty else {
            throw PersistenceError(
                .notMigrated,
                "the database at \(locationDescription) lacks migrations \(pending.map { "\($0.version)_\($0.name)" }.joined(separator: ", ")); "
                    + "run `wf db migrate`",
                database: locationDescription)
        }
    }
}

extension SQLiteStore: WorkflowStore {
    public var locationDescription: String { path }
    public var dialect: String { "sqlite" }
    public func close() async {}

    public func plainTexts(_ sql: String) async throws -> [String?] {
        try await pool.read { db in try Optional<String>.fetchAll(db, sql: sql) }
    }
}

extension PostgresStore: WorkflowStore {
    public var locationDescription: String { location.description }
    public var dialect: String { "postgres" }

    public func plainTexts(_ sql: String) async throws -> [String?] {
        try await rows(PostgresQuery(unsafeSQL: "SELECT q.c::text AS t FROM (\(sql)) AS q (c)")).map { try $0.optionalString("t") }
    }
}

public enum Stores {
    /// Opens the store `location` names: a `postgres://` URL, else a SQLite file path.
    public static func open(_ location: String) async throws -> any WorkflowStore {
        if PostgresLocation.isPostgres(location) {
            return try await PostgresStore.connect(location)
        }
        return try SQLiteStore(path: location)
    }
}
