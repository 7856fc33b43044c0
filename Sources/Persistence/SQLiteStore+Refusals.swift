import Foundation
import GRDB
import WorkflowEngine

extension SQLiteStore: RefusalLog {
    public func recordRefusal(_ refusal: AccessRefusal) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "INSERT INTO access_refusals (at, user_name, method, path, status, reason) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [SQLiteTime.text(refusal.at), refusal.user, refusal.method, refusal.path, refusal.status, refusal.reason])
        }
    }
}
