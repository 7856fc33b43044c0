import Foundation
import PostgresNIO
import WorkflowEngine

extension PostgresStore: ProcessCounting {
    public func processCounts() async throws -> [ProcessStatus: Int] {
        var counts: [ProcessStatus: Int] = [:]
        for row in try await rows("SELECT last_status AS status, count(*) AS n FROM processes GROUP BY last_status") {
            if let status = ProcessStatus(rawValue: try row.string("status")) { counts[status] = Int(try row["n"].decode(Int64.self)) }
        }
        return counts
    }
}
