import Foundation
import PostgresNIO
import WorkflowEngine

extension PostgresStore: ProcessCounting {
    public func processCounts() async throws -> [ProcessStatus: Int] {
        var counts: [ProcessStatus: Int] = [:]
        // Kept by triggers in shards as processes change (migration 0012), not counted each time.
        for row in try await rows("SELECT status, sum(n)::bigint AS n FROM process_status_counts GROUP BY status HAVING sum(n) > 0") {
            if let status = ProcessStatus(rawValue: try row.string("status")) { counts[status] = Int(try row["n"].decode(Int64.self)) }
        }
        return counts
    }
}
