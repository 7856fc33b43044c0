import Foundation

/// One write a step made, or was about to make, to NetBox: the ledger answers "which NetBox
/// objects did this process create, change or delete?" and decides what a step may adopt
/// after a crash and what a terminate may release.
///
/// The intent is recorded (fenced by the runner's lease) before the call and its outcome
/// after, each in its own transaction, so a kill -9 at any point leaves at most a `pending`
/// entry, which the step's look-before-create resolves the next time it runs.
public struct LedgerEntry: Sendable, Hashable, Codable {
    public enum Action: String, Sendable, Hashable, Codable {
        case create, update, delete
    }

    public enum Outcome: String, Sendable, Hashable, Codable {
        /// Recorded before the call; the answer never came back (yet).
        case pending
        case done
        /// NetBox refused or failed; nothing was written.
        case failed
        /// A pending write that a later run looked for and did not find: it never happened.
        case notMade = "not_made"
    }

    public var entryID: UUID
    public var processID: ProcessID
    public var step: StepKey
    /// One run of one step: the id of its log row once committed.
    public var execution: UUID
    public var attempt: Int
    public var runner: String
    public var subscriptionID: UUID?
    public var action: Action
    /// NetBox's name for the model: `ipam.prefix`, `ipam.ip-address`, `dcim.cable`, `dcim.device`, `dcim.interface`.
    public var objectType: String
    public var objectID: Int?
    /// What a person calls it: `10.0.0.0/31`, `loc1-core`, `Ethernet1`.
    public var label: String?
    /// The step's own name for what it creates (`v4 block`), by which a re-run adopts it.
    public var key: String?
    /// The fields sent.
    public var sent: JSONValue
    /// For an update, the values the sent fields had before.
    public var replaced: JSONValue?
    /// NetBox's answer (a created or updated object), as it came.
    public var answer: JSONValue?
    /// How to find a created object again when its answer was lost (NetBox-specific).
    public var finder: JSONValue?
    public var outcome: Outcome
    public var error: String?
    /// The run of the step answerable for a created object now: the creator, or a later run
    /// that adopted it.
    public var heldBy: UUID
    /// When the object was deleted again because the run that made it lost its lease or was
    /// replaced (not a terminate, which records a delete of its own).
    public var releasedAt: Date?
    public var startedAt: Date
    public var finishedAt: Date?

    public init(
        entryID: UUID, processID: ProcessID, step: StepKey, execution: UUID, attempt: Int, runner: String, subscriptionID: UUID?,
        action: Action, objectType: String, objectID: Int? = nil, label: String? = nil, key: String? = nil, sent: JSONValue = .object([:]),
        replaced: JSONValue? = nil, answer: JSONValue? = nil, finder: JSONValue? = nil, outcome: Outcome = .pending, error: String? = nil,
        heldBy: UUID? = nil, releasedAt: Date? = nil, startedAt: Date, finishedAt: Date? = nil
    ) {
        self.entryID = entryID
        self.processID = processID
        self.step = step
        self.execution = execution
        self.attempt = attempt
        self.runner = runner
        self.subscriptionID = subscriptionID
        self.action = action
        self.objectType = objectType
        self.objectID = objectID
        self.label = label
        self.key = key
        self.sent = sent
        self.replaced = replaced
        self.answer = answer
        self.finder = finder
        self.outcome = outcome
        self.error = error
        self.heldBy = heldBy ?? execution
        self.releasedAt = releasedAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
    }

    /// `dcim.cable:12`, the form `wf audit --netbox` takes.
    public var objectRef: String? { objectID.map { "\(objectType):\($0)" } }
}

/// Which ledger entries to read. Every set field must match.
public struct LedgerQuery: Sendable, Hashable {
    public var processID: ProcessID?
    public var subscriptionID: UUID?
    public var objectType: String?
    public var objectID: Int?
    public var limit: Int

    public init(processID: ProcessID? = nil, subscriptionID: UUID? = nil, objectType: String? = nil, objectID: Int? = nil, limit: Int = 10_000) {
        self.processID = processID
        self.subscriptionID = subscriptionID
        self.objectType = objectType
        self.objectID = objectID
        self.limit = limit
    }
}

/// Who may record a write: the runner holding the process's lease, until it expires.
public struct LedgerFence: Sendable, Hashable {
    public var owner: String
    public var now: Date

    public init(owner: String, now: Date) {
        self.owner = owner
        self.now = now
    }
}

/// Where the ledger lives; both stores keep it beside the processes it belongs to.
public protocol ChangeLedger: Sendable {
    /// Records the intent of a write. Returns false, writing nothing, when `fence.owner`
    /// does not hold an unexpired lease on the running process: that runner must not write.
    /// A nil fence records without one: a runner releasing what it made after it lost the lease.
    func recordIntent(_ entry: LedgerEntry, fence: LedgerFence?) async throws -> Bool

    /// Records how a pending write ended; false when it is settled already (another run
    /// found it). A write another run gave up as not made may still be recorded as made.
    /// `netboxRequestID` is NetBox's X-Request-ID for the call, which its webhooks repeat.
    func recordOutcome(
        _ entryID: UUID, _ outcome: LedgerEntry.Outcome, objectID: Int?, label: String?, answer: JSONValue?, error: String?, at: Date,
        netboxRequestID: String?
    ) async throws -> Bool

    /// Makes `execution` answerable for a created object; false when it was released.
    func claim(_ entryID: UUID, for execution: UUID) async throws -> Bool

    /// Marks a created object released by `heldBy`, the run answerable for it; false (and
    /// the caller must not delete it) when another run claimed it first or it was released.
    func markReleased(_ entryID: UUID, heldBy: UUID, at: Date) async throws -> Bool

    /// Takes a release back (the delete in NetBox failed): the object is `heldBy`'s again.
    func unmarkReleased(_ entryID: UUID, heldBy: UUID) async throws

    /// The entries `query` selects, in the order they were recorded.
    func ledger(_ query: LedgerQuery) async throws -> [LedgerEntry]
}

/// Deletes objects a run created but may not keep: the run lost its lease, or a later run
/// of the same step replaced it. Provided by the layer that talks to NetBox (`wf`
/// registers one); without one the engine leaves them to be listed as orphans.
public protocol LedgerReleaser: Sendable {
    func release(_ entries: [LedgerEntry], ledger: StepLedger, services: Services) async throws
}

extension Array where Element == LedgerEntry {
    /// The objects these entries say were created and still exist (not deleted or released
    /// since), with the entry that created each, keyed by `type:id`.
    public var living: [String: LedgerEntry] {
        var alive: [String: LedgerEntry] = [:]
        for entry in self where entry.outcome == .done {
            guard let ref = entry.objectRef else { continue }
            switch entry.action {
            case .create where entry.releasedAt == nil: alive[ref] = entry
            case .create, .delete: alive[ref] = nil
            case .update: continue
            }
        }
        return alive
    }
}
