import Foundation
import WorkflowEngine

/// An event about to be written (it gets its id from the database): which events each
/// change records, and what their data says, decided once for both stores.
///
/// The data names what changed and who changed it; it never copies state, answers or forms,
/// which may hold secrets and which `wf process show` reads from their own tables.
struct EventDraft: Sendable, Hashable {
    var at: Date
    var kind: EngineEventKind
    var processID: ProcessID?
    var subscriptionID: UUID?
    var data: JSONValue

    /// A process row was inserted.
    static func created(_ process: ProcessRecord) -> EventDraft {
        EventDraft(
            at: process.startedAt, kind: .processCreated, processID: process.processID, subscriptionID: nil,
            data: .object([
                "workflow": .string(process.workflowName), "status": .string(process.status.rawValue), "user": .string(process.createdBy),
            ]))
    }

    /// A step's log row was written (a step that ran, a resume's answered step, an abort).
    static func step(_ step: StepRecord, workflow: String?) -> EventDraft {
        var data: [String: JSONValue] = [
            "step": .string(step.key.rawValue), "status": .string(step.status.rawValue), "attempt": .int(step.attempt),
            "user": .string(step.createdBy),
        ]
        if let workflow { data["workflow"] = .string(workflow) }
        if let reason = step.failedReason, !step.status.isPassed { data["reason"] = .string(reason) }
        return EventDraft(at: step.completedAt, kind: .stepCommitted, processID: step.processID, subscriptionID: nil, data: .object(data))
    }

    /// A process went from `from` (nil when unknown) to `to`; none when the status stayed.
    static func status(
        _ processID: ProcessID, from: ProcessStatus?, to: ProcessStatus, workflow: String?, user: String?, runner: String? = nil,
        reason: String? = nil, at: Date
    ) -> [EventDraft] {
        guard from != to else { return [] }
        var data: [String: JSONValue] = ["from": from.map { .string($0.rawValue) } ?? .null, "to": .string(to.rawValue)]
        if let workflow { data["workflow"] = .string(workflow) }
        if let user { data["user"] = .string(user) }
        if let runner { data["runner"] = .string(runner) }
        if let reason { data["reason"] = .string(reason) }
        return [EventDraft(at: at, kind: .processStatus, processID: processID, subscriptionID: nil, data: .object(data))]
    }

    /// A subscription version was saved (by `process` at `step`, or by `user` directly).
    /// `held`: a process holds the subscription, so it is not in sync, as listings show it.
    static func version(
        _ version: Int, of model: SubscriptionModel, held: Bool, processID: ProcessID?, step: StepKey?, user: String, at: Date
    ) -> EventDraft {
        var data: [String: JSONValue] = [
            "version": .int(version), "status": .string(model.status.rawValue), "insync": .bool(model.insync && !held),
            "description": .string(model.description), "product": .string(model.productName), "user": .string(user),
        ]
        if let step { data["step"] = .string(step.rawValue) }
        return EventDraft(at: at, kind: .subscriptionChanged, processID: processID, subscriptionID: model.subscriptionID, data: .object(data))
    }

    /// An operator changed a subscription's lock or sync flag (`force_unlock`, `set_in_sync`).
    static func subscriptionChange(_ change: String, of id: UUID, insync: Bool, user: String, at: Date) -> EventDraft {
        EventDraft(
            at: at, kind: .subscriptionChanged, processID: nil, subscriptionID: id,
            data: .object(["change": .string(change), "insync": .bool(insync), "user": .string(user)]))
    }

    /// What a step commit records, in order: the step, the subscription versions it saved,
    /// then the process's new status when it stops (last, so that a follower that stops at
    /// the status has seen everything the step did).
    static func commit(_ commit: StepCommit, versions: [EventDraft] = []) -> [EventDraft] {
        let workflow = commit.state[raw: "workflow_name"]?.stringValue
        var drafts = [step(commit.step, workflow: workflow)] + versions
        if commit.status != .running {
            drafts += status(
                commit.step.processID, from: .running, to: commit.status, workflow: workflow, user: commit.step.createdBy,
                reason: commit.failedReason, at: commit.step.completedAt)
        }
        return drafts
    }

    /// What a lease taken by `acquire` records: the answered step of a resume, and the change
    /// to `running` (none for a takeover of a process that was running already).
    static func acquired(_ request: LeaseRequest, previous: ProcessStatus?, workflow: String?) -> [EventDraft] {
        let user = request.log?.createdBy ?? request.input?.createdBy
        return (request.log.map { [step($0, workflow: workflow)] } ?? [])
            + status(request.processID, from: previous, to: .running, workflow: workflow, user: user, runner: request.owner, at: request.now)
    }

    /// What a claim by a worker records: the change to `running`, when it was not running already.
    static func claimed(_ process: ProcessRecord, previous: ProcessStatus, owner: String, at: Date) -> [EventDraft] {
        status(process.processID, from: previous, to: .running, workflow: process.workflowName, user: process.createdBy, runner: owner, at: at)
    }

    /// What an abort records: its log row, and the change to `aborted` with the reason.
    static func aborted(_ log: StepRecord, reason: String, previous: ProcessStatus?, workflow: String?) -> [EventDraft] {
        [step(log, workflow: workflow)]
            + status(log.processID, from: previous, to: .aborted, workflow: workflow, user: log.createdBy, reason: reason, at: log.completedAt)
    }
}
