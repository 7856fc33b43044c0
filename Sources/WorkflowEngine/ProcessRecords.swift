import Foundation

/// The id of a process: a UUID, written in lowercase (`processes.process_id`).
public struct ProcessID: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    public let uuid: UUID
    public init(_ uuid: UUID) { self.uuid = uuid }

    public init?(_ text: String) {
        guard let uuid = UUID(uuidString: text) else { return nil }
        self.uuid = uuid
    }

    public var description: String { uuid.uuidString.lowercased() }
    public static func < (lhs: ProcessID, rhs: ProcessID) -> Bool { lhs.description < rhs.description }

    public init(from decoder: any Decoder) throws {
        let text = try String(from: decoder)
        guard let uuid = UUID(uuidString: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a UUID: \(text)"))
        }
        self.uuid = uuid
    }

    public func encode(to encoder: any Encoder) throws { try description.encode(to: encoder) }
}

/// One row of `processes`: a run of a workflow and where it stands.
public struct ProcessRecord: Sendable, Hashable {
    public var processID: ProcessID
    public var workflowName: WorkflowName
    /// The hash of the step keys of the workflow when the process started.
    public var workflowVersion: String
    public var isTask: Bool
    public var status: ProcessStatus
    /// The key of the last step written to the log (nil before the first one).
    public var lastStep: StepKey?
    /// The state after the last committed step.
    public var state: State
    /// The question a suspended process waits on.
    public var form: Form?
    public var failedReason: String?
    public var createdBy: String
    public var startedAt: Date
    public var lastModifiedAt: Date
    /// The runner that owns the process while it runs, and until when.
    public var leaseOwner: String?
    public var leaseExpiresAt: Date?
    /// When a `waiting` process is due for its next attempt.
    public var nextRetryAt: Date?

    public init(
        processID: ProcessID, workflowName: WorkflowName, workflowVersion: String, isTask: Bool, status: ProcessStatus,
        lastStep: StepKey? = nil, state: State, form: Form? = nil, failedReason: String? = nil, createdBy: String,
        startedAt: Date, lastModifiedAt: Date, leaseOwner: String? = nil, leaseExpiresAt: Date? = nil, nextRetryAt: Date? = nil
    ) {
        self.processID = processID
        self.workflowName = workflowName
        self.workflowVersion = workflowVersion
        self.isTask = isTask
        self.status = status
        self.lastStep = lastStep
        self.state = state
        self.form = form
        self.failedReason = failedReason
        self.createdBy = createdBy
        self.startedAt = startedAt
        self.lastModifiedAt = lastModifiedAt
        self.leaseOwner = leaseOwner
        self.leaseExpiresAt = leaseExpiresAt
        self.nextRetryAt = nextRetryAt
    }
}

/// One row of the append-only step log, `process_steps`.
public struct StepRecord: Sendable, Hashable {
    public var stepID: UUID
    public var processID: ProcessID
    public var key: StepKey
    public var status: StepStatus
    /// The state after the step; for a failed or waiting step, the state it started from.
    public var state: State
    public var createdBy: String
    public var startedAt: Date
    public var completedAt: Date
    /// Which attempt of this step the row records, 1 for the first.
    public var attempt: Int
    public var nextRetryAt: Date?
    public var failedReason: String?
    public var errorType: String?
    /// The form of a `suspend` row, or the details of an error.
    public var details: JSONValue?

    public init(
        stepID: UUID, processID: ProcessID, key: StepKey, status: StepStatus, state: State, createdBy: String, startedAt: Date,
        completedAt: Date, attempt: Int = 1, nextRetryAt: Date? = nil, failedReason: String? = nil, errorType: String? = nil,
        details: JSONValue? = nil
    ) {
        self.stepID = stepID
        self.processID = processID
        self.key = key
        self.status = status
        self.state = state
        self.createdBy = createdBy
        self.startedAt = startedAt
        self.completedAt = completedAt
        self.attempt = attempt
        self.nextRetryAt = nextRetryAt
        self.failedReason = failedReason
        self.errorType = errorType
        self.details = details
    }
}

/// One accepted form answer, `input_states`: the initial input or a resume.
public struct InputStateRecord: Sendable, Hashable {
    public enum Kind: String, Sendable, Codable {
        case initialState = "initial_state"
        case userInput = "user_input"
    }

    public var processID: ProcessID
    public var input: State
    public var kind: Kind
    public var createdBy: String
    public var inputTime: Date
    /// The form page answered (`Form.name`), when the input came through a form.
    public var page: String?

    public init(processID: ProcessID, input: State, kind: Kind, createdBy: String, inputTime: Date, page: String? = nil) {
        self.processID = processID
        self.input = input
        self.kind = kind
        self.createdBy = createdBy
        self.inputTime = inputTime
        self.page = page
    }
}

/// Everything one step changes, written in one transaction by `ProcessStore.commitStep`.
///
/// While the process runs on (`status == .running`) the store only appends the log row: the
/// process's current step and state are those of its latest log row, and its lease is the
/// heartbeat's business. When the process stops, the process row takes the new status,
/// state, form and reason, and the lease is released.
public struct StepCommit: Sendable {
    public var step: StepRecord
    /// Only this runner may commit: the write is refused when another runner took the
    /// lease or the process is no longer `running` (aborted meanwhile).
    public var owner: String
    public var status: ProcessStatus
    public var state: State
    public var form: Form?
    public var failedReason: String?
    public var nextRetryAt: Date?
    /// Subscriptions the step saved: written in the same transaction, each as a new version.
    public var subscriptions: [SubscriptionWrite]
    /// The log row this runner committed just before, in this run: the write is refused when
    /// that row is not in the log. A database may acknowledge a write it then loses (over
    /// PostgreSQL's extended protocol, a connection that ends between a statement and its
    /// commit); a step built on a lost one must not be logged after it.
    public var follows: UUID?

    public init(
        step: StepRecord, owner: String, status: ProcessStatus, state: State, form: Form? = nil, failedReason: String? = nil,
        nextRetryAt: Date? = nil, subscriptions: [SubscriptionWrite] = [], follows: UUID? = nil
    ) {
        self.step = step
        self.owner = owner
        self.status = status
        self.state = state
        self.form = form
        self.failedReason = failedReason
        self.nextRetryAt = nextRetryAt
        self.subscriptions = subscriptions
        self.follows = follows
    }
}

/// A runner asking to own a process, and what to write when it gets it.
public struct LeaseRequest: Sendable {
    public var processID: ProcessID
    public var owner: String
    public var now: Date
    public var leaseExpiresAt: Date
    /// The process must be in one of these statuses, and nobody may hold a live lease on it.
    public var from: Set<ProcessStatus>
    /// For a `waiting` process picked up by the retry timer: it must be due by then.
    public var dueBy: Date?
    /// Written in the same transaction: the answered step (resume) and the answer.
    public var log: StepRecord?
    public var input: InputStateRecord?
    public var state: State?

    public init(
        processID: ProcessID, owner: String, now: Date, leaseExpiresAt: Date, from: Set<ProcessStatus>, dueBy: Date? = nil,
        log: StepRecord? = nil, input: InputStateRecord? = nil, state: State? = nil
    ) {
        self.processID = processID
        self.owner = owner
        self.now = now
        self.leaseExpiresAt = leaseExpiresAt
        self.from = from
        self.dueBy = dueBy
        self.log = log
        self.input = input
        self.state = state
    }
}

/// Which processes to list.
public struct ProcessFilter: Sendable {
    public var statuses: Set<ProcessStatus>
    public var workflow: WorkflowName?
    public var limit: Int
    /// Only suspended processes whose form waits for this user or team (`Form.assignee`).
    public var waitingFor: String?
    /// Only processes this user started.
    public var createdBy: String?
    /// Only processes that worked on this subscription.
    public var subscriptionID: UUID?
    /// Only processes started at or after this time, and before that one.
    public var startedAfter: Date?
    public var startedBefore: Date?
    /// Skips this many, for paging.
    public var offset: Int
    /// Oldest first instead of newest first.
    public var oldestFirst: Bool

    public init(
        statuses: Set<ProcessStatus> = [], workflow: WorkflowName? = nil, limit: Int = 50, waitingFor: String? = nil, createdBy: String? = nil,
        subscriptionID: UUID? = nil, startedAfter: Date? = nil, startedBefore: Date? = nil, offset: Int = 0, oldestFirst: Bool = false
    ) {
        self.statuses = statuses
        self.workflow = workflow
        self.limit = limit
        self.waitingFor = waitingFor
        self.createdBy = createdBy
        self.subscriptionID = subscriptionID
        self.startedAfter = startedAfter
        self.startedBefore = startedBefore
        self.offset = offset
        self.oldestFirst = oldestFirst
    }
}

/// A workflow as stored in `workflows`.
public struct WorkflowRow: Sendable, Hashable {
    public var name: WorkflowName
    public var target: WorkflowTarget
    public var description: String
    public var createdAt: Date

    public init(name: WorkflowName, target: WorkflowTarget, description: String, createdAt: Date) {
        self.name = name
        self.target = target
        self.description = description
        self.createdAt = createdAt
    }
}

/// A subscription lock a process takes when it is created (modify, terminate, validate).
public struct SubscriptionLock: Sendable, Hashable {
    /// Whether the subscription must be in sync to be locked, as orchestrator-core asks of
    /// modify and terminate workflows.
    public enum SyncRule: Sendable, Hashable {
        /// Any subscription that nobody holds (a validate: it is how one gets back in sync).
        case any
        /// Only an in-sync subscription (a modify).
        case inSync
        /// In sync, unless it never became active (a terminate: an aborted create leaves a
        /// `provisioning` subscription out of sync, and terminate is how it is cleaned up).
        case inSyncOnceActive

        /// Whether a subscription in `status` that is (or is not) in sync may be locked.
        public func allows(insync: Bool, status: Lifecycle) -> Bool {
            switch self {
            case .any: true
            case .inSync: insync
            case .inSyncOnceActive: insync || status == .initial || status == .provisioning
            }
        }
    }

    public var subscriptionID: UUID
    /// Refuse when another live subscription uses this one (a terminate).
    public var refuseIfInUse: Bool
    public var sync: SyncRule

    public init(_ subscriptionID: UUID, refuseIfInUse: Bool = false, sync: SyncRule = .any) {
        self.subscriptionID = subscriptionID
        self.refuseIfInUse = refuseIfInUse
        self.sync = sync
    }
}
