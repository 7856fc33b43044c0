import Foundation
import GRDB
import WorkflowEngine

/// How many processes are in each status: for `/metrics`.
public protocol ProcessCounting: Sendable {
    func processCounts() async throws -> [ProcessStatus: Int]
}

extension SQLiteStore: ProcessCounting {
    public func processCounts() async throws -> [ProcessStatus: Int] {
        try await pool.read { db in
            var counts: [ProcessStatus: Int] = [:]
            for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT last_status AS status, count(*) AS n FROM processes GROUP BY last_status")) {
                let status: String = row["status"]
                if let known = ProcessStatus(rawValue: status) { counts[known] = row["n"] }
            }
            return counts
        }
    }
}
