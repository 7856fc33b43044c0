import Foundation
import PostgresNIO
import WorkflowEngine

extension PostgresStore: RefusalLog {
    public func recordRefusal(_ refusal: AccessRefusal) async throws {
        _ = try await committed(
            """
            INSERT INTO access_refusals (at, user_name, method, path, status, reason)
            VALUES (\(refusal.at.milliseconds), \(refusal.user), \(refusal.method), \(refusal.path), \(refusal.status), \(refusal.reason))
            """)
    }
}
