import Foundation
import Persistence
import Synchronization
import Testing
import WorkflowEngine

/// A migrated store in a place of its own, removed when released: a SQLite file in a fresh
/// temporary directory, or a fresh schema in the PostgreSQL database `WF_TEST_POSTGRES_URL`
/// names.
public final class TemporaryStore: Sendable {
    public let kind: StoreKind
    public let store: any WorkflowStore
    /// What `WF_DATABASE` would be to reach this store from a `wf` process.
    public let location: String
    /// The temporary directory (SQLite's file, NetBoxLite's state).
    public let directory: URL

    /// The SQLite store, for tests that look at SQLite's own rows; nil on PostgreSQL.
    public var sqlite: SQLiteStore? { store as? SQLiteStore }
    public var postgres: PostgresStore? { store as? PostgresStore }

    public init(kind: StoreKind = .default, workflows: [WorkflowDefinition] = []) async throws {
        self.kind = kind
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("wf-test-\(UUID().uuidString)")
        switch kind {
        case .sqlite:
            location = directory.appendingPathComponent("wf.sqlite").path
        case .postgres:
            // Without a server the case is named as skipped in the run's output, not dropped.
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            location = try StoreKind.scratchLocation()
        }
        store = try await Stores.open(location)
        try await store.migrate()
        try await store.syncWorkflows(workflows, now: Date())
    }

    /// A store that also holds the catalog of `products`. A workflow a product names but
    /// `workflows` lacks is registered as a stand-in, because the catalog sync requires it.
    public convenience init(
        kind: StoreKind = .default, workflows: [WorkflowDefinition] = [], products: [ProductDefinition], now: Date = Date()
    ) async throws {
        try await self.init(kind: kind, workflows: workflows + Self.standIns(for: products, except: workflows))
        _ = try await store.syncProducts(products, now: now)
    }

    /// One-step workflows named as the workflows `products` name, but for those in `workflows`.
    public static func standIns(for products: [ProductDefinition], except workflows: [WorkflowDefinition] = []) -> [WorkflowDefinition] {
        Set(products.flatMap(\.workflows)).subtracting(workflows.map(\.name)).sorted().map { name in
            WorkflowDefinition(name: name, target: .modify, description: "stand-in for a workflow a product names", steps: StepList([done]))
        }
    }

    /// A second, independent store on the same data (its own connections), as another `wf`
    /// process would have.
    public func reopen() async throws -> any WorkflowStore {
        let store = try await Stores.open(location)
        reopened.withLock { $0.append(store) }
        return store
    }

    /// Stores `reopen()` made, closed with this one (PostgreSQL connections are a shared budget).
    private let reopened = Mutex<[any WorkflowStore]>([])

    deinit {
        let directory = directory
        try? FileManager.default.removeItem(at: directory)
        let others = reopened.withLock { $0 }
        if let postgres = store as? PostgresStore {
            // The schema goes with the store; a test process that exits first leaves it to the
            // throwaway cluster.
            Task {
                for other in others { await other.close() }
                try? await postgres.dropSchema()
                await postgres.close()
            }
        }
    }
}

/// The stores the storage conformance suites run against.
public enum StoreKind: String, Sendable, CaseIterable, CustomStringConvertible {
    case sqlite
    case postgres

    public var description: String { rawValue }

    /// The PostgreSQL database the tests may use (each test in a schema of its own), from
    /// `WF_TEST_POSTGRES_URL`; nil when unset.
    public static var postgresURL: String? {
        guard let url = ProcessInfo.processInfo.environment["WF_TEST_POSTGRES_URL"], !url.isEmpty else { return nil }
        return url
    }

    /// The kinds that can run here: SQLite always, PostgreSQL when `WF_TEST_POSTGRES_URL` is
    /// set. A suite that drops its PostgreSQL cases says so (see `postgresCasesSkipped`).
    public static var available: [StoreKind] { postgresURL == nil ? [.sqlite] : [.sqlite, .postgres] }

    /// Why a suite's PostgreSQL cases did not run, for the `.enabled(if:)` of the test that
    /// stands for them (`postgreSQLCasesRan`): swift-testing cannot skip one argument of a
    /// parameterized test, so without a server those cases are dropped from `available`, and
    /// this one skipped test names them in the run's output instead.
    public static func postgresCasesSkipped(_ tests: Int) -> Comment {
        Comment(
            rawValue: "WF_TEST_POSTGRES_URL is not set: the PostgreSQL case of this suite's \(tests) store tests did not run "
                + "(see README: running the PostgreSQL suites)")
    }

    /// The store tests use when they do not say: `WF_TEST_STORE=postgres` runs them all on
    /// PostgreSQL (CI does, in a second run of the suite).
    public static var `default`: StoreKind {
        ProcessInfo.processInfo.environment["WF_TEST_STORE"] == "postgres" ? .postgres : .sqlite
    }

    /// `WF_TEST_POSTGRES_URL` with a fresh schema of its own.
    public static func scratchLocation() throws -> String {
        guard let url = postgresURL else {
            throw PersistenceError(.invalidLocation, "a PostgreSQL test store needs WF_TEST_POSTGRES_URL (see README: running the PostgreSQL suites)")
        }
        let schema = "wf_t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(20)
        return url + (url.contains("?") ? "&" : "?") + "schema=\(schema)&pool=3"
    }

    /// A fresh, migrated, empty store of this kind with `workflows` registered.
    public func makeStore(workflows: [WorkflowDefinition] = []) async throws -> (store: any ProcessStore, keepAlive: AnyObject) {
        let temporary = try await TemporaryStore(kind: self, workflows: workflows)
        return (temporary.store, temporary)
    }
}
