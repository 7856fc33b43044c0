import Foundation
import Migrations
import WorkflowEngine

/// One numbered SQL file of `migrations/<dialect>/`.
public struct Migration: Sendable, Hashable {
    /// The number, zero-padded as in the file name: `0001`.
    public var version: String
    /// The file name without its number and extension: `engine`.
    public var name: String
    public var sql: String
    public var checksum: String { stableHash(sql) }

    /// Reads the dialect's files in version order. A file not named `NNNN_name.sql` is an error.
    public static func bundled(dialect: String) throws -> [Migration] {
        guard let directory = MigrationFiles.directory(for: dialect) else {
            throw PersistenceError(.migrationsMissing, "the \(dialect) migrations are missing from this build")
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".sql") }.sorted()
        var seen: Set<String> = []
        return try files.map { file in
            let stem = String(file.dropLast(4))
            let parts = stem.split(separator: "_", maxSplits: 1)
            guard parts.count == 2, parts[0].count == 4, parts[0].allSatisfy(\.isNumber) else {
                throw PersistenceError(.migrationsMissing, "migration file \(file) is not named NNNN_name.sql")
            }
            guard seen.insert(String(parts[0])).inserted else {
                throw PersistenceError(.migrationsMissing, "two migration files share the number \(parts[0])")
            }
            let sql = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            return Migration(version: String(parts[0]), name: String(parts[1]), sql: sql)
        }
    }
}

/// What `wf db status` reports for one migration.
public struct MigrationStatus: Sendable, Hashable {
    public enum State: String, Sendable {
        case applied
        case pending
        /// Applied, but the file changed since: never re-run; add a new file instead.
        case modified
        /// Applied by a newer `wf`: this build does not know the file.
        case unknown
    }

    public var version: String
    public var name: String
    public var state: State
    public var appliedAt: Date?
}
