import Foundation
import Persistence
import WorkflowEngine

/// A migrated SQLite store in a fresh temporary directory, removed when released.
public final class TemporaryStore: Sendable {
    public let store: SQLiteStore
    public let directory: URL
    public var path: String { store.path }

    public init(workflows: [WorkflowDefinition] = []) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("wf-test-\(UUID().uuidString)")
        store = try SQLiteStore(path: directory.appendingPathComponent("wf.sqlite").path)
        try await store.migrate()
        try await store.syncWorkflows(workflows, now: Date())
    }

    /// A store that also holds the catalog of `products`. A workflow a product names but
    /// `workflows` lacks is registered as a stand-in, because the catalog sync requires it.
    public convenience init(workflows: [WorkflowDefinition] = [], products: [ProductDefinition], now: Date = Date()) async throws {
        try await self.init(workflows: workflows + Self.standIns(for: products, except: workflows))
        _ = try await store.syncProducts(products, now: now)
    }

    /// One-step workflows named as the workflows `products` name, but for those in `workflows`.
    public static func standIns(for products: [ProductDefinition], except workflows: [WorkflowDefinition] = []) -> [WorkflowDefinition] {
        Set(products.flatMap(\.workflows)).subtracting(workflows.map(\.name)).sorted().map { name in
            WorkflowDefinition(name: name, target: .modify, description: "stand-in for a workflow a product names", steps: StepList([done]))
        }
    }

    /// A second, independent connection pool on the same file, as another `wf` process would have.
    public func reopen() throws -> SQLiteStore {
        try SQLiteStore(path: path)
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }
}

/// The stores the storage conformance suite runs against.
public enum StoreKind: String, Sendable, CaseIterable, CustomStringConvertible {
    case sqlite

    public var description: String { rawValue }

    /// The kinds that can run here; PostgreSQL joins when its store exists.
    public static var available: [StoreKind] { [.sqlite] }

    /// A fresh, migrated, empty store of this kind with `workflows` registered.
    public func makeStore(workflows: [WorkflowDefinition] = []) async throws -> (store: any ProcessStore, keepAlive: AnyObject) {
        switch self {
        case .sqlite:
            let temporary = try await TemporaryStore(workflows: workflows)
            return (temporary.store, temporary)
        }
    }
}
