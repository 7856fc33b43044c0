import Foundation

/// A process checked and built but not stored yet (see `Engine.prepareEnqueue`): the row,
/// its input pages and the subscription locks it takes, to insert in one transaction.
public struct PreparedProcess: Sendable {
    public var process: ProcessRecord
    public var inputs: [InputStateRecord]
    public var locks: [SubscriptionLock]

    public init(process: ProcessRecord, inputs: [InputStateRecord], locks: [SubscriptionLock]) {
        self.process = process
        self.inputs = inputs
        self.locks = locks
    }
}

/// A workflow started on a cron expression (`wf schedule add`).
public struct Schedule: Sendable, Hashable {
    public var id: UUID
    /// Unique; how operators name it (`wf schedule pause nightly-validate`).
    public var name: String
    public var workflow: WorkflowName
    /// The cron expression as given (`0 9-16 * * 0-5`, `@hourly`).
    public var cron: String
    /// The IANA time zone the expression is read in (`Europe/Amsterdam`).
    public var timeZone: String
    /// The answers to the workflow's initial form, as `wf start --input` takes them.
    public var input: JSONValue
    public var paused: Bool
    /// When it fires next; nil until a scheduler first computes it.
    public var nextDueAt: Date?
    public var createdBy: String
    public var createdAt: Date

    public init(
        id: UUID, name: String, workflow: WorkflowName, cron: String, timeZone: String, input: JSONValue = .object([:]), paused: Bool = false,
        nextDueAt: Date? = nil, createdBy: String, createdAt: Date
    ) {
        self.id = id
        self.name = name
        self.workflow = workflow
        self.cron = cron
        self.timeZone = timeZone
        self.input = input
        self.paused = paused
        self.nextDueAt = nextDueAt
        self.createdBy = createdBy
        self.createdAt = createdAt
    }

    /// The parsed expression and time zone; throws an `invalidInput` error naming what is wrong.
    public func parsed() throws -> (cron: CronSchedule, zone: TimeZone) {
        let cron: CronSchedule
        do { cron = try CronSchedule(parsing: self.cron) } catch { throw WorkflowError(.invalidInput, error.message) }
        return (cron, try Self.zone(named: timeZone))
    }

    /// The time zone named `name` (IANA, as `Europe/Amsterdam`, or `UTC`).
    public static func zone(named name: String) throws -> TimeZone {
        guard let zone = TimeZone(identifier: name) else {
            throw WorkflowError(.invalidInput, "'\(name)' is not a time zone name (IANA, as Europe/Amsterdam or UTC)")
        }
        return zone
    }

    /// A schedule name: letters, digits, `-`, `_`, `.`; 1 to 64 characters.
    public static func checkName(_ name: String) throws {
        let allowed = name.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || "-_.".unicodeScalars.contains($0) }
        guard (1...64).contains(name.count), allowed, name.unicodeScalars.allSatisfy(\.isASCII) else {
            throw WorkflowError(.invalidInput, "schedule name '\(name)' must be 1 to 64 letters, digits, '-', '_' or '.'")
        }
    }
}

/// One time a schedule fired: the process it started, or why the start was refused.
public struct ScheduleRun: Sendable, Hashable {
    public var scheduleID: UUID
    public var scheduleName: String
    /// The due time it fired for (the latest one missed, after a scheduler was down).
    public var dueAt: Date
    public var firedAt: Date
    /// The runner that fired it (`host:pid`).
    public var firedBy: String
    public var processID: ProcessID?
    public var refusal: String?

    public init(
        scheduleID: UUID, scheduleName: String, dueAt: Date, firedAt: Date, firedBy: String, processID: ProcessID? = nil, refusal: String? = nil
    ) {
        self.scheduleID = scheduleID
        self.scheduleName = scheduleName
        self.dueAt = dueAt
        self.firedAt = firedAt
        self.firedBy = firedBy
        self.processID = processID
        self.refusal = refusal
    }
}

/// What a scheduler asks the store to do, atomically, when a schedule is due.
public struct ScheduleFiring: Sendable {
    public var run: ScheduleRun
    /// The `next_due_at` the scheduler read: the firing happens only if it is still that
    /// (another scheduler moved it on otherwise). Nil for `run-now`, which moves nothing.
    public var expectedNextDue: Date?
    /// Where `next_due_at` moves to.
    public var nextDue: Date?
    /// The process to insert with the run, or nil when its start was refused (`run.refusal`).
    public var process: PreparedProcess?

    public init(run: ScheduleRun, expectedNextDue: Date?, nextDue: Date?, process: PreparedProcess?) {
        self.run = run
        self.expectedNextDue = expectedNextDue
        self.nextDue = nextDue
        self.process = process
    }
}

/// Where schedules and their runs live; both stores keep them beside the processes.
public protocol ScheduleStore: Sendable {
    /// Adds a schedule; refuses a name that is taken, naming it.
    func addSchedule(_ schedule: Schedule) async throws
    func schedules() async throws -> [Schedule]
    func schedule(named name: String) async throws -> Schedule?
    /// Pauses or resumes one; false when there is no such schedule. Resuming sets
    /// `nextDue` (from now: a paused schedule does not catch up).
    func setSchedulePaused(_ name: String, paused: Bool, nextDue: Date?) async throws -> Bool
    /// Removes one (its runs stay); false when there is no such schedule.
    func removeSchedule(named name: String) async throws -> Bool
    /// Unpaused schedules due by `now` or never computed (`next_due_at` nil), oldest due first.
    func dueSchedules(now: Date, limit: Int) async throws -> [Schedule]
    /// Sets the first `next_due_at` of a schedule that has none; false when it has one already.
    func initializeNextDue(_ scheduleID: UUID, to date: Date) async throws -> Bool
    /// In one transaction: moves `next_due_at` from `expectedNextDue` to `nextDue` (when
    /// expected is set), inserts the run and the process (with its locks). Returns false,
    /// writing nothing, when `next_due_at` was no longer `expectedNextDue` or the run's
    /// (schedule, due time) was taken: another scheduler fired it.
    func fire(_ firing: ScheduleFiring) async throws -> Bool
    /// The newest runs of a schedule (all schedules when nil), newest first.
    func scheduleRuns(of scheduleID: UUID?, limit: Int) async throws -> [ScheduleRun]
    /// The run that started `processID`, if a schedule started it.
    func scheduleRun(startedProcess processID: ProcessID) async throws -> ScheduleRun?
}
