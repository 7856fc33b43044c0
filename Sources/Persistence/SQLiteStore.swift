import Foundation
import GRDB
import WorkflowEngine

/// The embedded store: one SQLite file in WAL mode, shared safely by several `wf`
/// processes (SQLite serialises writers; every write is one IMMEDIATE transaction).
///
/// `synchronous = NORMAL`: a commit survives a crash of any process (kill -9); a power
/// loss may undo the last commits, which then run again as re-runnable steps.
public final class SQLiteStore: Sendable {
    public let path: String
    let pool: DatabasePool

    /// Opens (creating if needed) the database file. Does not migrate: call `migrate()`.
    public init(path: String) throws {
        self.path = path
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        var configuration = Configuration()
        configuration.label = "wf"
        // Other `wf` processes may hold the write lock for a moment; wait rather than fail.
        configuration.busyMode = .timeout(30)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            pool = try Self.openPool(path: path, configuration: configuration)
        } catch {
            throw PersistenceError(.cannotOpen, "cannot open the SQLite database at \(path)", database: path, underlying: error)
        }
    }

    /// Opening a new file switches it to WAL, which takes a lock that SQLite does not wait for
    /// (the busy timeout does not apply): two processes opening a fresh file at once may get
    /// SQLITE_BUSY. Such an open is tried again, for as long as the busy timeout would wait.
    private static func openPool(path: String, configuration: Configuration) throws -> DatabasePool {
        let deadline = Date().addingTimeInterval(30)
        while true {
            do {
                return try DatabasePool(path: path, configuration: configuration)
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY && Date() < deadline {
                Thread.sleep(forTimeInterval: 0.01)
            }
        }
    }

    /// The default database file: `$XDG_DATA_HOME/wf/wf.sqlite`, else `~/.local/share/wf/wf.sqlite`.
    public static var defaultPath: String {
        let environment = ProcessInfo.processInfo.environment
        if let data = environment["XDG_DATA_HOME"], !data.isEmpty {
            return data + "/wf/wf.sqlite"
        }
        return FileManager.default.homeDirectoryForCurrentUser.path + "/.local/share/wf/wf.sqlite"
    }

    // MARK: - Migrations

    /// Applies the pending migrations in order, each in its own transaction; returns the
    /// versions applied. Safe to run twice, and from two processes at once.
    @discardableResult
    public func migrate() async throws -> [Migration] {
        // A read first, so that an up-to-date database (every `wf` command) takes no write lock.
        let pending = try await migrationStatus().filter { $0.state == .pending }.map(\.version)
        guard !pending.isEmpty else { return [] }
        let migrations = try Migration.bundled(dialect: "sqlite").filter { pending.contains($0.version) }
        var applied: [Migration] = []
        for migration in migrations {
            let didApply = try await pool.write { db -> Bool in
                // Checked again inside the write: another process may have applied it meanwhile.
                try Self.createMigrationsTable(db)
                let known = try String.fetchOne(
                    db, sql: "SELECT version FROM schema_migrations WHERE version = ?", arguments: [migration.version])
                guard known == nil else { return false }
                do {
                    try db.execute(sql: migration.sql)
                } catch {
                    throw PersistenceError(
                        .migrationFailed, "migration \(migration.version)_\(migration.name) failed and was rolled back",
                        database: self.path, underlying: error)
                }
                try db.execute(
                    sql: "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)",
                    arguments: [migration.version, migration.name, migration.checksum, SQLiteTime.text(Date())])
                return true
            }
            if didApply { applied.append(migration) }
        }
        return applied
    }

    /// Every known migration and whether it is applied, pending, or changed since applied.
    public func migrationStatus() async throws -> [MigrationStatus] {
        let migrations = try Migration.bundled(dialect: "sqlite")
        let applied = try await pool.read { db -> [String: (checksum: String, appliedAt: Date)] in
            guard try db.tableExists("schema_migrations") else { return [:] }
            let rows = try Row.fetchAll(db, sql: "SELECT version, checksum, applied_at FROM schema_migrations")
            return Dictionary(
                rows.map { row in (row["version"] as String, (checksum: row["checksum"] as String, appliedAt: row["applied_at"] as Date)) },
                uniquingKeysWith: { first, _ in first })
        }
        return StoreShared.status(of: migrations, applied: applied)
    }

    private static func createMigrationsTable(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version     TEXT PRIMARY KEY,
                    name        TEXT NOT NULL,
                    checksum    TEXT NOT NULL,
                    applied_at  TEXT NOT NULL
                )
                """)
    }

    // MARK: - The physical floor, for the benchmark

    /// Creates the scratch table the benchmark commits to; see `commitBareRow`.
    public func prepareBareCommitTable() async throws {
        try await pool.write { db in
            try db.execute(sql: "CREATE TABLE IF NOT EXISTS bench_bare_commits (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)")
        }
    }

    /// One transaction inserting one small row through the same connection pool the store
    /// uses: the floor against which the engine's per-step overhead is measured.
    public func commitBareRow(_ payload: String) async throws {
        try await pool.write { db in
            try db.cachedStatement(sql: "INSERT INTO bench_bare_commits (payload) VALUES (?)").execute(arguments: [payload])
        }
    }

    public func dropBareCommitTable() async throws {
        try await pool.write { db in try db.execute(sql: "DROP TABLE IF EXISTS bench_bare_commits") }
    }
}
