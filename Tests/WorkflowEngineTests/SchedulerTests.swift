import Foundation
import Persistence
import Products
import Testing
import WorkflowEngine
import WorkflowTestKit

/// Schedules on each store, on a manual clock: two schedulers on one database fire each due
/// time once, a scheduler that was down catches up once, a refused start is kept and does not
/// come back every tick, paused schedules wait; webhook deliveries are recorded once and
/// their drift checks coalesce.
@Suite("Schedules: each due time fired once", .storeSlots, .timeLimit(.minutes(5)))
struct SchedulerTests {
    static let task = WorkflowDefinition(name: "nightly_check", target: .system, description: "a task to schedule", steps: StepList([done]))

    /// Stands for the PostgreSQL cases the store tests below drop without a server.
    @Test(.enabled(if: StoreKind.postgresURL != nil, StoreKind.postgresCasesSkipped(8)))
    func postgreSQLCasesRan() async throws {
        #expect(StoreKind.available.contains(.postgres))
    }

    static func instant(_ text: String) -> Date {
        let formatter = ISO8601DateFormatter()
        return formatter.date(from: text)!
    }

    /// A store with the task, its default schedule removed, and a schedule added for `cron`.
    static func setUp(_ kind: StoreKind, cron: String, zone: String = "UTC", start: Date, workflow: WorkflowName = task.name) async throws
        -> (TemporaryStore, Schedule)
    {
        let temporary = try await TemporaryStore(kind: kind, workflows: [task])
        #expect(try await temporary.store.removeSchedule(named: "validate-subscriptions-hourly"))
        let parsed = try CronSchedule(parsing: cron)
        let schedule = Schedule(
            id: UUID(), name: "s1", workflow: workflow, cron: cron, timeZone: zone,
            nextDueAt: parsed.nextDue(after: start, in: try Schedule.zone(named: zone)), createdBy: "alice", createdAt: start)
        try await temporary.store.addSchedule(schedule)
        return (temporary, schedule)
    }

    @Test(arguments: StoreKind.available)
    func twoSchedulersOnOneDatabaseFireEachDueTimeOnceAcrossADaylightSavingChange(kind: StoreKind) async throws {
        let start = Self.instant("2026-03-28T20:00:00Z")
        let (temporary, schedule) = try await Self.setUp(kind, cron: "*/20 1-3 * * *", zone: "Europe/Amsterdam", start: start)
        let other = try await temporary.reopen()
        let clock = ManualClock(start)
        let first = Scheduler(
            engine: try Engine.testing(store: temporary.store, workflows: [Self.task], clock: clock, runner: "first"), store: temporary.store)
        let second = Scheduler(engine: try Engine.testing(store: other, workflows: [Self.task], clock: clock, runner: "second"), store: other)
        // Two days in steps of 7 minutes, both schedulers ticking at once each time.
        var fired: [ScheduleRun] = []
        for _ in 0..<(2 * 24 * 60 / 7) {
            clock.advance(by: .seconds(7 * 60))
            async let one = first.tick()
            async let two = second.tick()
            fired += try await one.fired + two.fired
        }
        let end = clock.now
        // 01:00-03:40 local every 20 minutes; on 2026-03-29 the clock skips 02:00-02:59, whose
        // three times fire once, at 03:00 (which is due anyway): 6 runs that day, 9 the next.
        let expected = try CronSchedule(parsing: schedule.cron).dueTimes(
            after: start, through: end, in: try Schedule.zone(named: "Europe/Amsterdam"), limit: 100)
        #expect(expected.count == 15)
        let runs = try await temporary.store.scheduleRuns(of: schedule.id, limit: 1000)
        #expect(runs.count == expected.count, "one run per due time")
        #expect(Set(runs.map(\.dueAt)) == Set(expected))
        #expect(fired.count == runs.count, "each run reported by the one scheduler that fired it")
        #expect(Set(runs.map(\.firedBy)).isSubset(of: ["first", "second"]))
        // Each run started one process of the task, as the scheduler, and says which.
        let processes = try await temporary.store.processes(ProcessFilter(limit: 1000))
        #expect(processes.count == runs.count)
        #expect(processes.allSatisfy { $0.createdBy == Scheduler.user && $0.workflowName == Self.task.name && $0.status == .created })
        #expect(Set(processes.map(\.processID)) == Set(runs.compactMap(\.processID)))
        let one = try #require(processes.first)
        #expect(try await temporary.store.scheduleRun(startedProcess: one.processID)?.scheduleName == "s1")
    }

    @Test(arguments: StoreKind.available)
    func aSchedulerThatWasDownFiresTheLatestMissedTimeOnceAndGoesOnFromNow(kind: StoreKind) async throws {
        let start = Self.instant("2026-06-01T10:30:00Z")
        let (temporary, schedule) = try await Self.setUp(kind, cron: "@hourly", start: start)
        let clock = ManualClock(start)
        let scheduler = Scheduler(engine: try Engine.testing(store: temporary.store, workflows: [Self.task], clock: clock), store: temporary.store)
        // Down from 10:30 to 15:10: 11:00 … 15:00 were missed.
        clock.advance(by: .seconds(4 * 3600 + 40 * 60))
        let report = try await scheduler.tick()
        #expect(report.fired.map(\.dueAt) == [Self.instant("2026-06-01T15:00:00Z")], "one run, for the latest missed time")
        #expect(try await scheduler.tick().fired.isEmpty, "nothing more until 16:00")
        #expect(try await temporary.store.schedule(named: schedule.name)?.nextDueAt == Self.instant("2026-06-01T16:00:00Z"))
        clock.advance(by: .seconds(50 * 60))
        #expect(try await scheduler.tick().fired.map(\.dueAt) == [Self.instant("2026-06-01T16:00:00Z")])
        #expect(try await temporary.store.processes(ProcessFilter(limit: 100)).count == 2)
    }

    @Test(arguments: StoreKind.available)
    func aRefusedStartIsKeptWithItsReasonAndTheScheduleGoesOn(kind: StoreKind) async throws {
        let start = Self.instant("2026-06-01T10:30:00Z")
        // The workflow is not one this engine knows (it was removed from the code).
        let (temporary, schedule) = try await Self.setUp(kind, cron: "@hourly", start: start, workflow: "retired_task")
        let clock = ManualClock(start)
        let scheduler = Scheduler(engine: try Engine.testing(store: temporary.store, workflows: [Self.task], clock: clock), store: temporary.store)
        clock.advance(by: .seconds(3600))
        let run = try #require(try await scheduler.tick().fired.first)
        #expect(run.processID == nil)
        #expect(run.refusal?.contains("retired_task") == true, "\(run.refusal ?? "")")
        #expect(try await scheduler.tick().fired.isEmpty, "not again every tick")
        #expect(try await temporary.store.scheduleRuns(of: schedule.id, limit: 10).count == 1)
        #expect(try await temporary.store.processes(ProcessFilter(limit: 10)).isEmpty)
    }

    @Test(arguments: StoreKind.available)
    func aPausedScheduleFiresNothingAndResumesFromNow(kind: StoreKind) async throws {
        let start = Self.instant("2026-06-01T10:30:00Z")
        let (temporary, schedule) = try await Self.setUp(kind, cron: "@hourly", start: start)
        let clock = ManualClock(start)
        let scheduler = Scheduler(engine: try Engine.testing(store: temporary.store, workflows: [Self.task], clock: clock), store: temporary.store)
        #expect(try await temporary.store.setSchedulePaused(schedule.name, paused: true, nextDue: nil))
        clock.advance(by: .seconds(3 * 3600))
        #expect(try await scheduler.tick().fired.isEmpty)
        #expect(try await temporary.store.setSchedulePaused(schedule.name, paused: false, nextDue: Self.instant("2026-06-01T14:00:00Z")))
        #expect(try await scheduler.tick().fired.isEmpty, "a resumed schedule does not catch up what it missed while paused")
        clock.advance(by: .seconds(3600))
        #expect(try await scheduler.tick().fired.map(\.dueAt) == [Self.instant("2026-06-01T14:00:00Z")])
        #expect(try await temporary.store.setSchedulePaused("no-such", paused: true, nextDue: nil) == false)
        await #expect(throws: WorkflowError.self) { try await temporary.store.addSchedule(schedule) }
    }

    @Test(arguments: StoreKind.available)
    func migratingMakesTheHourlyValidationScheduleOnceAndARemovedOneStaysRemoved(kind: StoreKind) async throws {
        let temporary = try await TemporaryStore(kind: kind, workflows: [Self.task])
        let made = try #require(try await temporary.store.schedule(named: "validate-subscriptions-hourly"))
        #expect(made.workflow == "validate_subscriptions" && made.cron == "@hourly" && made.timeZone == "UTC" && !made.paused)
        #expect(made.nextDueAt == nil, "the first scheduler computes it")
        let clock = ManualClock(Self.instant("2026-06-01T10:30:00Z"))
        let scheduler = Scheduler(engine: try Engine.testing(store: temporary.store, workflows: [Self.task], clock: clock), store: temporary.store)
        #expect(try await scheduler.tick().fired.isEmpty)
        #expect(try await temporary.store.schedule(named: made.name)?.nextDueAt == Self.instant("2026-06-01T11:00:00Z"))
        #expect(try await temporary.store.removeSchedule(named: made.name))
        try await temporary.store.migrate()
        #expect(try await temporary.store.schedule(named: made.name) == nil)
    }

    @Test(arguments: StoreKind.available)
    func deliveriesAreRecordedOnceAndTheirChecksCoalescePerSubscription(kind: StoreKind) async throws {
        let temporary = try await TemporaryStore(kind: kind, workflows: [Self.task])
        let store = temporary.store
        let (a, b) = (UUID(), UUID())
        let now = Self.instant("2026-06-01T10:30:00Z")
        func delivery(_ body: String, request: String, owners: [UUID], at offset: TimeInterval) -> NetBoxDelivery {
            NetBoxDelivery(
                bodySHA256: body, receivedAt: now + offset, requestID: request, event: "updated", objectType: "dcim.cable", objectID: 1,
                owners: owners)
        }
        // Ten changes within a second to what `a` owns, two of them also `b`'s; one repeated byte for byte.
        for index in 0..<10 {
            let owners = index < 2 ? [a, b] : [a]
            #expect(
                try await store.recordDelivery(
                    delivery("body\(index)", request: "r\(index % 3)", owners: owners, at: 0.1 * Double(index)), checkDueAt: now + 1))
        }
        #expect(try await store.recordDelivery(delivery("body3", request: "r0", owners: [a], at: 0.5), checkDueAt: now + 1.5) == false)
        // Nobody owns this one: recorded, no check.
        #expect(try await store.recordDelivery(delivery("lonely", request: "r9", owners: [], at: 0.2), checkDueAt: now + 1))
        #expect(try await store.netBoxDeliveries(limit: 100).count == 11)
        #expect(try await store.takeDueDriftChecks(now: now + 0.9, limit: 10).isEmpty, "not due before the debounce ends")
        let checks = try await store.takeDueDriftChecks(now: now + 1, limit: 10).sorted { $0.changes > $1.changes }
        #expect(checks.map(\.subscriptionID) == [a, b])
        #expect(checks.map(\.changes) == [10, 2])
        #expect(Set(checks[0].requestIDs) == ["r0", "r1", "r2"])
        #expect(checks[0].dueAt == now + 1, "later changes do not push the check back")
        #expect(try await store.takeDueDriftChecks(now: now + 5, limit: 10).isEmpty, "a check is taken once")
        #expect(try await store.isOwnNetBoxRequest("r0") == false)
    }

    @Test(arguments: StoreKind.available)
    func aCheckForTheOrchestratorsOwnNetBoxCallsOrAGoneSubscriptionStartsNothing(kind: StoreKind) async throws {
        let temporary = try await TemporaryStore(kind: kind, workflows: [Self.task])
        let store = temporary.store
        let clock = ManualClock(Self.instant("2026-06-01T10:30:00Z"))
        let engine = try Engine.testing(store: store, workflows: [Self.task], clock: clock)
        // A write this orchestrator made, answered under NetBox request id "own-1".
        let process = try await engine.enqueue(Self.task.name, user: "alice")
        let entry = LedgerEntry(
            entryID: UUID(), processID: process, step: "one", execution: UUID(), attempt: 1, runner: "r", subscriptionID: nil, action: .update,
            objectType: "dcim.cable", objectID: 7, startedAt: clock.now)
        _ = try await store.recordIntent(entry, fence: nil)
        _ = try await store.recordOutcome(
            entry.entryID, .done, objectID: 7, label: nil, answer: nil, error: nil, at: clock.now, netboxRequestID: "own-1")
        let (own, gone) = (UUID(), UUID())
        func delivery(_ body: String, request: String, owner: UUID) -> NetBoxDelivery {
            NetBoxDelivery(
                bodySHA256: body, receivedAt: clock.now, requestID: request, event: "updated", objectType: "dcim.cable", objectID: 7, owners: [owner])
        }
        _ = try await store.recordDelivery(delivery("a", request: "own-1", owner: own), checkDueAt: clock.now + 1)
        _ = try await store.recordDelivery(delivery("b", request: "someone-else", owner: gone), checkDueAt: clock.now + 1)
        clock.advance(by: .seconds(2))
        let report = try await Scheduler(engine: engine, store: store).tick()
        #expect(report.validations.isEmpty)
        #expect(report.skippedChecks[own]?.contains("own NetBox call") == true, "\(report.skippedChecks)")
        #expect(report.skippedChecks[gone]?.contains("no longer exists") == true, "\(report.skippedChecks)")
        #expect(try await store.processes(ProcessFilter(limit: 10)).count == 1, "only the process made above")
    }

    @Test(arguments: StoreKind.available)
    func aCheckForAHeldSubscriptionWaitsUntilTheHolderHasEndedThenValidates(kind: StoreKind) async throws {
        let validate = WorkflowDefinition(name: "validate_node", target: .validate, description: "stand-in", steps: StepList([done]))
        let products = try ProductRegistry(ProductCatalog.all)
        let temporary = try await TemporaryStore(kind: kind, workflows: [Self.task, validate], products: products.products)
        let store = temporary.store
        let clock = ManualClock(Self.instant("2026-06-01T10:30:00Z"))
        let workflows = [Self.task, validate] + TemporaryStore.standIns(for: products.products, except: [validate])
        let engine = try Engine.testing(store: store, workflows: workflows, products: products, clock: clock)
        let node = try await store.seed(
            NodeFlows.model(NodeFlows.node("rt1"), status: .active), product: try products.product(named: "Node"), now: clock.now)
        // A process of someone's holds the Node.
        let holderID = ProcessID(UUID())
        let holder = ProcessRecord(
            processID: holderID, workflowName: Self.task.name, workflowVersion: Self.task.version, isTask: true, status: .suspended,
            state: ["process_id": .string(holderID.description)], createdBy: "alice", startedAt: clock.now, lastModifiedAt: clock.now)
        try await store.insertProcess(
            holder, inputs: [InputStateRecord(processID: holderID, input: State(), kind: .initialState, createdBy: "alice", inputTime: clock.now)],
            locks: [SubscriptionLock(node.subscriptionID)])
        let delivery = NetBoxDelivery(
            bodySHA256: "x", receivedAt: clock.now, requestID: "someone-else", event: "updated", objectType: "dcim.device", objectID: 7,
            owners: [node.subscriptionID])
        _ = try await store.recordDelivery(delivery, checkDueAt: clock.now + 1)
        let scheduler = Scheduler(engine: engine, store: store)
        clock.advance(by: .seconds(2))
        let first = try await scheduler.tick()
        #expect(first.postponedChecks[node.subscriptionID] == holderID)
        #expect(first.validations.isEmpty)
        clock.advance(by: .seconds(Scheduler.heldRecheck / 2))
        #expect(try await scheduler.tick().postponedChecks.isEmpty, "not looked at again before its time")
        _ = try await engine.abort(holderID, user: "alice")
        clock.advance(by: .seconds(Scheduler.heldRecheck))
        let second = try await scheduler.tick()
        let validation = try #require(second.validations[node.subscriptionID])
        let process = try #require(try await store.process(validation))
        #expect(process.workflowName == "validate_node" && process.createdBy == Scheduler.webhookUser)
    }
}
