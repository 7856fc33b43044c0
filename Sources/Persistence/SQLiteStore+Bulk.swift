import Foundation
import GRDB
import WorkflowEngine

/// The bulk path: a batch in one write transaction, each table through one prepared
/// statement, instead of a transaction and a read-back per change.
extension SQLiteStore: BulkLoading {
    public func bulkLoad(_ batch: [BulkSubscription]) async throws -> BulkLoadCounts {
        try await pool.write { db in
            let rows = try BulkRows(batch, catalog: try Self.bulkCatalog(db), instanceIDsAreUUIDs: false)
            for table in rows.tables where !table.rows.isEmpty {
                let placeholders = Array(repeating: "?", count: table.columns.count).joined(separator: ", ")
                let statement = try db.cachedStatement(
                    sql: "INSERT INTO \(table.name) (\(table.columns.joined(separator: ", "))) VALUES (\(placeholders))")
                for row in table.rows {
                    statement.setUncheckedArguments(StatementArguments(row.map(Self.databaseValue)))
                    try statement.execute()
                }
            }
            return rows.counts
        }
    }

    /// Nothing: the planner works without statistics here, as it does for every `wf`.
    public func finishBulkLoad() async throws {}

    /// A cell as this store keeps it: times as `SQLiteTime` text, booleans as 0 and 1.
    private static func databaseValue(_ cell: BulkRows.Cell) -> DatabaseValue {
        switch cell {
        case .text(let text): text.databaseValue
        case .int(let number): number.databaseValue
        case .bool(let flag): flag.databaseValue
        case .time(let time): SQLiteTime.text(time).databaseValue
        case .null: .null
        }
    }

    private static func bulkCatalog(_ db: Database) throws -> BulkCatalog {
        func ids(_ sql: String) throws -> [String: String] {
            Dictionary(try Row.fetchAll(db, sql: sql).map { ($0[0] as String, $0[1] as String) }, uniquingKeysWith: { first, _ in first })
        }
        return BulkCatalog(
            products: try ids("SELECT name, product_id FROM products"), blocks: try ids("SELECT name, product_block_id FROM product_blocks"),
            resourceTypes: try ids("SELECT resource_type, resource_type_id FROM resource_types"),
            workflows: try ids("SELECT name, workflow_id FROM workflows WHERE deleted_at IS NULL"))
    }
}
