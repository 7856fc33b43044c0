import Foundation
import Persistence
import Testing
import WorkflowEngine
import WorkflowTestKit

@Suite("SQLite migrations", .storeSlots, .tags(.sqlite))
struct SQLiteMigrationTests {
    @Test func migrateAppliesEveryMigrationOnceAndNothingTheSecondTime() async throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: directory.databasePath)
        let bundled = try Migration.bundled(dialect: "sqlite")
        #expect(!bundled.isEmpty)

        let first = try await store.migrate()
        let second = try await store.migrate()

        #expect(first.map(\.version) == bundled.map(\.version))
        #expect(second.isEmpty)
        #expect(try await SQLiteStore(path: directory.databasePath).migrate().isEmpty, "another connection sees them applied too")
    }

    @Test func migrationStatusShowsPendingBeforeAndAppliedAfter() async throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: directory.databasePath)
        let bundled = try Migration.bundled(dialect: "sqlite")

        let before = try await store.migrationStatus()
        #expect(before.map(\.version) == bundled.map(\.version))
        #expect(before.allSatisfy { $0.state == .pending && $0.appliedAt == nil })
        let refusal = try await #require(throws: PersistenceError.self) { try await store.requireMigrated() }
        #expect(refusal.code == .notMigrated)
        #expect(refusal.message.contains("wf db migrate"))

        try await store.migrate()

        let after = try await store.migrationStatus()
        #expect(after.map(\.version) == bundled.map(\.version))
        #expect(after.map(\.name) == bundled.map(\.name))
        #expect(after.allSatisfy { $0.state == .applied && $0.appliedAt != nil })
        try await store.requireMigrated()
    }

    @Test(arguments: 1...20)
    func concurrentMigrationsOnAFreshFileBothSucceedAndApplyEachOnce(round: Int) async throws {
        let directory = try TemporaryDirectory()
        let bundled = try Migration.bundled(dialect: "sqlite")

        let applied = try await withThrowingTaskGroup(of: [Migration].self) { group in
            for _ in 0..<2 {
                group.addTask { try await SQLiteStore(path: directory.databasePath).migrate() }
            }
            return try await group.reduce(into: [Migration]()) { $0 += $1 }
        }

        #expect(applied.map(\.version).sorted() == bundled.map(\.version), "each migration applied by exactly one of them")
        let store = try SQLiteStore(path: directory.databasePath)
        #expect(try await store.migrationStatus().allSatisfy { $0.state == .applied })
        try await store.syncWorkflows([Fixtures.flow], now: Fixtures.t0)
        #expect(try await store.workflows().map(\.name) == [Fixtures.flow.name], "the schema works")
    }
}

extension Tag {
    @Tag static var sqlite: Self
}
