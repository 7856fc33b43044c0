import ArgumentParser
import Foundation
import Logging
import NetBox
import NetBoxLite
import Persistence
import Products
import Synchronization
import TerminalForms
import WorkflowEngine
import Workflows

/// Wires the store, the workflows and the engine together for one `wf` invocation.
struct Runtime {
    let store: any WorkflowStore
    let engine: Engine

    /// Opens the database and registers the workflows of this build. The embedded SQLite
    /// database is migrated on first use, so a fresh machine needs no set-up step; a
    /// PostgreSQL one only by `wf db migrate` (or `migrating`, for `wf demo`), and is
    /// otherwise checked to be migrated, as a read-only database is.
    ///
    /// Workflows get NetBox on first use: the one `NETBOX_URL`/`NETBOX_TOKEN` name, else an
    /// embedded NetBoxLite started for this command, its state kept beside the database (the
    /// same state `wf netbox serve` serves).
    static func open(_ options: DatabaseOptions, migrating: Bool = false) async throws -> Runtime {
        bootstrapLogging()
        let location = databaseLocation(options)
        var services = Services()
        services.register(IPAMPlan.fromEnvironment())
        services.register(NetBoxConnection(lazy: { try await netBoxClient(beside: location) }))
        services.registerNetBoxReleaser()
        let store = try await openStore(options)
        let registry = try WorkflowRegistry(WorkflowCatalog.all)
        let products = try ProductRegistry(ProductCatalog.all)
        if store.isReadOnly {
            try await store.requireMigrated()
        } else {
            // The embedded SQLite default migrates on first use; a shared PostgreSQL changes
            // schema only by `wf db migrate`, so a newer wf in a rolling deploy never migrates
            // under older ones.
            if store.dialect == "sqlite" || migrating {
                try await store.migrate()
            } else {
                try await store.requireMigrated()
            }
            try await store.syncWorkflows(registry.workflows, now: Date())
            // The catalog is synced by `wf db migrate`; a fresh embedded database gets it here.
            let known = Set(try await store.productRows().map(\.name))
            if !products.products.allSatisfy({ known.contains($0.name) }) {
                _ = try await store.syncProducts(products.products, now: Date())
            }
        }
        return Runtime(
            store: store,
            engine: Engine(store: store, registry: registry, products: products, services: services, configuration: try engineConfiguration()))
    }

    /// The configured NetBox, or the embedded NetBoxLite (kept running until the command ends: see `close()`).
    static func netBoxClient(beside database: String) async throws -> NetBoxClient {
        if let configuration = try NetBoxConfiguration.fromEnvironment() { return NetBoxClient(configuration) }
        let server = try await NetBoxLiteServer.start(
            NetBoxLiteConfiguration(dataPath: NetBoxDefaults.liteDataPath(beside: database)))
        opened.withLock { $0.servers.append(server) }
        return NetBoxClient(NetBoxConfiguration(url: server.url, token: server.token))
    }

    /// The stores and embedded servers this `wf` opened, for `close()`.
    private struct Opened {
        var stores: [any WorkflowStore] = []
        var servers: [NetBoxLiteServer] = []
    }

    private static let opened = Mutex(Opened())

    /// Closes what this command opened: stops the embedded NetBoxLite and closes the stores,
    /// which checkpoints SQLite's WAL so that no large `-wal` file stays beside a database.
    /// `runCommand` calls it when the command ends, however it ends.
    static func close() async {
        let all = opened.withLock { opened in
            defer { opened = Opened() }
            return opened
        }
        for server in all.servers { await server.stop() }
        for store in all.stores { await store.close() }
    }

    /// The clear refusal for `error` when it is a write to a database opened read-only.
    static func readOnlyRefusal(for error: any Error) -> PersistenceError? {
        opened.withLock { $0.stores }.lazy.compactMap { $0.readOnlyRefusal(for: error) }.first
    }

    /// Resolves a full subscription id or a unique prefix of one.
    func subscriptionID(_ text: String) async throws -> UUID {
        if let id = UUID(uuidString: text) { return id }
        let prefix = text.lowercased()
        guard !prefix.isEmpty, prefix.allSatisfy({ $0.isHexDigit || $0 == "-" }) else {
            throw CLIError("'\(text)' is not a subscription id or a prefix of one")
        }
        let matches = try await store.subscriptionIDs(withPrefix: prefix, limit: 5)
        switch matches.count {
        case 0: throw CLIError("no subscription id starts with '\(text)'")
        case 1: return matches[0]
        default:
            throw CLIError(
                "'\(text)' matches several subscriptions: \(matches.map { $0.uuidString.lowercased() }.joined(separator: ", ")); give more characters"
            )
        }
    }

    /// The database: --database, else $WF_DATABASE, else the default SQLite file. A
    /// `postgres://` URL selects PostgreSQL; `Stores.open` refuses any other URL.
    static func databaseLocation(_ options: DatabaseOptions) -> String {
        if let location = options.database, !location.isEmpty { return location }
        if let location = ProcessInfo.processInfo.environment["WF_DATABASE"], !location.isEmpty { return location }
        return SQLiteStore.defaultPath
    }

    /// Opens the database without migrating it (`wf db` commands); `close()` closes it.
    static func openStore(_ options: DatabaseOptions) async throws -> any WorkflowStore {
        let store = try await Stores.open(databaseLocation(options))
        opened.withLock { $0.stores.append(store) }
        return store
    }

    static func engineConfiguration() throws -> EngineConfiguration {
        guard let text = ProcessInfo.processInfo.environment["WF_LEASE_SECONDS"], !text.isEmpty else {
            return EngineConfiguration()
        }
        guard let seconds = Double(text), seconds >= 1 else {
            throw CLIError("WF_LEASE_SECONDS must be a number of seconds, at least 1; got '\(text)'")
        }
        return EngineConfiguration(leaseDuration: .milliseconds(Int64(seconds * 1000)))
    }

    private static let logging: Void = {
        let level = ProcessInfo.processInfo.environment["WF_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }()

    static func bootstrapLogging() { logging }

    /// Takes over processes whose runner died before this command runs its own, so a
    /// crash never leaves work stranded until someone remembers `wf recover`.
    func recoverStranded(user: String) async throws {
        let outcomes = try await engine.recover(user: user, includeDueRetries: false)
        for outcome in outcomes {
            printError(
                "note: took over process \(outcome.processID) (\(outcome.workflowName)), whose runner had stopped: now \(outcome.status.rawValue)")
        }
    }
}

/// Runs a command body, turning errors into a message on standard error and an exit code,
/// and closes what the command opened.
func runCommand(_ body: () async throws -> Int32) async throws {
    let code: Int32
    do {
        code = try await body()
        await Runtime.close()
    } catch {
        let refusal = Runtime.readOnlyRefusal(for: error)
        await Runtime.close()
        if let refusal {
            printError("error: \(refusal.description)")
            throw ExitCode(1)
        }
        throw exitReporting(error)
    }
    if code != 0 { throw ExitCode(code) }
}

/// Prints `error` for the operator and returns the exit code to leave with.
private func exitReporting(_ error: any Error) -> ExitCode {
    switch error {
    case let error as CLIError:
        printError("error: \(error.description)")
        return ExitCode(error.code)
    case let error as ExitCode:
        return error
    default:
        // WorkflowError, PersistenceError and the rest say what to do next in their description.
        printError("error: \(error)")
        return ExitCode(1)
    }
}

/// Writes a line to standard error, with control characters made visible (see `terminalSafe`).
func printError(_ text: String) {
    FileHandle.standardError.write(Data((terminalSafe(text) + "\n").utf8))
}

/// The exit code for where a process stopped (see `wf --help`).
func processExitCode(for status: ProcessStatus) -> Int32 {
    switch status {
    case .completed, .suspended, .created, .running: 0
    case .waiting: 4
    case .failed, .aborted, .apiUnavailable, .inconsistentData: 3
    }
}
