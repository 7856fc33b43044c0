import Foundation
import Synchronization
import WorkflowEngine

/// A store that loses the commit of one named step once, as if `wf` died right after the
/// step's NetBox calls and before its commit; everything else goes to the real store. Its
/// ledger hooks pause a runner around an intent or lose an outcome.
final class CrashingStore: ProcessStore {
    let base: any ProcessStore
    private let pending: Mutex<Set<StepKey>>

    /// Runs before each intent is recorded, and after (with whether it was); a test pauses
    /// a runner there, as a SIGSTOP would.
    let beforeIntent: @Sendable (LedgerEntry) async -> Void
    let afterIntent: @Sendable (LedgerEntry, Bool) async -> Void
    /// Intents whose outcome is lost (as if the runner died between NetBox's answer and
    /// its record): matched on the intent, the outcome silently not written.
    let losesOutcome: @Sendable (LedgerEntry) -> Bool
    private let lost = Mutex<Set<UUID>>([])
    /// The step keys of each commit the runner sent, in order: one list per transaction.
    let commits = Mutex<[[StepKey]]>([])

    init(
        _ base: any ProcessStore, crashingAfter steps: Set<StepKey>, beforeIntent: @escaping @Sendable (LedgerEntry) async -> Void = { _ in },
        afterIntent: @escaping @Sendable (LedgerEntry, Bool) async -> Void = { _, _ in },
        losesOutcome: @escaping @Sendable (LedgerEntry) -> Bool = { _ in false }
    ) {
        self.base = base
        pending = Mutex(steps)
        self.beforeIntent = beforeIntent
        self.afterIntent = afterIntent
        self.losesOutcome = losesOutcome
    }

    /// Loses the next commit of each of `steps` too (a test that sets up with this store first).
    func arm(_ steps: Set<StepKey>) {
        pending.withLock { $0.formUnion(steps) }
    }

    struct Crash: Error, CustomStringConvertible {
        var step: StepKey
        var description: String { "simulated crash before the commit of \(step)" }
    }

    func commitStep(_ commit: StepCommit) async throws {
        let crash = pending.withLock { $0.remove(commit.step.key) != nil }
        if crash { throw Crash(step: commit.step.key) }
        try await base.commitStep(commit)
        self.commits.withLock { $0.append([commit.step.key]) }
    }

    func commitSteps(_ commits: [StepCommit]) async throws {
        if let crashing = commits.first(where: { commit in pending.withLock { $0.remove(commit.step.key) != nil } }) {
            throw Crash(step: crashing.step.key)
        }
        try await base.commitSteps(commits)
        self.commits.withLock { $0.append(commits.map(\.step.key)) }
    }

    func syncWorkflows(_ workflows: [WorkflowDefinition], now: Date) async throws { try await base.syncWorkflows(workflows, now: now) }
    func workflows() async throws -> [WorkflowRow] { try await base.workflows() }
    func insertProcess(_ process: ProcessRecord, inputs: [InputStateRecord], locks: [SubscriptionLock]) async throws {
        try await base.insertProcess(process, inputs: inputs, locks: locks)
    }
    func acquire(_ request: LeaseRequest) async throws -> ProcessRecord? { try await base.acquire(request) }
    func renewLease(_ processID: ProcessID, owner: String, until: Date) async throws -> Bool {
        try await base.renewLease(processID, owner: owner, until: until)
    }
    func abort(_ processID: ProcessID, reason: String, log: StepRecord) async throws -> ProcessRecord? {
        try await base.abort(processID, reason: reason, log: log)
    }
    func runnableProcesses(now: Date, limit: Int) async throws -> [ProcessRecord] { try await base.runnableProcesses(now: now, limit: limit) }
    func process(_ processID: ProcessID) async throws -> ProcessRecord? { try await base.process(processID) }
    func processes(_ filter: ProcessFilter) async throws -> [ProcessRecord] { try await base.processes(filter) }
    func steps(of processID: ProcessID) async throws -> [StepRecord] { try await base.steps(of: processID) }
    func inputStates(of processID: ProcessID) async throws -> [InputStateRecord] { try await base.inputStates(of: processID) }
    func recordIntent(_ entry: LedgerEntry, fence: LedgerFence?) async throws -> Bool {
        await beforeIntent(entry)
        let recorded = try await base.recordIntent(entry, fence: fence)
        if recorded && losesOutcome(entry) { _ = lost.withLock { $0.insert(entry.entryID) } }
        await afterIntent(entry, recorded)
        return recorded
    }
    func recordOutcome(
        _ entryID: UUID, _ outcome: LedgerEntry.Outcome, objectID: Int?, label: String?, answer: JSONValue?, error: String?, at: Date,
        netboxRequestID: String?
    ) async throws -> Bool {
        if lost.withLock({ $0.remove(entryID) != nil }) { return true }
        return try await base.recordOutcome(
            entryID, outcome, objectID: objectID, label: label, answer: answer, error: error, at: at, netboxRequestID: netboxRequestID)
    }
    func claim(_ entryID: UUID, for execution: UUID) async throws -> Bool { try await base.claim(entryID, for: execution) }
    func markReleased(_ entryID: UUID, heldBy: UUID, at: Date) async throws -> Bool {
        try await base.markReleased(entryID, heldBy: heldBy, at: at)
    }
    func unmarkReleased(_ entryID: UUID, heldBy: UUID) async throws { try await base.unmarkReleased(entryID, heldBy: heldBy) }
    func ledger(_ query: LedgerQuery) async throws -> [LedgerEntry] { try await base.ledger(query) }
    func processIDs(withPrefix prefix: String, limit: Int) async throws -> [ProcessID] { try await base.processIDs(withPrefix: prefix, limit: limit) }
}
