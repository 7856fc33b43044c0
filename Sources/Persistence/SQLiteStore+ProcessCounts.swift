import Foundation
import GRDB
import WorkflowEngine

/// How many processes are in each status: for `/metrics` and the web UI's home page.
public protocol ProcessCounting: Sendable {
    func processCounts() async throws -> [ProcessStatus: Int]
}

extension SQLiteStore: ProcessCounting {
    public func processCounts() async throws -> [ProcessStatus: Int] {
        try await pool.read { db in
            var counts: [ProcessStatus: Int] = [:]
            // Kept by triggers as processes change (migration 0012), not counted each time.
            for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT status, n FROM process_status_counts WHERE n > 0")) {
                let status: String = row["status"]
                if let known = ProcessStatus(rawValue: status) { counts[known] = row["n"] }
            }
            return counts
        }
    }
}
