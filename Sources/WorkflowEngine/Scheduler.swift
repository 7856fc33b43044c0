import Foundation
import Logging
import ServiceLifecycle

/// What a scheduler needs from the store: schedules, drift checks, subscriptions.
public typealias SchedulerStore = ScheduleStore & DriftCheckStore & SubscriptionStore

/// Starts the work nobody types: schedules that are due, and the validations NetBox
/// webhooks asked for. Runs in every `wf serve` and `wf worker`; any number of them on one
/// database fire each due time once, because the store fires a schedule only by moving its
/// `next_due_at` on from the value the scheduler read, in the transaction that inserts the
/// process (and a drift check is removed by the one runner that takes it).
///
/// A scheduler that was down fires a schedule's missed times once, for the latest of them,
/// and then goes on from now. The processes it starts are ordinary `created` processes,
/// run by workers, with user `scheduler` (drift validations: `netbox-webhook`).
public final class Scheduler: Service, Sendable {
    public let engine: Engine
    private let store: any SchedulerStore
    private let interval: Duration
    /// Who fires (`host:pid`), recorded with each run.
    public let runner: String

    /// The user a schedule's processes run as.
    public static let user = "scheduler"
    /// The user of the validations a NetBox webhook asked for.
    public static let webhookUser = "netbox-webhook"

    public init(engine: Engine, store: any SchedulerStore, interval: Duration = .seconds(1), runner: String? = nil) {
        self.engine = engine
        self.store = store
        self.interval = interval
        self.runner = runner ?? engine.configuration.runnerID
    }

    /// What one tick did.
    public struct TickReport: Sendable, Hashable {
        /// The runs this scheduler fired (started or refused).
        public var fired: [ScheduleRun] = []
        /// The validations started for drift checks, by subscription.
        public var validations: [UUID: ProcessID] = [:]
        /// Drift checks taken but not acted on, with why.
        public var skippedChecks: [UUID: String] = [:]
        /// Drift checks put back until the process holding their subscription has ended.
        public var postponedChecks: [UUID: ProcessID] = [:]
    }

    public func run() async throws {
        let logger = engine.logger
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                _ = try await tick()
            } catch {
                logger.warning("scheduler tick failed; trying again", metadata: ["error": "\(error)"])
            }
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
            } catch {
                return
            }
        }
    }

    /// Fires the schedules due by now and starts the validations due by now.
    @discardableResult
    public func tick() async throws -> TickReport {
        var report = TickReport()
        let now = engine.environment.now()
        for schedule in try await store.dueSchedules(now: now, limit: 100) {
            if let run = try await fire(schedule, now: now) { report.fired.append(run) }
        }
        for check in try await store.takeDueDriftChecks(now: now, limit: 100) {
            do {
                report.validations[check.subscriptionID] = try await validate(check)
            } catch let held as HeldSubscription {
                // The holder may be the change's author or not: check once it has ended.
                try await store.postponeDriftCheck(check, to: now + Self.heldRecheck)
                report.postponedChecks[check.subscriptionID] = held.holder
            } catch let skipped as SkippedCheck {
                report.skippedChecks[check.subscriptionID] = skipped.reason
                engine.logger.info(
                    "drift check skipped", metadata: ["subscription.id": "\(check.subscriptionID)", "reason": "\(skipped.reason)"])
            }
        }
        return report
    }

    /// Fires `schedule` for its latest due time by `now`; nil when another scheduler did, or
    /// when it had no due time yet (then it gets its first).
    func fire(_ schedule: Schedule, now: Date) async throws -> ScheduleRun? {
        let (cron, zone): (CronSchedule, TimeZone)
        do {
            (cron, zone) = try schedule.parsed()
        } catch {
            engine.logger.error("schedule cannot be read; skipped", metadata: ["schedule": "\(schedule.name)", "error": "\(error)"])
            return nil
        }
        guard let expected = schedule.nextDueAt else {
            if let first = cron.nextDue(after: now, in: zone) { _ = try await store.initializeNextDue(schedule.id, to: first) }
            return nil
        }
        // Missed times (a scheduler was down) fire once, for the latest of them.
        let due = cron.lastDue(after: expected, through: now, in: zone) ?? expected
        return try await fire(schedule, due: due, expected: expected, nextDue: cron.nextDue(after: now, in: zone), now: now, user: Self.user)
    }

    /// Starts `schedule`'s workflow now, outside its cron times (`wf schedule run-now`); the
    /// run is recorded for `now`, as `user`.
    public func runNow(_ schedule: Schedule, user: String) async throws -> ScheduleRun {
        let now = engine.environment.now()
        guard let run = try await fire(schedule, due: now, expected: nil, nextDue: nil, now: now, user: user) else {
            throw WorkflowError(.processBusy, "schedule \(schedule.name) was fired for \(now) already; try again")
        }
        return run
    }

    private func fire(_ schedule: Schedule, due: Date, expected: Date?, nextDue: Date?, now: Date, user: String) async throws -> ScheduleRun? {
        var run = ScheduleRun(scheduleID: schedule.id, scheduleName: schedule.name, dueAt: due, firedAt: now, firedBy: runner)
        var prepared: PreparedProcess?
        do {
            prepared = try await engine.prepareEnqueue(schedule.workflow, input: FormInput(json: schedule.input), user: user)
            run.processID = prepared?.process.processID
        } catch let error as WorkflowError {
            run.refusal = error.description
        }
        var firing = ScheduleFiring(run: run, expectedNextDue: expected, nextDue: nextDue, process: prepared)
        do {
            guard try await store.fire(firing) else { return nil }
        } catch let error as WorkflowError where [.subscriptionLocked, .subscriptionOutOfSync, .subscriptionInUse].contains(error.code) {
            // The store refused the process's lock: keep the run, as refused, and go on.
            firing.process = nil
            firing.run.processID = nil
            firing.run.refusal = error.description
            guard try await store.fire(firing) else { return nil }
        }
        engine.logger.info(
            "schedule fired",
            metadata: [
                "schedule": "\(schedule.name)", "due": "\(due)", "process.id": "\(firing.run.processID?.description ?? "-")",
                "refusal": "\(firing.run.refusal ?? "-")",
            ])
        return firing.run
    }

    private struct SkippedCheck: Error {
        var reason: String
    }

    private struct HeldSubscription: Error {
        var holder: ProcessID
    }

    /// How long a drift check waits while a process holds its subscription.
    public static let heldRecheck: TimeInterval = 30

    /// Starts the validate workflow of the checked subscription's product.
    private func validate(_ check: DriftCheck) async throws -> ProcessID {
        if !check.requestIDs.isEmpty {
            var own = true
            for id in check.requestIDs where try await !store.isOwnNetBoxRequest(id) {
                own = false
                break
            }
            if own { throw SkippedCheck(reason: "every change was the orchestrator's own NetBox call") }
        }
        guard let summary = try await store.subscriptions(SubscriptionFilter(limit: 1, id: check.subscriptionID)).first else {
            throw SkippedCheck(reason: "the subscription no longer exists")
        }
        guard summary.status == .active else { throw SkippedCheck(reason: "the subscription is \(summary.status.rawValue), not active") }
        if let holder = summary.lockedBy { throw HeldSubscription(holder: holder) }
        let validate = engine.products[summary.productName]?.workflows.first { engine.registry[$0]?.target == .validate }
        guard let validate else { throw SkippedCheck(reason: "product \(summary.productName) has no validate workflow") }
        do {
            return try await engine.enqueue(
                validate, input: .merged(["subscription_id": .string(check.subscriptionID.uuidString.lowercased())]), user: Self.webhookUser)
        } catch let error as WorkflowError {
            throw SkippedCheck(reason: "\(validate) was refused: \(error.message)")
        }
    }
}

extension FormInput {
    /// Answers kept as JSON (a schedule's input): an object answers every page at once, an
    /// array of objects one page each.
    public init(json: JSONValue) throws {
        switch json {
        case .object(let members): self = .merged(State(members))
        case .array(let pages):
            self = .pages(
                try pages.map { page in
                    guard case .object(let members) = page else {
                        throw WorkflowError(.invalidInput, "each page's answers must be a JSON object, not \(page.typeName)")
                    }
                    return State(members)
                })
        default: throw WorkflowError(.invalidInput, "answers must be a JSON object (or an array of one per page), not \(json.typeName)")
        }
    }
}
