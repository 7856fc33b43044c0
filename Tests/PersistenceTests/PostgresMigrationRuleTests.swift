import Foundation
import Testing
import WorkflowTestKit

@testable import Persistence

/// On PostgreSQL only `wf db migrate` changes the schema; every other command checks it
/// and refuses a database behind or ahead of the binary, naming both versions.
@Suite(
    "PostgreSQL migration rule", .storeSlots, .tags(.postgres),
    .enabled(if: StoreKind.postgresURL != nil, "WF_TEST_POSTGRES_URL is not set: PostgreSQL is not available"))
struct PostgresMigrationRuleTests {
    static var latest: String {
        get throws { try Migration.bundled(dialect: "postgres").map(\.version).max() ?? "?" }
    }

    @Test func aDatabaseBehindTheBinaryIsRefusedNamingBothVersions() async throws {
        try await withScratchStore { store in
            let behind = try await #require(throws: PersistenceError.self) { try await store.requireMigrated() }
            #expect(behind.code == .notMigrated)
            let latest = try Self.latest
            #expect(behind.message.contains("is at migration none, this wf needs \(latest)"), "\(behind.message)")
            #expect(behind.message.contains("run `wf db migrate`"))
            try await store.migrate()
            try await store.requireMigrated()
        }
    }

    @Test func aDatabaseMigratedByANewerWfIsRefusedNamingBothVersions() async throws {
        try await withScratchStore { store in
            try await store.migrate()
            try await store.transaction { tx in
                try await tx.simple("INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ('9999', 'future', 'x', now())")
            }
            let ahead = try await #require(throws: PersistenceError.self) { try await store.requireMigrated() }
            let latest = try Self.latest
            #expect(ahead.message.contains("is at migration 9999, newer than this wf knows (it needs \(latest))"), "\(ahead.message)")
            #expect(try await store.migrationStatus().last?.state == .unknown)
        }
    }
}
