import Foundation
import GRDB

/// NetBoxLite's state: one SQLite file, migrated on open and seeded once, on first start.
/// Every request runs in one transaction: reads in a read, everything else in a write, so a
/// request that fails half-way changes nothing.
final class LabStore: Sendable {
    /// The SQLite file.
    let path: String
    private let pool: DatabasePool
    /// A directory this store created for a temporary file, removed with the store.
    private let temporaryDirectory: URL?

    private init(path: String, pool: DatabasePool, temporaryDirectory: URL?) {
        self.path = path
        self.pool = pool
        self.temporaryDirectory = temporaryDirectory
    }

    deinit {
        guard let temporaryDirectory else { return }
        do {
            try FileManager.default.removeItem(at: temporaryDirectory)
        } catch {
            // Nothing to hand the error to from a deinit: say it where an operator looks.
            FileHandle.standardError.write(Data("NetBoxLite: cannot remove \(temporaryDirectory.path): \(error)\n".utf8))
        }
    }

    /// Opens (creating if needed) the state at `path`, or in a new temporary file when `path`
    /// is nil; migrates it and, if it has never been seeded, loads `seed`.
    static func open(path: String?, seed: URL?, choices: Choices) async throws -> LabStore {
        var temporaryDirectory: URL?
        let filePath: String
        if let path {
            filePath = path
        } else {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("netboxlite-\(UUID().uuidString)")
            temporaryDirectory = directory
            filePath = directory.appendingPathComponent("netboxlite.sqlite").path
        }
        let store: LabStore
        do {
            let directory = (filePath as NSString).deletingLastPathComponent
            if !directory.isEmpty {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            }
            var configuration = Configuration()
            configuration.label = "netboxlite"
            configuration.busyMode = .timeout(10)
            let pool = try DatabasePool(path: filePath, configuration: configuration)
            store = LabStore(path: filePath, pool: pool, temporaryDirectory: temporaryDirectory)
            try LabSchema.migrator.migrate(pool)
        } catch {
            throw NetBoxLiteError(
                .storeFailed, "cannot open the NetBoxLite state at \(filePath): check the path and its permissions", underlying: error)
        }
        try await store.seedIfNeeded(seed: seed, choices: choices)
        return store
    }

    private func seedIfNeeded(seed url: URL?, choices: Choices) async throws {
        let seeded = try await pool.read { db in
            try String.fetchOne(db, sql: "SELECT value FROM lab_metadata WHERE key = 'seeded_at'") != nil
        }
        guard !seeded else { return }
        let seed = try LabSeed.load(from: url)
        try await pool.write { db in
            try LabSeeder(seed: seed, choices: choices, now: Timestamp.now()).insert(into: db)
            try db.execute(sql: "INSERT INTO lab_metadata (key, value) VALUES ('seeded_at', ?)", arguments: [Timestamp.now()])
        }
    }

    /// Runs `body` on a snapshot of the lab inside a read transaction.
    func read<T: Sendable>(_ body: @escaping @Sendable (Lab) throws -> T) async throws -> T {
        try await pool.read { db in try body(try Lab(db)) }
    }

    /// Runs `body` on a snapshot of the lab inside a write transaction; a thrown error rolls
    /// every change back.
    func write<T: Sendable>(_ body: @escaping @Sendable (inout Lab) throws -> T) async throws -> T {
        try await pool.write { db in
            var lab = try Lab(db)
            return try body(&lab)
        }
    }
}
