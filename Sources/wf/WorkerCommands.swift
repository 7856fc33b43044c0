import ArgumentParser
import Foundation
import Logging
import Persistence
import ServiceLifecycle
import WorkflowEngine

struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run processes from the shared database until stopped: enqueued ones, due retries, and those whose runner died.",
        discussion: """
            Start several, on several hosts, against one PostgreSQL database: each process runs on one worker at a time \
            (claimed with FOR UPDATE SKIP LOCKED, held by a lease). On PostgreSQL a worker wakes as soon as work is enqueued \
            (LISTEN/NOTIFY); it also polls every --poll seconds. SIGTERM or Ctrl-C: claim nothing more, let each process finish \
            the step it is in and hand it over, then exit; after --grace seconds the steps still running are dropped (they run \
            again elsewhere once their lease expires).
            """)

    @Option(name: .long, help: "How many processes to run at once.") var concurrency = 4
    @Option(name: .long, help: "Seconds between looks for due retries and expired leases.") var poll = 1.0
    @Option(name: .long, help: "Seconds to wait for running steps after SIGTERM before dropping them.") var grace = 30.0
    @OptionGroup var automation: AutomationOptions
    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        guard (1...256).contains(concurrency) else { throw ValidationError("--concurrency must be from 1 to 256") }
        guard poll >= 0.05 else { throw ValidationError("--poll must be at least 0.05 seconds") }
        guard grace >= 0 else { throw ValidationError("--grace must not be negative") }
    }

    func run() async throws {
        try await runCommand {
            let runtime = try await Runtime.open(database)
            let worker = Worker(
                engine: runtime.engine, store: runtime.store,
                configuration: WorkerConfiguration(
                    concurrency: concurrency, pollInterval: .milliseconds(Int64(poll * 1000)), runsWorkListener: false))
            print("worker \(worker.workerID) on \(runtime.store.locationDescription), concurrency \(concurrency)")
            let failure = await Self.runUntilStopped(
                worker, beside: runtime.store.services + automation.services(runtime), grace: .milliseconds(Int64(grace * 1000)))
            Self.printStopped(worker)
            if let failure { throw failure }
            return 0
        }
    }

    /// Runs the store's services (PostgreSQL: the pool, the LISTEN loop; the scheduler and the
    /// hook deliverer) and the worker in one
    /// `ServiceGroup` until SIGTERM or SIGINT: the services in `front` (`wf serve`'s HTTP
    /// server) stop first, then the worker drains, then the listener and the pool stop; after
    /// `grace` the steps still running are cancelled.
    static func runUntilStopped(_ worker: Worker, beside storeServices: [any Service], front: [any Service] = [], grace: Duration) async
        -> (any Error)?
    {
        let logger = Logger(label: "wf.worker")
        // A group stops its services in the reverse of this order.
        let services =
            storeServices.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) }
            + [.init(service: AnnouncedStop(worker), successTerminationBehavior: .gracefullyShutdownGroup)]
            + front.map { .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup) }
        var configuration = ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        configuration.maximumGracefulShutdownDuration = grace
        let group = ServiceGroup(configuration: configuration)
        return await withTaskGroup(of: (any Error)?.self) { tasks in
            tasks.addTask {
                do {
                    try await group.run()
                    return nil
                } catch {
                    return error
                }
            }
            tasks.addTask { await exitIfStuck(worker, grace: grace) }
            let first = await tasks.next() ?? nil
            tasks.cancelAll()
            return first
        }
    }

    /// The last resort: a database call lost as its connection closed never returns, even
    /// when cancelled (postgres-nio 1.33), and would keep the group from ending. Once the
    /// worker was asked to stop, it gets 5 s after its last process stopped (or was handed
    /// back as stalled), and at most grace and 10 s.
    private static func exitIfStuck(_ worker: Worker, grace: Duration) async -> (any Error)? {
        let clock = ContinuousClock()
        var stoppingSince: ContinuousClock.Instant?
        var idleSince: ContinuousClock.Instant?
        while true {
            do { try await Task.sleep(for: .milliseconds(200)) } catch { return nil }
            guard worker.isStopping else { continue }
            let now = clock.now
            stoppingSince = stoppingSince ?? now
            idleSince = worker.runningCount == 0 ? idleSince ?? now : nil
            if let idleSince, now - idleSince > .seconds(5) { break }
            if let stoppingSince, now - stoppingSince > grace + .seconds(10) { break }
        }
        printError("worker \(worker.workerID): a database call never returned (its connection closed under it); exiting without it")
        printStopped(worker)
        fflush(nil)
        Foundation.exit(0)
    }

    static func printStopped(_ worker: Worker) {
        let outcomes = worker.outcomes.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue) \($0.value)" }
        print("worker \(worker.workerID) stopped; processes it ran stopped as: \(outcomes.isEmpty ? "none" : outcomes.joined(separator: ", "))")
    }
}

/// The worker as the group's main service: says on standard error that it is stopping,
/// and shuts the group down when it ends.
private struct AnnouncedStop: Service {
    let worker: Worker

    init(_ worker: Worker) { self.worker = worker }

    func run() async throws {
        try await withGracefulShutdownHandler {
            try await worker.run()
        } onGracefulShutdown: {
            printError("stopping: claiming nothing more; running processes hand over after their current step")
        }
    }
}

struct WorkersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workers", abstract: "List the registered workers: alive or not, and the processes each holds.")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    /// A worker records that it is alive every 2 s; after this long without a sign it is shown as gone.
    static let staleAfter: TimeInterval = 10

    func run() async throws {
        try await runCommand {
            let runtime = try await Runtime.open(database)
            let workers = try await runtime.store.workers()
            let now = Date()
            func state(_ worker: WorkerRecord) -> String {
                if now.timeIntervalSince(worker.heartbeatAt) > Self.staleAfter { return "gone" }
                return worker.stopping ? "stopping" : "live"
            }
            if output.json {
                JSONValue.array(
                    workers.map { worker in
                        .object([
                            "worker_id": .string(worker.workerID), "host": .string(worker.host), "pid": .int(worker.pid),
                            "concurrency": .int(worker.concurrency), "started_at": Rendering.timestamp(worker.startedAt),
                            "last_seen_at": Rendering.timestamp(worker.heartbeatAt), "state": .string(state(worker)),
                            "holding": .array(worker.holding.map { .string($0.description) }),
                        ])
                    }
                ).printJSON()
                return 0
            }
            guard !workers.isEmpty else {
                print("no workers registered")
                return 0
            }
            print(
                Rendering.table(
                    ["WORKER", "HOST", "PID", "STATE", "CONCURRENCY", "STARTED", "LAST SEEN", "HOLDING"],
                    workers.map { worker in
                        [
                            worker.workerID, worker.host, String(worker.pid), state(worker), String(worker.concurrency),
                            Rendering.shortTime(worker.startedAt), Rendering.shortTime(worker.heartbeatAt),
                            worker.holding.isEmpty ? "-" : worker.holding.map { String($0.description.prefix(8)) }.joined(separator: " "),
                        ]
                    }))
            return 0
        }
    }
}

/// The services beside the workers of `wf worker` and `wf serve`: the scheduler (schedules
/// and drift checks) and the deliverer of outgoing hooks.
struct AutomationOptions: ParsableArguments {
    @Flag(name: .long, help: "Fire no schedules and start no validations for NetBox webhooks here (hooks are still delivered).")
    var noScheduler = false

    func services(_ runtime: Runtime) -> [any Service] {
        let deliverer = HookDeliverer(store: runtime.store, owner: runtime.engine.configuration.runnerID)
        guard !noScheduler else { return [deliverer] }
        return [Scheduler(engine: runtime.engine, store: runtime.store), deliverer]
    }
}
