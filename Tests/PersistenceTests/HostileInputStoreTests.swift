import Foundation
import Persistence
import Testing
import WorkflowEngine
import WorkflowTestKit

/// What the stores do with mistaken locations, read-only files and their WAL.
@Suite("Stores against hostile and mistaken input", .storeSlots)
struct HostileInputStoreTests {
    // MARK: - Locations

    @Test(arguments: [
        "postgress://wf:s3cret@db.example.net/orchestrator", "mysql://wf:s3cret@db.example.net/orchestrator", "sqlite://wf.sqlite",
        "file:///var/lib/wf/wf.sqlite", "pg://wf:s3cret@host/db", "https://wf:s3cret@host/db",
    ])
    func aURLOfAnotherSchemeIsRefusedNotTakenForAFileName(url: String) async throws {
        let error = await #expect(throws: PersistenceError.self) { try await Stores.open(url) }
        #expect(error?.code == .invalidLocation)
        let message = error?.description ?? ""
        #expect(message.contains("postgres://") && message.contains("postgresql://"), "\(message)")
        #expect(!message.contains("s3cret"), "\(message)")
        #expect(!FileManager.default.fileExists(atPath: String(url.prefix { $0 != ":" }) + ":"), "no file or directory was made")
    }

    @Test(arguments: [
        ("postgres://wf:s3cret@db/x", "postgres://wf:***@db/x"),
        ("mysql://wf:p@ss/w?rd#x@host:3306/db", "mysql://wf:***@host:3306/db"),
        ("postgres://wf@db/x", "postgres://wf@db/x"),
        ("postgres://db:5432/x", "postgres://db:5432/x"),
        ("/var/lib/wf/wf.sqlite", "/var/lib/wf/wf.sqlite"),
    ])
    func redactingHidesEveryPartOfThePassword(url: String, shown: String) {
        #expect(PostgresLocation.redacting(url) == shown)
    }

    @Test func schemesAreCaseInsensitiveAndPathsHaveNone() {
        #expect(PostgresLocation.isPostgres("POSTGRES://wf@db/x"))
        #expect(PostgresLocation.isPostgres("PostgreSQL://wf@db/x"))
        #expect(!PostgresLocation.isPostgres("postgress://wf@db/x"))
        #expect(PostgresLocation.urlScheme(of: "./data://wf.sqlite") == nil)
        #expect(PostgresLocation.urlScheme(of: "/tmp/wf.sqlite") == nil)
        #expect(PostgresLocation.urlScheme(of: "wf.sqlite") == nil)
        #expect(PostgresLocation.urlScheme(of: "mysql://x") == "mysql")
    }

    @Test(.tags(.postgres), .enabled(if: StoreKind.postgresURL != nil, "WF_TEST_POSTGRES_URL is not set: PostgreSQL is not available"))
    func bothPostgreSQLSchemesInAnyCaseOpenTheDatabase() async throws {
        let url = try #require(StoreKind.postgresURL)
        let rest = try #require(url.range(of: "://")).upperBound
        for scheme in ["postgresql", "POSTGRES", "PostgreSQL"] {
            let store = try await Stores.open(scheme + "://" + url[rest...])
            #expect(store.dialect == "postgres")
            #expect(!store.isReadOnly)
            await store.close()
        }
    }

    // MARK: - Read-only SQLite

    /// A migrated database with one process, copied into a fresh directory; the copy's mode
    /// lets nobody write it.
    private func readOnlyCopy(in directory: TemporaryDirectory) async throws -> (path: String, process: ProcessID) {
        let temporary = try await TemporaryStore(kind: .sqlite, workflows: [Fixtures.flow])
        let process = try await temporary.store.insert(Fixtures.process(status: .suspended)).processID
        await temporary.store.close()
        let copy = directory.url.appendingPathComponent("read-only.sqlite").path
        try FileManager.default.copyItem(atPath: temporary.location, toPath: copy)
        try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: copy)
        return (copy, process)
    }

    @Test(.tags(.sqlite))
    func aFileNobodyMayWriteIsOpenedReadOnlyReadAndNeverChanged() async throws {
        let directory = try TemporaryDirectory()
        let (path, process) = try await readOnlyCopy(in: directory)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))

        let store = try await Stores.open(path)
        #expect(store.isReadOnly, "mode 0444 is read-only for root too")
        #expect(try await store.migrationStatus().allSatisfy { $0.state == .applied })
        try await store.requireMigrated()
        #expect(try await store.process(process)?.status == .suspended)
        #expect(try await store.processes(ProcessFilter()).count == 1)

        let write = await #expect(throws: (any Error).self) { try await store.insert(Fixtures.process()) }
        let refusal = try #require(write.flatMap { store.readOnlyRefusal(for: $0) })
        #expect(refusal.code == .readOnly)
        #expect(refusal.description.hasPrefix("the database file \(path) is read-only"))
        #expect(store.readOnlyRefusal(for: PersistenceError(.queryFailed, "something else")) == nil)
        await store.close()

        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.url.path) == ["read-only.sqlite"], "no -wal or -shm")
    }

    @Test(.tags(.sqlite))
    func readOnlyOnRequestRefusesWritesToAWritableFile() async throws {
        let temporary = try await TemporaryStore(kind: .sqlite, workflows: [Fixtures.flow])
        let store = try SQLiteStore(path: temporary.location, readOnly: true)
        #expect(store.isReadOnly)
        let write = await #expect(throws: (any Error).self) { try await store.insert(Fixtures.process()) }
        #expect(write.flatMap { store.readOnlyRefusal(for: $0) } != nil)
        #expect(try await temporary.store.processes(ProcessFilter()).isEmpty)
        #expect(temporary.store.readOnlyRefusal(for: try #require(write)) == nil, "a writable store refuses nothing")
    }

    // MARK: - The WAL

    @Test(.tags(.sqlite))
    func closingCheckpointsTheWALAndLimitsItsSize() async throws {
        let temporary = try await TemporaryStore(kind: .sqlite, workflows: [Fixtures.flow])
        let store = try #require(temporary.sqlite)
        #expect(try await store.plainTexts("PRAGMA journal_size_limit") == [String(SQLiteStore.walSizeLimit)])
        for _ in 0..<200 {
            try await store.insert(Fixtures.process(state: ["padding": .string(String(repeating: "x", count: 2000))]))
        }
        let wal = temporary.location + "-wal"
        #expect(try walSize(wal) > 400_000, "the inserts went to the WAL")
        await store.close()
        #expect(try walSize(wal) == 0, "the WAL is checkpointed and truncated")
        #expect(try await store.processes(ProcessFilter(limit: 1000)).count == 200, "nothing was lost")
    }

    private func walSize(_ path: String) throws -> Int {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int ?? 0
    }
}
