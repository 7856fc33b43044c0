import Foundation
import Logging
import Synchronization

/// The ledger as one run of one step sees it: what it records is stamped with the process,
/// step, attempt and runner, and fenced by the runner's lease.
public struct StepLedger: Sendable {
    public let store: any ChangeLedger
    public let processID: ProcessID
    public let step: StepKey
    public let execution: UUID
    public let attempt: Int
    public let runner: String
    public let subscriptionID: UUID?
    let environment: EngineEnvironment
    public let logger: Logger
    let activity: LedgerActivity

    public func now() -> Date { environment.now() }

    /// What a write is about to do, before it is sent.
    public struct Intent: Sendable {
        public var action: LedgerEntry.Action
        public var objectType: String
        public var objectID: Int?
        public var label: String?
        public var key: String?
        public var sent: JSONValue
        public var replaced: JSONValue?
        public var finder: JSONValue?

        public init(
            _ action: LedgerEntry.Action, _ objectType: String, objectID: Int? = nil, label: String? = nil, key: String? = nil,
            sent: JSONValue = .object([:]), replaced: JSONValue? = nil, finder: JSONValue? = nil
        ) {
            self.action = action
            self.objectType = objectType
            self.objectID = objectID
            self.label = label
            self.key = key
            self.sent = sent
            self.replaced = replaced
            self.finder = finder
        }
    }

    /// Records `intent` before the write is sent. Throws `.leaseLost`, recording nothing,
    /// when this runner no longer holds an unexpired lease: the write must not start.
    /// Unfenced (`fenced: false`) only for a release of what this run itself made.
    public func intend(_ intent: Intent, fenced: Bool = true) async throws -> UUID {
        let entry = LedgerEntry(
            entryID: environment.makeID(), processID: processID, step: step, execution: execution, attempt: attempt, runner: runner,
            subscriptionID: subscriptionID, action: intent.action, objectType: intent.objectType, objectID: intent.objectID,
            label: intent.label, key: intent.key, sent: intent.sent, replaced: intent.replaced, finder: intent.finder, startedAt: now())
        let fence = fenced ? LedgerFence(owner: runner, now: now()) : nil
        activity.wrote()
        guard try await store.recordIntent(entry, fence: fence) else {
            throw WorkflowError(
                .leaseLost,
                "runner \(runner) no longer holds process \(processID) (its lease expired or was taken over): "
                    + "no NetBox \(intent.action.rawValue) of \(intent.objectType) started",
                processID: processID, step: step)
        }
        return entry.entryID
    }

    /// Records how the write recorded as `entryID` ended.
    @discardableResult
    public func finish(
        _ entryID: UUID, _ outcome: LedgerEntry.Outcome, objectID: Int? = nil, label: String? = nil, answer: JSONValue? = nil,
        error: String? = nil, netboxRequestID: String? = nil
    ) async throws -> Bool {
        try await store.recordOutcome(
            entryID, outcome, objectID: objectID, label: label, answer: answer, error: error, at: now(), netboxRequestID: netboxRequestID)
    }

    /// Everything this process recorded.
    public func processEntries() async throws -> [LedgerEntry] {
        try await store.ledger(LedgerQuery(processID: processID))
    }

    /// Everything recorded for a subscription (by default the one this step works on), by any process.
    public func subscriptionEntries(_ id: UUID? = nil) async throws -> [LedgerEntry] {
        guard let id = id ?? subscriptionID else { return [] }
        return try await store.ledger(LedgerQuery(subscriptionID: id))
    }

    /// Creates of this step recorded under `key` by earlier runs of it (a crash, a retry,
    /// a runner that lost its lease) that may still exist: done and not deleted or released
    /// since, or pending (the answer never came). Newest first.
    public func earlierCreates(key: String) async throws -> [LedgerEntry] {
        let entries = try await processEntries()
        let alive = entries.living
        let earlier = entries.filter { entry in
            guard entry.action == .create, entry.step == step, entry.key == key, entry.heldBy != execution else { return false }
            switch entry.outcome {
            case .pending: return true
            case .done: return entry.objectRef.map { alive[$0] != nil } ?? false
            case .failed, .notMade: return false
            }
        }
        activity.offered(earlier)
        return earlier.reversed()
    }

    /// Makes this run answerable for an object an earlier run created; false when that
    /// run released it first.
    public func adopt(_ entry: LedgerEntry) async throws -> Bool {
        activity.adopted(entry.entryID)
        return try await store.claim(entry.entryID, for: execution)
    }
}

/// What one run did with the ledger, so that the runner reads it again only when there may
/// be something to release.
final class LedgerActivity: Sendable {
    private struct Notes {
        var wrote = false
        var offered: [UUID: LedgerEntry] = [:]
    }
    private let notes = Mutex(Notes())

    func wrote() { notes.withLock { $0.wrote = true } }
    func offered(_ entries: [LedgerEntry]) {
        notes.withLock { notes in for entry in entries { notes.offered[entry.entryID] = entry } }
    }
    func adopted(_ id: UUID) { notes.withLock { _ = $0.offered.removeValue(forKey: id) } }

    /// Whether the run recorded any write.
    var hasWritten: Bool { notes.withLock { $0.wrote } }
    /// Created objects of earlier runs the run was offered and did not adopt.
    var passedOver: [LedgerEntry] { notes.withLock { Array($0.offered.values) }.sorted { $0.startedAt < $1.startedAt } }
}
