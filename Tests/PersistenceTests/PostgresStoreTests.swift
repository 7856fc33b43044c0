import Foundation
import Persistence
import Synchronization
import Testing
import WorkflowEngine
import WorkflowTestKit

/// What needs no server: reading `WF_DATABASE` URLs, and failing fast where nothing listens.
@Suite("PostgreSQL without a server", .storeSlots, .tags(.postgres))
struct PostgresLocationTests {
    @Test func urlWithEveryPartReadsBack() throws {
        let location = try PostgresLocation(
            "postgres://alice:s%40cr%3At%2Fpw@db.example.com:6543/orchestrator?schema=wf_prod&pool=25&query_timeout=45&sslmode=require")

        #expect(location.user == "alice")
        #expect(location.password == "s@cr:t/pw", "%-escapes in the password are decoded")
        #expect(location.host == "db.example.com")
        #expect(location.port == 6543)
        #expect(location.database == "orchestrator")
        #expect(location.schema == "wf_prod")
        #expect(location.poolSize == 25)
        #expect(location.queryTimeout == .seconds(45))
        #expect(location.tls == .require)
    }

    @Test func urlWithoutOptionalPartsTakesTheDefaults() throws {
        let location = try PostgresLocation("postgresql://wf@db.example.com/wf")

        #expect(location.user == "wf")
        #expect(location.password == nil)
        #expect(location.port == 5432)
        #expect(location.database == "wf")
        #expect(location.schema == nil)
        #expect(location.poolSize == 10)
        #expect(location.tls == .prefer, "a remote host tries TLS")
    }

    @Test(arguments: ["127.0.0.1", "localhost"])
    func loopbackHostGoesWithoutTLSUnlessAsked(host: String) throws {
        #expect(try PostgresLocation("postgres://wf@\(host)/wf").tls == .disable)
        #expect(try PostgresLocation("postgres://wf@\(host)/wf?sslmode=prefer").tls == .prefer)
    }

    @Test func percentSignInThePasswordIsDecodedOnlyOnce() throws {
        // The password is `50%41off`; a URL spells its % as %25.
        let location = try PostgresLocation("postgres://alice:50%2541off@db.example.com/wf%2541")

        #expect(location.password == "50%41off")
        #expect(location.database == "wf%41")
    }

    @Test func ipv6HostIsReadWithoutItsBrackets() throws {
        let location = try PostgresLocation("postgres://wf@[::1]:5433/wf")

        #expect(location.host == "::1", "the driver looks \"[::1]\" up as a host name and finds none")
        #expect(location.tls == .disable, "::1 is the loopback address")
        #expect(location.description == "postgres://wf@[::1]:5433/wf")
    }

    @Test func descriptionNeverShowsThePassword() throws {
        let location = try PostgresLocation("postgres://alice:hunter2@db.example.com/wf?schema=wf_a&pool=3")

        #expect(location.description == "postgres://alice@db.example.com:5432/wf?schema=wf_a")
        #expect(!"\(location)".contains("hunter2"))
    }

    @Test(arguments: [
        ("mysql://alice:hunter2@db.example.com/wf", "expected postgres://user:password@host:port/database"),
        ("postgres://alice:hunter2@/wf", "it names no host"),
        ("postgres://db.example.com/wf", "it names no user"),
        ("postgres://alice:hunter2@db.example.com", "it names no database"),
        ("postgres://alice:hunter2@db.example.com/", "it names no database"),
        ("postgres://alice:hunter2@db.example.com/wf/extra", "it names no database"),
        ("postgres://alice:hunter2@db.example.com/wf?schema=Prod-1", "schema 'Prod-1' must be lowercase letters, digits and _"),
        ("postgres://alice:hunter2@db.example.com/wf?pool=0", "pool '0' must be a number from 1 to 200"),
        ("postgres://alice:hunter2@db.example.com/wf?pool=201", "pool '201' must be a number from 1 to 200"),
        ("postgres://alice:hunter2@db.example.com/wf?pool=many", "pool 'many' must be a number from 1 to 200"),
        ("postgres://alice:hunter2@db.example.com/wf?sslmode=verify-full", "sslmode 'verify-full' must be disable, prefer or require"),
        ("postgres://alice:hunter2@db.example.com/wf?query_timeout=0", "query_timeout '0' must be a number of seconds from 1 to 3600"),
        ("postgres://alice:hunter2@db.example.com/wf?timeout=5", "unknown parameter 'timeout' (known: schema, pool, query_timeout, sslmode)"),
    ])
    func unusableURLIsRefusedNamingWhatIsWrong(url: String, problem: String) throws {
        let error = try #require(throws: PersistenceError.self) { try PostgresLocation(url) }

        #expect(error.code == .invalidLocation)
        #expect(error.description.contains(problem), "\(error)")
        #expect(!error.description.contains("hunter2"), "the password is never shown: \(error)")
    }

    @Test func closedPortFailsFastNamingTheServer() async throws {
        // Port 1 is privileged and unused: nothing answers there.
        let location = try PostgresLocation("postgres://wf:secret-7f3a@127.0.0.1:1/wf_test")
        let clock = ContinuousClock()
        let started = clock.now

        let error = try await #require(throws: PersistenceError.self) { try await PostgresStore.connect(location) }

        // Only tells the plain connection's answer from the pool's ~68 s breaker: CI's loaded
        // machine once took 20.2 s to get here (2 cores, every suite starting at once).
        #expect(clock.now - started < .seconds(50), "well under the driver's ~68 s pool breaker")
        #expect(error.code == .cannotOpen)
        #expect(error.description.contains("127.0.0.1:1/wf_test"), "\(error)")
        #expect(error.description.localizedCaseInsensitiveContains("connection refused"), "\(error)")
        #expect(!error.description.contains("Generic description"), "postgres-nio's generic text says nothing: \(error)")
        #expect(!error.description.contains("secret-7f3a"))
    }

    @Test func continuousIntegrationHasADatabase() {
        // A missing database is a skip on a workstation but a failure under CI.
        let isCI = ProcessInfo.processInfo.environment["CI"] == "true"
        #expect(!isCI || StoreKind.postgresURL != nil, "CI=true but WF_TEST_POSTGRES_URL is not set: the PostgreSQL suites were skipped")
    }
}

/// The PostgreSQL store against a real server (`WF_TEST_POSTGRES_URL`), each test in a
/// schema of its own.
@Suite(
    "PostgreSQL store", .storeSlots, .tags(.postgres),
    .enabled(if: StoreKind.postgresURL != nil, "WF_TEST_POSTGRES_URL is not set: PostgreSQL is not available"))
struct PostgresStoreTests {
    // MARK: - Connecting

    @Test func wrongPasswordFailsFastWithTheServersMessage() async throws {
        var location = try PostgresLocation(try StoreKind.scratchLocation())
        location.password = "not-the-password-7f3a"
        let clock = ContinuousClock()
        let started = clock.now

        let error = try await #require(throws: PersistenceError.self) { try await PostgresStore.connect(location) }

        // Only tells the plain connection's answer from the pool's ~68 s breaker: CI's loaded
        // machine once took 20.2 s to get here (2 cores, every suite starting at once).
        #expect(clock.now - started < .seconds(50), "well under the driver's ~68 s pool breaker")
        #expect(error.code == .cannotOpen)
        #expect(error.description.contains("\(location.host):\(location.port)"), "names the server: \(error)")
        #expect(error.description.contains("password authentication failed for user \"\(location.user)\""), "\(error)")
        #expect(error.description.contains("28P01"), "\(error)")
        #expect(!error.description.contains("Generic description"), "postgres-nio's generic text says nothing: \(error)")
        #expect(!error.description.contains("not-the-password-7f3a"))
    }

    @Test func unknownDatabaseFailsWithTheServersMessage() async throws {
        var location = try PostgresLocation(try StoreKind.scratchLocation())
        location.database = "wf_no_such_database"

        let error = try await #require(throws: PersistenceError.self) { try await PostgresStore.connect(location) }

        #expect(error.code == .cannotOpen)
        #expect(error.description.contains("database \"wf_no_such_database\" does not exist"), "\(error)")
    }

    // MARK: - Process counts

    @Test func processCountsFoldTheRowsOfEndedConnectionsAndLoseNothing() async throws {
        try await withScratchStore { store in
            _ = try await store.migrate()
            try await store.syncWorkflows([Fixtures.flow], now: Date())
            // Another store on the same schema writes through connections of its own, then closes.
            let other = try await PostgresStore.connect(store.location)
            for status in [ProcessStatus.created, .created, .suspended] { _ = try await other.insert(Fixtures.process(status: status)) }
            await other.close()
            try await waitUntil("the closed store's connections to end") {
                try await store.plainTexts(
                    "SELECT count(*) FROM pg_stat_activity WHERE pid IN (SELECT shard FROM process_status_counts WHERE shard <> 0)") == ["0"]
            }
            #expect(try await store.plainTexts("SELECT count(*) FROM process_status_counts WHERE shard <> 0") != ["0"])

            #expect(try await store.processCounts() == [.created: 2, .suspended: 1])
            #expect(try await store.plainTexts("SELECT count(*) FROM process_status_counts WHERE shard <> 0") == ["0"], "folded into shard 0")
            _ = try await store.insert(Fixtures.process(status: .created))
            #expect(try await store.processCounts() == [.created: 3, .suspended: 1])
        }
    }

    // MARK: - Migrations

    @Test func migrateAppliesEveryMigrationOnceAndNothingTheSecondTime() async throws {
        try await withScratchStore { store in
            let bundled = try Migration.bundled(dialect: "postgres").map(\.version)
            let before = try await store.migrationStatus()
            #expect(before.map(\.version) == bundled)
            #expect(before.allSatisfy { $0.state == .pending && $0.appliedAt == nil })
            let refusal = try await #require(throws: PersistenceError.self) { try await store.requireMigrated() }
            #expect(refusal.code == .notMigrated)
            #expect(refusal.message.contains("wf db migrate"))

            let first = try await store.migrate()
            let second = try await store.migrate()

            #expect(first.map(\.version) == bundled)
            #expect(second.isEmpty)
            let after = try await store.migrationStatus()
            #expect(after.map(\.version) == bundled)
            #expect(after.allSatisfy { $0.state == .applied && $0.appliedAt != nil })
            try await store.requireMigrated()
            #expect(try await store.plainTexts("SELECT version FROM schema_migrations").compactMap { $0 }.sorted() == bundled)
        }
    }

    @Test(arguments: 1...5)
    func fourStoresMigratingAtOnceApplyEachMigrationOnce(round: Int) async throws {
        let location = try StoreKind.scratchLocation()
        var opened: [PostgresStore] = []
        for _ in 0..<4 { opened.append(try await PostgresStore.connect(location)) }
        let stores = opened
        defer {
            Task {
                try? await stores[0].dropSchema()
                for store in stores { await store.close() }
            }
        }
        let bundled = try Migration.bundled(dialect: "postgres").map(\.version)

        let applied = try await withThrowingTaskGroup(of: [Migration].self) { group in
            for store in stores {
                group.addTask { try await store.migrate() }
            }
            return try await group.reduce(into: [Migration]()) { $0 += $1 }
        }

        #expect(applied.map(\.version).sorted() == bundled, "each migration applied by exactly one of them")
        #expect(try await stores[0].plainTexts("SELECT version FROM schema_migrations").compactMap { $0 }.sorted() == bundled)
        for store in stores {
            #expect(try await store.migrationStatus().allSatisfy { $0.state == .applied })
        }
        try await stores[3].syncWorkflows([Fixtures.flow], now: Fixtures.t0)
        #expect(try await stores[1].workflows().map(\.name) == [Fixtures.flow.name], "the schema works")
    }

    @Test func dropSchemaRemovesTheSchemaWithEverythingInIt() async throws {
        try await withScratchStore { store in
            let schema = try #require(store.location.schema)
            try await store.migrate()
            let schemas = "SELECT count(*) FROM information_schema.schemata WHERE schema_name = '\(schema)'"
            let tables = "SELECT count(*) FROM information_schema.tables WHERE table_schema = '\(schema)'"
            #expect(try await store.plainTexts(schemas) == ["1"])
            #expect(try await store.plainTexts(tables) != ["0"])

            try await store.dropSchema()

            #expect(try await store.plainTexts(schemas) == ["0"])
            #expect(try await store.plainTexts(tables) == ["0"])
            #expect(try await store.migrationStatus().allSatisfy { $0.state == .pending }, "as if never migrated")
        }
    }

    // MARK: - Waking workers

    @Test func workNotificationsYieldWhenWorkIsEnqueuedOrHandedBack() async throws {
        let temporary = try await TemporaryStore(kind: .postgres, workflows: [Fixtures.flow])
        let store = try #require(temporary.postgres)
        let anyone: @Sendable () -> Bool = { true }
        let notifications = try #require(store.workNotifications(hasRoom: anyone))
        let received = Counter()

        try await withThrowingTaskGroup(of: Void.self) { group in
            // The LISTEN loop is a Service of its own (`wf worker` runs it in its group).
            group.addTask { try await store.listener.run() }
            group.addTask {
                for await _ in notifications { received.increment() }
            }
            try await waitUntil("the listener to start") { received.value >= 1 }

            let process = try await store.insert(Fixtures.process(status: .created))
            try await waitUntil("a NOTIFY for the created process") { received.value >= 2 }

            let claimed = try await store.claimRunnable(owner: "worker-a", now: Fixtures.t0, leaseExpiresAt: Fixtures.at(30), limit: 1)
            #expect(claimed.map(\.process.processID) == [process.processID])
            #expect(try await store.releaseLease(process.processID, owner: "worker-a"))
            try await waitUntil("a NOTIFY for the released lease") { received.value >= 3 }

            group.cancelAll()
        }
    }

    @Test func workerThatPollsOnceAMinuteIsWokenByNotify() async throws {
        let temporary = try await TemporaryStore(kind: .postgres, workflows: [Fixtures.flow])
        let store = try #require(temporary.postgres)
        let schema = try #require(store.location.schema)
        let quiet = try Engine.testing(store: store, workflows: [Fixtures.flow])
        let engine = Engine(
            store: store, registry: quiet.registry, configuration: EngineConfiguration(runnerID: "worker-a"), environment: .live, logger: quiet.logger
        )
        let worker = Worker(
            engine: engine, store: store,
            configuration: WorkerConfiguration(concurrency: 2, pollInterval: .seconds(60), heartbeatInterval: .seconds(60)))

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await worker.run() }
            let listening = "SELECT count(*) FROM pg_stat_activity WHERE query = 'LISTEN \"wf_work_\(schema)\";'"
            try await waitUntil("the worker to register and listen") {
                guard try await store.workers().map(\.workerID) == ["worker-a"] else { return false }
                return try await store.plainTexts(listening) == ["1"]
            }
            // Let the one-shot wake-ups of start-up pass; after that only a NOTIFY or the
            // minute's poll can make the worker look. (Too short a pause could only let the test
            // pass for the wrong reason, never fail it.)
            try await Task.sleep(for: .milliseconds(500))

            let id = try await engine.enqueue(Fixtures.flow.name, user: "alice")
            try await waitUntil("the enqueued process to complete", timeout: .seconds(30)) {
                try await store.process(id)?.status == .completed
            }

            worker.stop()
            try await group.waitForAll()
        }
        #expect(worker.outcomes == [.completed: 1])
    }
}

/// A store in a fresh schema of the test database, not migrated; the schema is dropped and
/// the store closed after `body`.
/// A PostgreSQL store in a fresh schema of its own, dropped afterwards whatever happens.
func withScratchStore(_ body: (PostgresStore) async throws -> Void) async throws {
    let store = try await PostgresStore.connect(try StoreKind.scratchLocation())
    do {
        try await body(store)
    } catch {
        try? await store.dropSchema()
        await store.close()
        throw error
    }
    try await store.dropSchema()
    await store.close()
}

/// Polls `condition` until it holds. The timeout only ends a test that hangs: nothing is
/// asserted on how long the wait took.
private func waitUntil(_ what: String, timeout: Duration = .seconds(60), _ condition: () async throws -> Bool) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    Issue.record("timed out after \(timeout) waiting for \(what)")
    throw CancellationError()
}

/// Counts events from any task.
private final class Counter: Sendable {
    private let count = Mutex(0)

    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}

extension Tag {
    @Tag static var postgres: Self
}
