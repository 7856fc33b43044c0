import Foundation
import PostgresNIO
import WorkflowEngine

extension PostgresStore: ProcessCounting {
    public func processCounts() async throws -> [ProcessStatus: Int] {
        // Kept by triggers as processes change, in rows of each connection (migration 0012),
        // not counted each time. The rows of connections that have ended are folded into
        // shard 0 first, so the table stays as small as the live connections; what moves is
        // added, never dropped, so a pid reused meanwhile loses nothing either.
        let rows = try await transaction { tx in
            try await tx.rows(
                """
                WITH ended AS (
                    DELETE FROM process_status_counts
                    WHERE shard <> 0 AND shard NOT IN (SELECT pid FROM pg_stat_activity WHERE pid IS NOT NULL)
                    RETURNING status, n
                )
                INSERT INTO process_status_counts AS c (status, shard, n)
                SELECT status, 0, sum(n) FROM ended GROUP BY status ORDER BY status
                ON CONFLICT (status, shard) DO UPDATE SET n = c.n + excluded.n
                """)
            return try await tx.rows("SELECT status, sum(n)::bigint AS n FROM process_status_counts GROUP BY status HAVING sum(n) > 0")
        }
        var counts: [ProcessStatus: Int] = [:]
        for row in rows {
            if let status = ProcessStatus(rawValue: try row.string("status")) { counts[status] = Int(try row["n"].decode(Int64.self)) }
        }
        return counts
    }
}
