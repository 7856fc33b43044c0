import Foundation
import Logging
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

    public init(concurrency: Int = 4, pollInterval: Duration = .seconds(1), heartbeatInterval: Duration = .seconds(2)) {
        self.concurrency = max(1, concurrency)
        self.pollInterval = pollInterval
        self.heartbeatInterval = heartbeatInterval
    }
}

/// A long-running runner: claims runnable processes from the shared store and runs up to
/// `concurrency` of them at once, each under its own lease. Wakes when work is enqueued
/// (where the store can notify) and polls for due retries and expired leases.
///
/// `stop()` makes it claim nothing more; the processes it runs stop after their current
/// step, hand their lease back, and `run()` returns.
public final class Worker: Sendable {
    public let engine: Engine
    public let configuration: WorkerConfiguration
    private let store: any WorkerStore
    private let drain = DrainSignal()
    private let wakeStream: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation
    private let inFlight = Atomic<Int>(0)
    private let tally = Mutex<[ProcessStatus: Int]>([:])

    public var workerID: String { engine.configuration.runnerID }

    /// The worker claims from the engine's own store, which must be a `WorkerStore`.
    public init(engine: Engine, configuration: WorkerConfiguration = WorkerConfiguration()) throws {
        guard let store = engine.store as? any WorkerStore else {
            throw WorkflowError(.unsupportedStore, "a worker needs a store that can claim work; \(type(of: engine.store)) cannot")
        }
        self.engine = engine
        self.store = store
        self.configuration = configuration
        (wakeStream, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Asks the worker to stop; safe to call from a signal handler's task, and twice.
    public func stop() {
        drain.set()
        wake.yield()
    }

    /// Where the processes this worker ran stopped, by status.
    public var outcomes: [ProcessStatus: Int] { tally.withLock { $0 } }

    /// Registers the worker, runs until `stop()`, then waits for its processes to hand over
    /// and deregisters.
    public func run() async throws {
        let now = engine.environment.now()
        try await store.registerWorker(
            WorkerRecord(
                workerID: workerID, host: ProcessInfo.processInfo.hostName, pid: Int(ProcessInfo.processInfo.processIdentifier),
                concurrency: configuration.concurrency, startedAt: now, heartbeatAt: now))
        engine.logger.notice("worker started", metadata: ["worker.id": "\(workerID)", "concurrency": "\(configuration.concurrency)"])
        await withTaskGroup(of: Void.self) { background in
            background.addTask { await self.tick() }
            background.addTask { await self.heartbeat() }
            if let notifications = store.workNotifications() {
                background.addTask {
                    for await _ in notifications { self.wake.yield() }
                }
            }
            await claimAndRun()
            background.cancelAll()
        }
        try? await store.touchWorker(workerID, now: engine.environment.now(), stopping: true)
        try await store.removeWorker(workerID)
        engine.logger.notice("worker stopped", metadata: ["worker.id": "\(workerID)"])
    }

    private func claimAndRun() async {
        await withDiscardingTaskGroup { processes in
            var wakeUps = wakeStream.makeAsyncIterator()
            while !drain.isSet && !Task.isCancelled {
                let free = configuration.concurrency - inFlight.load(ordering: .acquiring)
                if free > 0 {
                    let claimed: [ClaimedProcess]
                    do {
                        let now = engine.environment.now()
                        claimed = try await store.claimRunnable(
                            owner: workerID, now: now, leaseExpiresAt: now + engine.configuration.leaseDuration, limit: free)
                    } catch {
                        engine.logger.warning("claiming work failed; trying again", metadata: ["error": "\(error)"])
                        claimed = []
                    }
                    for process in claimed {
                        inFlight.add(1, ordering: .acquiringAndReleasing)
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
        defer {
            inFlight.subtract(1, ordering: .acquiringAndReleasing)
            wake.yield()
        }
        do {
            let outcome = try await engine.run(claimed: claimed, drain: drain)
            tally.withLock { $0[outcome.status, default: 0] += 1 }
        } catch is CancellationError {
            // Hard stop: the step's result was not written; the lease expires and another runner goes on.
        } catch {
            engine.logger.error(
                "could not run claimed process",
                metadata: ["process.id": "\(claimed.process.processID)", "workflow.name": "\(claimed.process.workflowName)", "error": "\(error)"])
            // The lease is kept until it expires, so that a process which cannot run (its step
            // removed from the code, the database gone for a moment) is not claimed again at once.
        }
    }

    private func tick() async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: configuration.pollInterval) } catch { return }
            wake.yield()
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
            }
        }
    }
}
