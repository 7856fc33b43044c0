import Foundation
import Synchronization
import WorkflowEngine

/// A store that loses the commit of one named step once, as if `wf` died right after the
/// step's NetBox calls and before its commit; everything else goes to the real store.
final class CrashingStore: ProcessStore {
    let base: any ProcessStore
    private let pending: Mutex<Set<StepKey>>

    init(_ base: any ProcessStore, crashingAfter steps: Set<StepKey>) {
        self.base = base
        pending = Mutex(steps)
    }

    struct Crash: Error, CustomStringConvertible {
        var step: StepKey
        var description: String { "simulated crash before the commit of \(step)" }
    }

    func commitStep(_ commit: StepCommit) async throws {
        let crash = pending.withLock { $0.remove(commit.step.key) != nil }
        if crash { throw Crash(step: commit.step.key) }
        try await base.commitStep(commit)
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
    func recordIntent(_ entry: LedgerEntry, fence: LedgerFence?) async throws -> Bool { try await base.recordIntent(entry, fence: fence) }
    func recordOutcome(
        _ entryID: UUID, _ outcome: LedgerEntry.Outcome, objectID: Int?, label: String?, answer: JSONValue?, error: String?, at: Date
    ) async throws -> Bool {
        try await base.recordOutcome(entryID, outcome, objectID: objectID, label: label, answer: answer, error: error, at: at)
    }
    func claim(_ entryID: UUID, for execution: UUID) async throws -> Bool { try await base.claim(entryID, for: execution) }
    func markReleased(_ entryID: UUID, heldBy: UUID, at: Date) async throws -> Bool {
        try await base.markReleased(entryID, heldBy: heldBy, at: at)
    }
    func unmarkReleased(_ entryID: UUID, heldBy: UUID) async throws { try await base.unmarkReleased(entryID, heldBy: heldBy) }
    func ledger(_ query: LedgerQuery) async throws -> [LedgerEntry] { try await base.ledger(query) }
    func processIDs(withPrefix prefix: String, limit: Int) async throws -> [ProcessID] { try await base.processIDs(withPrefix: prefix, limit: limit) }
}
