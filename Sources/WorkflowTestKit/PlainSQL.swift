import Foundation

@testable import Persistence

extension WorkflowStore {
    /// A read-only query written by hand, its first column as text, NULL as nil: how tests
    /// check the relational tables with plain SQL. The stores keep this out of
    /// `WorkflowStore`, so production code cannot run arbitrary SQL through it.
    public func plainTexts(_ sql: String) async throws -> [String?] {
        switch self {
        case let store as SQLiteStore: try await store.plainTexts(sql)
        case let store as PostgresStore: try await store.plainTexts(sql)
        default: throw PersistenceError(.invalidLocation, "plain SQL needs a SQLite or PostgreSQL store, not \(type(of: self))")
        }
    }
}
