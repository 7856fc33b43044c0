import Foundation
import PostgresNIO
import WorkflowEngine

/// The bulk path: a batch in one transaction, each table streamed with `COPY … FROM STDIN`
/// (text format) instead of one statement, and one round trip, per row.
extension PostgresStore: BulkLoading {
    public func bulkLoad(_ batch: [BulkSubscription]) async throws -> BulkLoadCounts {
        try await unboundedTransaction { tx in
            let rows = try BulkRows(batch, catalog: try await Self.bulkCatalog(tx), instanceIDsAreUUIDs: true)
            for table in rows.tables where !table.rows.isEmpty {
                tx.counters.statement()
                try await tx.connection.copyFrom(table: table.name, columns: table.columns, logger: tx.logger) { writer in
                    var buffer = ByteBuffer()
                    buffer.reserveCapacity(Self.copyChunk + 64 * 1024)
                    for row in table.rows {
                        Self.appendCopyLine(row, to: &buffer)
                        if buffer.readableBytes >= Self.copyChunk {
                            try await writer.write(buffer)
                            buffer.clear()
                        }
                    }
                    if buffer.readableBytes > 0 { try await writer.write(buffer) }
                }
            }
            return rows.counts
        }
    }

    /// ANALYZE, which autovacuum would run within a minute or so of a load this size: the
    /// figures measured next should not depend on when it happens to.
    public func finishBulkLoad() async throws {
        try await rows("ANALYZE")
    }

    /// How many bytes are sent to the server at a time.
    private static let copyChunk = 1 << 20

    /// One row in COPY's text format: tab-separated, `\N` for NULL, backslash escapes.
    private static func appendCopyLine(_ row: [BulkRows.Cell], to buffer: inout ByteBuffer) {
        for (index, cell) in row.enumerated() {
            if index > 0 { buffer.writeInteger(UInt8(ascii: "\t")) }
            switch cell {
            case .text(let text): appendEscaped(text, to: &buffer)
            case .int(let number): buffer.writeString(String(number))
            case .bool(let flag): buffer.writeString(flag ? "t" : "f")
            // To the millisecond, as the store's own writes keep times.
            case .time(let time): buffer.writeString(UTCTimeText.text(time, separator: " ", zone: "+00"))
            case .null: buffer.writeString("\\N")
            }
        }
        buffer.writeInteger(UInt8(ascii: "\n"))
    }

    private static func appendEscaped(_ text: String, to buffer: inout ByteBuffer) {
        var text = text
        text.withUTF8 { bytes in
            guard bytes.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\n") || $0 == 13 }) else {
                buffer.writeBytes(bytes)
                return
            }
            for byte in bytes {
                switch byte {
                case UInt8(ascii: "\\"): buffer.writeString("\\\\")
                case UInt8(ascii: "\t"): buffer.writeString("\\t")
                case UInt8(ascii: "\n"): buffer.writeString("\\n")
                case 13: buffer.writeString("\\r")
                default: buffer.writeInteger(byte)
                }
            }
        }
    }

    private static func bulkCatalog(_ tx: PostgresTransaction) async throws -> BulkCatalog {
        func ids(_ query: PostgresQuery) async throws -> [String: String] {
            var ids: [String: String] = [:]
            for row in try await tx.rows(query) { ids[try row.string("name")] = try row.string("id") }
            return ids
        }
        return BulkCatalog(
            products: try await ids("SELECT name, product_id::text AS id FROM products"),
            blocks: try await ids("SELECT name, product_block_id::text AS id FROM product_blocks"),
            resourceTypes: try await ids("SELECT resource_type AS name, resource_type_id::text AS id FROM resource_types"),
            workflows: try await ids("SELECT name, workflow_id::text AS id FROM workflows WHERE deleted_at IS NULL"))
    }
}
