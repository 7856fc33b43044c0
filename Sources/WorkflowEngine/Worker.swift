import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// How a worker claims and runs work.
public struct WorkerConfiguration: Sendable {
    /// How many processes it runs at once.
    public var concurrency: Int
    /// How often it looks for work without being told (due retries, expired leases, and
    /// enqueued work on a store that cannot notify).
    public var pollInterval: Duration
    /// How often it records that it is alive (`wf workers`).
    public var heartbeatInterval: Duration
    /// Whether the worker runs the store's `workListener` itself, for as long as it runs.
    /// False where the command's `ServiceGroup` runs it (one listener for all its workers).
    public var runsWorkListener: Bool

    public init(
        concurrency: Int = 4, pollInterval: Duration = .seconds(1), heartbeatInterval: Duration = .seconds(2), runsWorkListener: Bool = true
    ) {
        self.concurrency = max(1, concurrency)
        self.pollInterval = pollInterval
        self.heartbeatInterval = heartbeatInterval
        self.runsWorkListener = runsWorkListener
    }
}

/// A long-running runner: claims runnable processes from the shared store and runs up to
/// `concurrency` of them at once, each under its own lease. Wakes when work is enqueued
/// (where the store can notify) and polls for due retries and expired leases.
///
/// A `Service`: graceful shutdown (or `stop()`) makes it claim nothing more; the processes it
/// runs stop after their current step, hand their lease back, and `run()` returns.
///
/// After a claim or a run failed (the database went away), it asks the store which leases it
/// holds and hands back every one it is not running: a claim can commit while its answer is
/// lost. And a run that was in flight across the failure must commit a step within
/// `stallTimeout` of the database coming back, or its lease is handed back: the database
/// driver can lose a call made as its connection closed, and that run would otherwise hold
/// (and renew) its lease for as long as the worker lives.
public final class Worker: Service, Sendable {
    public let engine: Engine
    public let configuration: WorkerConfiguration
    private let store: any WorkerStore
    private let drain: DrainSignal
    private let wakeStream: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation
    private let runs = Mutex(Runs())
    private let tally = Mutex<[ProcessStatus: Int]>([:])

    /// What the worker runs, and what it must check with the store after a failure.
    private struct Runs {
        /// The processes being run now, by id.
        var running: Set<ProcessID> = []
        /// A claim or a run failed: compare the leases the store says this worker holds with `running`.
        var mustReconcile = false
        /// Runs in flight across a failure: the steps they had when the database was back, and until when they may take for the next.
        var suspects: [ProcessID: (steps: Int, deadline: Date)] = [:]
        /// Processes whose run failed for another reason than the database (a step missing from
        /// the code): their lease is left to lapse, so that they are not claimed again at once.
        var parked: [ProcessID: Date] = [:]
        /// A wake-up came while every slot was taken: the next run to end claims for it.
        /// Otherwise a run that ends claims nothing (the claim would mostly come back empty):
        /// enqueued work wakes a worker with room, and the poll finds the rest.
        var missedWake = false
    }

    public var workerID: String { engine.configuration.runnerID }

    /// How long a run in flight across a database failure may go without committing a step
    /// once the database is back: two leases, at least 5 s.
    public var stallTimeout: Duration { max(engine.configuration.leaseDuration * 2, .seconds(5)) }

    /// A worker that claims from `store` (the engine's own store, as a `WorkerStore`: the
    /// capability is in the type, not found by a cast at run time) and runs with `engine`.
    public init(engine: Engine, store: any WorkerStore, configuration: WorkerConfiguration = WorkerConfiguration()) {
        self.engine = engine
        self.store = store
        drain = DrainSignal(handingOverTo: store)
        self.configuration = configuration
        (wakeStream, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Asks the worker to stop; safe to call from any task, and twice.
    public func stop() {
        drain.set()
        wake.yield()
    }

    /// True once `stop()` was called or graceful shutdown began.
    public var isStopping: Bool { drain.isSet }

    /// How many processes it is running now.
    public var runningCount: Int { runs.withLock { $0.running.count } }

    /// Where the processes this worker ran stopped, by status.
    public var outcomes: [ProcessStatus: Int] { tally.withLock { $0 } }

    /// Registers the worker, runs until `stop()` or graceful shutdown, then waits for its
    /// processes to hand over and deregisters.
    public func run() async throws {
        try await withGracefulShutdownHandler {
            try await runUntilStopped()
        } onGracefulShutdown: {
            self.stop()
        }
    }

    private func runUntilStopped() async throws {
        let now = engine.environment.now()
        try await store.registerWorker(
            WorkerRecord(
                workerID: workerID, host: ProcessInfo.processInfo.hostName, pid: Int(ProcessInfo.processInfo.processIdentifier),
                concurrency: configuration.concurrency, startedAt: now, heartbeatAt: now))
        engine.logger.notice("worker started", metadata: ["worker.id": "\(workerID)", "concurrency": "\(configuration.concurrency)"])
        await withTaskGroup(of: Void.self) { background in
            background.addTask { await self.tick() }
            background.addTask { await self.heartbeat() }
            let hasRoom: @Sendable () -> Bool = { [self] in
                !drain.isSet && runs.withLock { $0.running.count } < configuration.concurrency
            }
            if let notifications = store.workNotifications(hasRoom: hasRoom) {
                background.addTask {
                    for await _ in notifications { self.wake.yield() }
                }
                if configuration.runsWorkListener, let listener = store.workListener {
                    background.addTask { try? await listener.run() }
                }
            }
            await claimAndRun()
            background.cancelAll()
        }
        if Task.isCancelled {
            engine.logger.warning("worker cancelled: the steps still running were dropped", metadata: ["worker.id": "\(workerID)"])
        }
        try? await store.touchWorker(workerID, now: engine.environment.now(), stopping: true)
        try await store.removeWorker(workerID)
        engine.logger.notice("worker stopped", metadata: ["worker.id": "\(workerID)"])
    }

    private func claimAndRun() async {
        await withDiscardingTaskGroup { processes in
            var wakeUps = wakeStream.makeAsyncIterator()
            while !drain.isSet && !Task.isCancelled {
                let free = runs.withLock { runs in
                    let free = configuration.concurrency - runs.running.count
                    runs.missedWake = free <= 0
                    return free
                }
                if free > 0 {
                    let claimed: [ClaimedProcess]
                    do {
                        let now = engine.environment.now()
                        claimed = try await store.claimRunnable(
                            owner: workerID, now: now, leaseExpiresAt: now + engine.configuration.leaseDuration, limit: free)
                    } catch {
                        engine.logger.warning("claiming work failed; trying again", metadata: ["error": "\(error)"])
                        // The claim may have committed with its answer lost: find out what this worker holds.
                        runs.withLock { $0.mustReconcile = true }
                        claimed = []
                    }
                    for process in claimed {
                        runs.withLock { _ = $0.running.insert(process.process.processID) }
                        processes.addTask { await self.runOne(process) }
                    }
                    // A full batch: there may be more, so look again at once.
                    if !claimed.isEmpty && claimed.count == free { continue }
                }
                guard await wakeUps.next() != nil else { break }
            }
        }
    }

    private func runOne(_ claimed: ClaimedProcess) async {
        let processID = claimed.process.processID
        defer {
            let claimAgain = runs.withLock { runs in
                runs.running.remove(processID)
                runs.suspects[processID] = nil
                defer { runs.missedWake = false }
                return runs.missedWake || drain.isSet
            }
            if claimAgain { wake.yield() }
        }
        do {
            let outcome = try await engine.run(claimed: claimed, drain: drain)
            tally.withLock { $0[outcome.status, default: 0] += 1 }
        } catch is CancellationError {
            // Hard stop: the step's result was not written; the lease expires and another runner goes on.
        } catch {
            engine.logger.error(
                "could not run claimed process",
                metadata: ["process.id": "\(processID)", "workflow.name": "\(claimed.process.workflowName)", "error": "\(error)"])
            let until = engine.environment.now() + engine.configuration.leaseDuration
            runs.withLock { runs in
                if error is WorkflowError {
                    // It cannot run here (its step removed from the code...): the lease lapses, and
                    // the process is not claimed again at once.
                    runs.parked[processID] = until
                } else {
                    // The database failed under it: hand it back once the database answers again.
                    runs.mustReconcile = true
                }
            }
        }
    }

    /// Wakes the claim loop every poll interval, and checks the leases after a failure.
    private func tick() async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: configuration.pollInterval) } catch { return }
            wake.yield()
            guard runs.withLock({ $0.mustReconcile || !$0.suspects.isEmpty }) else { continue }
            do {
                try await reconcile()
            } catch is CancellationError {
                return
            } catch {
                if Task.isCancelled { return }
                runs.withLock { $0.mustReconcile = true }
                engine.logger.warning("cannot check this worker's leases yet; trying again", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Hands back the leases this worker holds but does not run, and those of runs that made
    /// no progress for `stallTimeout` since the database came back.
    private func reconcile() async throws {
        let held = try await store.workers().first { $0.workerID == workerID }?.holding ?? []
        let now = engine.environment.now()
        let (running, parked, justBack) = runs.withLock { runs in
            runs.parked = runs.parked.filter { $0.value > now }
            defer { runs.mustReconcile = false }
            return (runs.running, Set(runs.parked.keys), runs.mustReconcile)
        }
        for processID in held where !running.contains(processID) && !parked.contains(processID) {
            if try await store.releaseLease(processID, owner: workerID) {
                engine.logger.warning(
                    "handed back a process this worker held but was not running (a claim or run whose answer was lost)",
                    metadata: ["process.id": "\(processID)", "worker.id": "\(workerID)"])
            }
        }
        let deadline = now + stallTimeout
        if justBack {
            for processID in running where runs.withLock({ $0.suspects[processID] == nil }) {
                let steps = try await store.steps(of: processID).count
                runs.withLock { runs in
                    if runs.running.contains(processID) { runs.suspects[processID] = (steps, deadline) }
                }
            }
        }
        let due = runs.withLock { $0.suspects.filter { $0.value.deadline <= now } }
        for (processID, suspect) in due {
            let steps = try await store.steps(of: processID).count
            let stalled = runs.withLock { runs -> Bool in
                guard runs.running.contains(processID) else { return false }
                runs.suspects[processID] = nil
                guard steps == suspect.steps else { return false }
                // The run's slot is free again; if the lost call ever answers, the commit fence refuses it.
                runs.running.remove(processID)
                return true
            }
            guard stalled else { continue }
            _ = try await store.releaseLease(processID, owner: workerID)
            wake.yield()
            engine.logger.error(
                "handed back a process whose run committed no step since the database came back (a database call it made was lost)",
                metadata: ["process.id": "\(processID)", "worker.id": "\(workerID)", "stalled.seconds": "\(stallTimeout.components.seconds)"])
        }
    }

    private func heartbeat() async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: configuration.heartbeatInterval) } catch { return }
            do {
                try await store.touchWorker(workerID, now: engine.environment.now(), stopping: drain.isSet)
            } catch is CancellationError {
                return
            } catch {
                if Task.isCancelled { return }
                engine.logger.warning("worker heartbeat failed", metadata: ["error": "\(error)"])
                // The database failed: once it answers again, watch the runs that were in flight.
                runs.withLock { $0.mustReconcile = true }
            }
        }
    }
}
