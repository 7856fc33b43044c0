import Foundation
import GRDB
import PostgresNIO
import WorkflowEngine

/// Everything `wf` needs from a database, whichever it is: processes, workers,
/// subscriptions, the catalog, the audit and migrations.
public protocol WorkflowStore: WorkerStore, SubscriptionStore, RefusalLog, ProcessCounting, TokenStore, EventLog, ScheduleStore, DriftCheckStore,
    SettingsStore, HookStore
{
    /// Where the data is, without secrets (a file path, or a URL without its password).
    var locationDescription: String { get }
    /// `sqlite` or `postgres`: which folder of `migrations/` applies.
    var dialect: String { get }
    /// Whether the store was opened for reading only (a SQLite file nobody may write): it
    /// is then neither migrated nor synced, and every write is refused.
    var isReadOnly: Bool { get }

    @discardableResult
    func migrate() async throws -> [Migration]
    func migrationStatus() async throws -> [MigrationStatus]
    func requireMigrated() async throws
    func productRows() async throws -> [ProductRow]
    func audit(_ filter: AuditFilter) async throws -> [AuditEntry]
    /// A process with its steps, inputs and ledger, as one read saw them; nil if unknown.
    func processRecords(_ id: ProcessID) async throws -> ProcessRecords?
    /// A subscription's model (as it was at `time`, when given) with the process holding it
    /// and the subscriptions using it now, as one read saw them; nil when it does not exist
    /// (or did not yet at `time`).
    func subscriptionRecords(_ id: UUID, at time: Date?) async throws -> SubscriptionRecords?

    /// Closes connections (PostgreSQL's pool); the store is unusable afterwards.
    func close() async
}

/// Everything recorded about one process (see `WorkflowStore.processRecords`).
public struct ProcessRecords: Sendable {
    public var process: ProcessRecord
    public var steps: [StepRecord]
    public var inputs: [InputStateRecord]
    public var ledger: [LedgerEntry]
}

/// A subscription shown whole (see `WorkflowStore.subscriptionRecords`).
public struct SubscriptionRecords: Sendable {
    public var model: SubscriptionModel
    public var lockedBy: ProcessID?
    public var usedBy: [SubscriptionSummary]
}

extension WorkflowStore {
    public var isReadOnly: Bool { false }

    /// Three reads; SQLite reads once instead.
    public func subscriptionRecords(_ id: UUID, at time: Date?) async throws -> SubscriptionRecords? {
        let found: SubscriptionModel?
        if let time { found = try await subscription(id, at: time) } else { found = try await subscription(id) }
        guard let model = found else { return nil }
        return SubscriptionRecords(
            model: model, lockedBy: try await subscriptions(SubscriptionFilter(limit: 1, id: id)).first?.lockedBy, usedBy: try await usedBy(id))
    }

    /// Four reads, each of which sees the process as it is then: a step committed in between
    /// shows in the steps and not in the record. SQLite reads once instead.
    public func processRecords(_ id: ProcessID) async throws -> ProcessRecords? {
        guard let process = try await process(id) else { return nil }
        return ProcessRecords(
            process: process, steps: try await steps(of: id), inputs: try await inputStates(of: id),
            ledger: try await ledger(LedgerQuery(processID: id)))
    }

    /// Fails with a clear message when the database lacks migrations this build needs
    /// ("the database is at migration 0004, this wf needs 0005: run `wf db migrate`"), or
    /// was migrated by a newer `wf` than this one (naming both).
    public func requireMigrated() async throws {
        let status = try await migrationStatus()
        let applied = status.filter { $0.state != .pending }.map(\.version).max() ?? "none"
        let needed = status.filter { $0.state != .unknown }.map(\.version).max() ?? "none"
        if !status.filter({ $0.state == .unknown }).isEmpty {
            throw PersistenceError(
                .notMigrated,
                "the database at \(locationDescription) is at migration \(applied), newer than this wf knows (it needs \(needed)): "
                    + "run a wf at least as new as the one that migrated it",
                database: locationDescription)
        }
        let pending = status.filter { $0.state == .pending }
        guard pending.isEmpty else {
            throw PersistenceError(
                .notMigrated,
                "the database at \(locationDescription) is at migration \(applied), this wf needs \(needed) "
                    + "(\(pending.map { "\($0.version)_\($0.name)" }.joined(separator: ", ")) pending): run `wf db migrate`",
                database: locationDescription)
        }
    }
}

/// What `wf bench` measures the engine against: bare single-row commits to a scratch table
/// in the same database. Kept out of `WorkflowStore`, which the engine and the commands use.
public protocol BenchmarkFloor: Sendable {
    func prepareBareCommitTable() async throws
    /// One row in its own transaction, the least a durable step could cost.
    func commitBareRow(_ payload: String) async throws
    func dropBareCommitTable() async throws
}

extension SQLiteStore: BenchmarkFloor {}
extension PostgresStore: BenchmarkFloor {}

extension SQLiteStore: WorkflowStore {
    public var locationDescription: String { path }
    public var dialect: String { "sqlite" }

    /// A read-only query written by hand, its first column as text (tests check the
    /// relational tables with plain SQL; not part of `WorkflowStore`).
    func plainTexts(_ sql: String) async throws -> [String?] {
        try await pool.read { db in try Optional<String>.fetchAll(db, sql: sql) }
    }
}

extension PostgresStore: WorkflowStore {
    public var locationDescription: String { location.description }
    public var dialect: String { "postgres" }

    /// A read-only query written by hand, its first column as text (tests check the
    /// relational tables with plain SQL; not part of `WorkflowStore`).
    func plainTexts(_ sql: String) async throws -> [String?] {
        try await rows(PostgresQuery(unsafeSQL: "SELECT q.c::text AS t FROM (\(sql)) AS q (c)")).map { try $0.optionalString("t") }
    }
}

public enum Stores {
    /// Opens the store `location` names: a `postgres://` (or `postgresql://`) URL, else a
    /// SQLite file path. Any other URL is refused rather than taken for a file name: a
    /// mistyped `postgress://` or a `mysql://` URL would otherwise become a new, empty
    /// SQLite file named after it, password included.
    public static func open(_ location: String) async throws -> any WorkflowStore {
        try await openForBenchmark(location)
    }

    /// The store `location` names, with the benchmark's floor (`wf bench` only).
    public static func openForBenchmark(_ location: String) async throws -> any WorkflowStore & BenchmarkFloor {
        try check(location)
        if PostgresLocation.isPostgres(location) {
            return try await PostgresStore.connect(location)
        }
        return try SQLiteStore(path: location)
    }

    /// Refuses a location that is a URL of a scheme no store supports (the message shows the
    /// URL without its password).
    public static func check(_ location: String) throws {
        guard let scheme = PostgresLocation.urlScheme(of: location), !PostgresLocation.isPostgres(location) else { return }
        let supported = PostgresLocation.schemes.map { "\($0)://" }.joined(separator: " or ")
        let hint = scheme.lowercased().hasPrefix("po") || scheme.lowercased().hasPrefix("pg") ? " (a typo for postgres://?)" : ""
        throw PersistenceError(
            .invalidLocation,
            "the database '\(PostgresLocation.redacting(location))' is a \(scheme):// URL\(hint), which wf does not support: "
                + "give a \(supported) URL, or the path of a SQLite file (./\(scheme)… if a file is really meant)")
    }
}

extension PersistenceError.Code {
    /// A write to a store opened read-only.
    public static let readOnly = PersistenceError.Code("read_only")
}

extension WorkflowStore {
    /// `error` said plainly when it is a write this store refused because it is open
    /// read-only (SQLite's "attempt to write a readonly database"); nil for any other error.
    public func readOnlyRefusal(for error: any Error) -> PersistenceError? {
        guard isReadOnly else { return nil }
        var cause: (any Error)? = error
        while let current = cause {
            if let database = current as? DatabaseError, database.resultCode == .SQLITE_READONLY {
                return PersistenceError(
                    .readOnly,
                    "the database file \(locationDescription) is read-only: listings and `show` work on it, changes do not; "
                        + "make it writable (chmod u+w) or work on a copy",
                    database: locationDescription)
            }
            cause = (current as? PersistenceError)?.underlying
        }
        return nil
    }
}
