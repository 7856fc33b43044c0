import Foundation
import Persistence
import Testing
import WorkflowEngine
import WorkflowTestKit

/// What long-running workers need from every store: claiming runnable processes (never one
/// twice), handing a lease back, and the worker registry. Times are fixed (`Fixtures.at`),
/// so nothing waits on the wall clock.
@Suite("WorkerStore conformance", .storeSlots)
struct WorkerStoreConformanceTests {
    /// Stands for the PostgreSQL cases the store tests below drop without a server, so that
    /// the run names them as skipped; with one, checks that a PostgreSQL store opens.
    @Test(.enabled(if: StoreKind.postgresURL != nil, StoreKind.postgresCasesSkipped(7)))
    func postgreSQLCasesRan() async throws {
        #expect(StoreKind.available.contains(.postgres))
        let temporary = try await TemporaryStore(kind: .postgres)
        #expect(try await temporary.store.migrationStatus().allSatisfy { $0.state == .applied })
    }

    typealias F = Fixtures

    /// The claimer's clock in these tests, and the lease it takes.
    static let now = F.at(100)
    static let leaseEnd = F.at(130)

    // MARK: - Claiming

    @Test(arguments: StoreKind.available)
    func claimTakesCreatedDueWaitingExpiredAndHandedOverProcesses(kind: StoreKind) async throws {
        try await withWorkerStore(kind) { store in
            let created = try await store.insert(F.process(status: .created, lastModifiedAt: F.at(1)))
            let due = try await store.insert(
                F.process(status: .waiting, lastStep: "fetch", failedReason: "NetBox answered 503", lastModifiedAt: F.at(2), nextRetryAt: F.at(90)))
            let expired = try await store.insert(
                F.process(status: .running, lastModifiedAt: F.at(3), leaseOwner: "dead-runner", leaseExpiresAt: F.at(99)))
            try await store.commitStep(F.commit(F.row(expired, "a", state: ["n": 2]), owner: "dead-runner"))
            // Released by a worker that stopped after a step: running, with no lease at all.
            let handedOver = try await store.insert(F.process(status: .running, lastStep: "b", lastModifiedAt: F.at(4)))

            let claimed = try await store.claimRunnable(owner: "worker-a", now: Self.now, leaseExpiresAt: Self.leaseEnd, limit: 10)

            let previous = Dictionary(uniqueKeysWithValues: claimed.map { ($0.process.processID, $0.previousStatus) })
            #expect(
                previous == [created.processID: .created, due.processID: .waiting, expired.processID: .running, handedOver.processID: .running])
            for claim in claimed {
                let process = claim.process
                #expect(process.status == .running)
                #expect(process.leaseOwner == "worker-a")
                #expect(process.leaseExpiresAt == Self.leaseEnd)
                #expect(process.lastModifiedAt == Self.now)
                #expect(process.nextRetryAt == nil)
                #expect(process.failedReason == nil)
                #expect(try await store.process(process.processID) == process, "the record returned is the one stored")
            }
            let records = Dictionary(uniqueKeysWithValues: claimed.map { ($0.process.processID, $0.process) })
            #expect(records[created.processID]?.lastStep == nil)
            #expect(records[due.processID]?.lastStep == "fetch", "a waiting process keeps the step it will retry")
            #expect(records[expired.processID]?.lastStep == "a", "a dead runner's process goes on from its last logged step")
            #expect(records[expired.processID]?.state == ["n": 2])
            #expect(records[handedOver.processID]?.lastStep == "b")
        }
    }

    @Test(arguments: StoreKind.available)
    func claimLeavesProcessesNotDueLiveOrStoppedAlone(kind: StoreKind) async throws {
        try await withWorkerStore(kind) { store in
            var inserted = [
                F.process(status: .waiting, lastStep: "fetch", lastModifiedAt: F.at(1), nextRetryAt: F.at(101)),
                F.process(status: .waiting, lastStep: "fetch", lastModifiedAt: F.at(1)),
                F.process(status: .running, lastModifiedAt: F.at(1), leaseOwner: "runner-b", leaseExpiresAt: F.at(101)),
                F.process(status: .failed, lastStep: "fetch", failedReason: "boom", lastModifiedAt: F.at(1), nextRetryAt: F.at(1)),
            ]
            for status in [ProcessStatus.suspended, .apiUnavailable, .inconsistentData, .completed, .aborted] {
                inserted.append(F.process(status: status, lastStep: "a", lastModifiedAt: F.at(1)))
            }
            var before: [ProcessRecord] = []
            for process in inserted {
                try await store.insert(process)
                before.append(try await store.require(process.processID))
            }

            let claimed = try await store.claimRunnable(owner: "worker-a", now: Self.now, leaseExpiresAt: Self.leaseEnd, limit: 100)

            #expect(claimed.map(\.process.processID).isEmpty)
            for process in before {
                #expect(try await store.process(process.processID) == process, "\(process.status.rawValue) process left as it was")
            }
        }
    }

    @Test(arguments: StoreKind.available)
    func claimRespectsTheLimitAndTakesTheOldestFirst(kind: StoreKind) async throws {
        try await withWorkerStore(kind) { store in
            var byAge: [Int: ProcessID] = [:]
            for age in [5, 1, 4, 2, 3] {
                byAge[age] = try await store.insert(F.process(status: .created, lastModifiedAt: F.at(Double(age)))).processID
            }
            func claim(_ owner: String) async throws -> Set<ProcessID> {
                Set(try await store.claimRunnable(owner: owner, now: Self.now, leaseExpiresAt: Self.leaseEnd, limit: 2).map(\.process.processID))
            }

            #expect(try await claim("worker-a") == [byAge[1]!, byAge[2]!])
            #expect(try await claim("worker-b") == [byAge[3]!, byAge[4]!])
            #expect(try await claim("worker-c") == [byAge[5]!])
            #expect(try await claim("worker-d").isEmpty)
        }
    }

    @Test(arguments: StoreKind.available)
    func claimersRacingNeverGetTheSameProcessAndTogetherGetThemAll(kind: StoreKind) async throws {
        let temporary = try await TemporaryStore(kind: kind, workflows: [F.flow, F.task])
        var ids: Set<ProcessID> = []
        for index in 0..<200 {
            ids.insert(try await temporary.store.insert(F.process(status: .created, lastModifiedAt: F.at(Double(index % 7)))).processID)
        }
        // Two stores of their own, as two worker processes would have.
        let stores = [try await temporary.reopen(), try await temporary.reopen()]

        let claims = try await withThrowingTaskGroup(of: [(owner: String, processID: ProcessID)].self) { group in
            for claimer in 0..<16 {
                let store = stores[claimer % stores.count]
                let owner = "claimer-\(claimer)"
                group.addTask {
                    var mine: [(owner: String, processID: ProcessID)] = []
                    while true {
                        let batch = try await store.claimRunnable(owner: owner, now: Self.now, leaseExpiresAt: Self.leaseEnd, limit: 5)
                        // Nothing left: every process is claimed, or held by a claim in progress.
                        if batch.isEmpty { return mine }
                        mine += batch.map { (owner, $0.process.processID) }
                    }
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        for store in stores { await store.close() }

        #expect(claims.count == ids.count, "no process was claimed twice")
        #expect(Set(claims.map(\.processID)) == ids, "every process was claimed")
        let owners = Dictionary(uniqueKeysWithValues: claims.map { ($0.processID, $0.owner) })
        let stored = try await temporary.store.processes(ProcessFilter(limit: 1000))
        #expect(stored.count == ids.count)
        for process in stored {
            #expect(process.status == .running)
            #expect(process.leaseOwner == owners[process.processID], "the lease is the claimer's that got the process")
        }
    }

    // MARK: - Releasing a lease

    @Test(arguments: StoreKind.available)
    func leaseIsReleasedOnlyByItsOwnerAndTheProcessCanBeClaimedAtOnce(kind: StoreKind) async throws {
        try await withWorkerStore(kind) { store in
            let process = try await store.insert(F.process(status: .created, lastModifiedAt: F.at(1)))
            _ = try #require(try await store.claimRunnable(owner: "worker-a", now: Self.now, leaseExpiresAt: Self.leaseEnd, limit: 1).first)
            try await store.commitStep(F.commit(F.row(process, "a", state: ["n": 2], at: Self.now), owner: "worker-a"))
            let running = try await store.require(process.processID)

            #expect(try await store.releaseLease(process.processID, owner: "worker-b") == false)
            #expect(try await store.process(process.processID) == running, "another runner's release changes nothing")
            #expect(try await store.releaseLease(ProcessID(UUID()), owner: "worker-a") == false, "an unknown process")

            #expect(try await store.releaseLease(process.processID, owner: "worker-a"))

            var expected = running
            expected.leaseOwner = nil
            expected.leaseExpiresAt = nil
            #expect(try await store.process(process.processID) == expected, "only the lease changed")
            #expect(expected.status == .running)
            #expect(expected.lastStep == "a")
            #expect(try await store.releaseLease(process.processID, owner: "worker-a") == false, "nothing is left to release")

            // Before the released lease would have run out, another worker takes the process.
            let next = try await store.claimRunnable(owner: "worker-b", now: Self.now, leaseExpiresAt: Self.leaseEnd, limit: 10)
            #expect(next.map(\.process.processID) == [process.processID])
            #expect(next.first?.previousStatus == .running)
            #expect(next.first?.process.lastStep == "a")
            #expect(next.first?.process.leaseOwner == "worker-b")
        }
    }

    // MARK: - The worker registry

    @Test(arguments: StoreKind.available)
    func registeredWorkersAreListedMostRecentlySeenFirstWithWhatTheyHold(kind: StoreKind) async throws {
        try await withWorkerStore(kind) { store in
            let a = WorkerRecord(workerID: "host-1:11:aaaa", host: "host-1", pid: 11, concurrency: 4, startedAt: F.at(0), heartbeatAt: F.at(10))
            let b = WorkerRecord(workerID: "host-2:22:bbbb", host: "host-2", pid: 22, concurrency: 8, startedAt: F.at(5), heartbeatAt: F.at(20))
            try await store.registerWorker(a)
            try await store.registerWorker(b)
            #expect(try await store.workers() == [b, a])

            var processes: [ProcessRecord] = []
            for age in 1...3 {
                processes.append(try await store.insert(F.process(status: .created, lastModifiedAt: F.at(Double(age)))))
            }
            _ = try await store.claimRunnable(owner: a.workerID, now: Self.now, leaseExpiresAt: Self.leaseEnd, limit: 2)
            _ = try await store.claimRunnable(owner: "a-runner-not-registered", now: Self.now, leaseExpiresAt: Self.leaseEnd, limit: 1)

            var listed = try await store.workers()
            #expect(listed.map(\.workerID) == [b.workerID, a.workerID])
            #expect(Set(listed.last?.holding ?? []) == [processes[0].processID, processes[1].processID])
            #expect(listed.first?.holding == [])

            // A process that stops is no longer held.
            try await store.commitStep(F.commit(F.row(processes[0], "done", status: .complete, at: Self.now), owner: a.workerID, status: .completed))
            #expect(try await store.workers().last?.holding == [processes[1].processID])

            try await store.touchWorker(a.workerID, now: F.at(30), stopping: true)
            listed = try await store.workers()
            var touched = a
            touched.heartbeatAt = F.at(30)
            touched.stopping = true
            touched.holding = [processes[1].processID]
            #expect(listed == [touched, b], "seen last, so listed first; stopping")

            try await store.removeWorker(b.workerID)
            try await store.removeWorker("no-such-worker")
            #expect(try await store.workers().map(\.workerID) == [a.workerID])
            try await store.removeWorker(a.workerID)
            #expect(try await store.workers().isEmpty)
        }
    }

    @Test(arguments: StoreKind.available)
    func registeringAgainReplacesTheRowAndForgetsWorkersSilentForADay(kind: StoreKind) async throws {
        try await withWorkerStore(kind) { store in
            let first = WorkerRecord(workerID: "host-1:11:aaaa", host: "host-1", pid: 11, concurrency: 4, startedAt: F.at(0), heartbeatAt: F.at(0))
            try await store.registerWorker(first)
            var again = first
            again.pid = 12
            again.concurrency = 2
            again.startedAt = F.at(50)
            again.heartbeatAt = F.at(50)
            try await store.registerWorker(again)
            #expect(try await store.workers() == [again], "one row per worker id")

            let recent = WorkerRecord(workerID: "host-2:22:bbbb", host: "host-2", pid: 22, concurrency: 1, startedAt: F.at(60), heartbeatAt: F.at(60))
            try await store.registerWorker(recent)
            let dayLater = F.at(50 + 86_400 + 5)
            let fresh = WorkerRecord(workerID: "host-3:33:cccc", host: "host-3", pid: 33, concurrency: 1, startedAt: dayLater, heartbeatAt: dayLater)
            try await store.registerWorker(fresh)

            #expect(try await store.workers().map(\.workerID) == [fresh.workerID, recent.workerID], "silent for more than a day: forgotten")
        }
    }
}

/// Runs `body` on a fresh, migrated store of `kind` that knows the fixture workflows.
private func withWorkerStore(_ kind: StoreKind, _ body: (any WorkflowStore) async throws -> Void) async throws {
    let temporary = try await TemporaryStore(kind: kind, workflows: [Fixtures.flow, Fixtures.task])
    defer { withExtendedLifetime(temporary) {} }
    try await body(temporary.store)
}
