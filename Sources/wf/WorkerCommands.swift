import ArgumentParser
import Foundation
import Persistence
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
    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        guard (1...256).contains(concurrency) else { throw ValidationError("--concurrency must be from 1 to 256") }
        guard poll >= 0.05 else { throw ValidationError("--poll must be at least 0.05 seconds") }
        guard grace >= 0 else { throw ValidationError("--grace must not be negative") }
    }

    func run() async throws {
        try await runCommand {
            let runtime = try await Runtime.open(database)
            let worker = try Worker(
                engine: runtime.engine,
                configuration: WorkerConfiguration(concurrency: concurrency, pollInterval: .milliseconds(Int64(poll * 1000))))
            print("worker \(worker.workerID) on \(runtime.store.locationDescription), concurrency \(concurrency)")
            let failure = await Self.runUntilStopped(worker, grace: .milliseconds(Int64(grace * 1000)))
            let outcomes = worker.outcomes.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue) \($0.value)" }
            print("worker \(worker.workerID) stopped; processes it ran stopped as: \(outcomes.isEmpty ? "none" : outcomes.joined(separator: ", "))")
            await runtime.store.close()
            if let failure { throw failure }
            return 0
        }
    }

    /// Runs the worker until a signal asks it to stop and it has drained (or `grace` passed).
    private static func runUntilStopped(_ worker: Worker, grace: Duration) async -> (any Error)? {
        await withTaskGroup(of: (any Error)?.self) { group in
            group.addTask {
                do {
                    try await worker.run()
                    return nil
                } catch {
                    return error
                }
            }
            group.addTask {
                await Signals.waitForTermination()
                printError("stopping: claiming nothing more; running processes hand over after their current step")
                worker.stop()
                try? await Task.sleep(for: grace)
                if !Task.isCancelled { printError("grace period over: dropping the steps still running") }
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
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
