import Foundation
import GRDB
import Logging
import WorkflowEngine

/// The embedded store: one SQLite file in WAL mode, shared safely by several `wf`
/// processes (SQLite serialises writers; every write is one IMMEDIATE transaction).
///
/// `synchronous = NORMAL`: a commit survives a crash of any process (kill -9); a power
/// loss may undo the last commits, which then run again as re-runnable steps.
///
/// A file nobody may write (`chmod a-w`, or one this user cannot write) is opened read-only:
/// listings and `show` work on it, writes are refused (see `readOnlyRefusal(for:)`).
public final class SQLiteStore: Sendable {
    public let path: String
    /// Opened read-only: the file is not writable for this user, or its mode allows nobody
    /// to write (which counts for root too, whom the kernel would let write anyway).
    public let isReadOnly: Bool
    let pool: DatabasePool

    /// Opens (creating if needed) the database file. Does not migrate: call `migrate()`.
    /// `readOnly` opens an existing file for reading only, whatever its mode.
    public init(path: String, readOnly: Bool = false) throws {
        self.path = path
        isReadOnly = readOnly || Self.isReadOnlyFile(path)
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty, !isReadOnly {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        var configuration = Configuration()
        configuration.label = "wf"
        configuration.readonly = isReadOnly
        // Other `wf` processes may hold the write lock for a moment; wait rather than fail.
        configuration.busyMode = .timeout(30)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // A checkpoint that empties the WAL also shrinks its file to this size: a worker
            // running for days keeps a small WAL, not the largest it ever was.
            try db.execute(sql: "PRAGMA journal_size_limit = \(Self.walSizeLimit)")
        }
        do {
            pool =
                isReadOnly
                ? try Self.openReadOnlyPool(path: path, configuration: configuration) : try Self.openPool(path: path, configuration: configuration)
        } catch {
            throw PersistenceError(
                .cannotOpen, "cannot open the SQLite database at \(path)\(isReadOnly ? " (read-only)" : "")", database: path, underlying: error)
        }
    }

    /// A read-only file without a WAL to read is opened `immutable` (see SQLite's URI
    /// filenames): SQLite then neither locks it nor creates `-wal` and `-shm` files beside it,
    /// which would be left behind read-only too. With a WAL (a copy taken mid-write), or where
    /// SQLite reads no URIs, it is opened as usual, read-only.
    private static func openReadOnlyPool(path: String, configuration: Configuration) throws -> DatabasePool {
        let wal = (try? FileManager.default.attributesOfItem(atPath: path + "-wal"))?[.size] as? NSNumber
        if wal == nil || wal?.intValue == 0,
            let encoded = path.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "?#%")))
        {
            if let pool = try? DatabasePool(path: "file:\(encoded)?immutable=1", configuration: configuration) { return pool }
        }
        return try DatabasePool(path: path, configuration: configuration)
    }

    /// The most bytes the WAL file keeps after a checkpoint.
    public static let walSizeLimit = 1 << 20

    /// Whether `path` is an existing file that must be opened read-only.
    static func isReadOnlyFile(_ path: String) -> Bool {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue
        else { return false }
        return mode & 0o222 == 0 || !FileManager.default.isWritableFile(atPath: path)
    }

    /// Checkpoints the WAL into the database file and truncates it, so that no large `-wal`
    /// file stays beside the database however the process ends. Each `wf` command ends with it.
    ///
    /// The connections themselves close when the store is released: GRDB then closes the
    /// readers before the writer, and the writer, closing last, removes the `-wal` and `-shm`
    /// files. (`DatabasePool.close()` closes the writer first, which leaves them behind.)
    public func close() async {
        guard !isReadOnly else { return }
        do {
            try await pool.writeWithoutTransaction { db in
                // Another process (a worker) may be reading: try briefly, never wait for it.
                try db.execute(sql: "PRAGMA busy_timeout = 200")
                _ = try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(TRUNCATE)")
                try db.execute(sql: "PRAGMA busy_timeout = 30000")
            }
        } catch {
            // Harmless: the WAL is checkpointed later by SQLite itself; nothing is lost.
            Logger(label: "wf.sqlite").debug("WAL checkpoint skipped", metadata: ["error": "\(error)", "database": "\(path)"])
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
