import Foundation
import NetBox
import WorkflowEngine

/// Undoes an aborted process, from the ledger: deletes the NetBox objects it created, sets
/// back the fields it changed, newest first, and saves its subscription as it was before it
/// (a subscription the process created ends `terminated`). An undo is a process of its own:
/// durable, audited, holding the subscription, and safe to run again after a crash (an object
/// already deleted or already set back is not touched twice). An object someone changed after
/// the process wrote it is not overwritten: the undo fails naming the object, what the
/// process wrote and what it is now.
public enum UndoProcess {
    public static let name: WorkflowName = "undo_process"

    /// A validate in the engine's terms: it holds the subscription whatever its sync, and
    /// the changes the aborted process left unconfirmed are what it undoes.
    public static var definition: WorkflowDefinition {
        var definition = WorkflowDefinition(
            name: name, target: .validate, description: "Undo an aborted process: its NetBox changes and its subscription", initialForm: form,
            steps: begin >>> StandardSteps.unsync >>> planUndo >>> undoNetBoxChanges >>> restoreSubscription >>> StandardSteps.resync >>> done)
        definition.takesUnconfirmedChanges = true
        return definition
    }

    static let processKey = StateKey<String>("aborted_process_id")
    static let compensationsKey = StateKey<[Compensation]>("compensations")

    static var form: FormFlow {
        let uuid = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
        return FormFlow(
            Form(
                name: "undo", title: "Undo an aborted process",
                fields: [
                    .text("aborted_process_id", "The aborted process (its whole id)", pattern: uuid),
                    .text("subscription_id", "Its subscription (its whole id)", pattern: uuid),
                ]))
    }

    /// The subscription a process worked on: the one it carries, else the one it was started on.
    public static func subscriptionID(in state: State) -> UUID? {
        if let model = state[raw: "subscription"], let parsed = try? SubscriptionModel(json: model) { return parsed.subscriptionID }
        return state[raw: "subscription_id"]?.stringValue.flatMap(UUID.init(uuidString:))
    }

    /// Aborts `processID` unless it is aborted already, then starts its undo and runs it.
    /// Returns the aborted process and the undo (nil when the process left nothing to undo:
    /// no subscription and no NetBox write).
    public static func abortAndUndo(
        _ processID: ProcessID, engine: Engine, user: String, reason: String? = nil
    ) async throws -> (aborted: ProcessOutcome, undo: ProcessOutcome?) {
        guard var process = try await engine.store.process(processID) else {
            throw WorkflowError(.processNotFound, "process \(processID) does not exist", processID: processID)
        }
        let aborted = process.status == .aborted ? ProcessOutcome(process) : try await engine.abort(processID, user: user, reason: reason)
        process = try await engine.store.process(processID) ?? process
        let named = subscriptionID(in: process.state)
        // A create aborted before it stored its subscription names one that does not exist.
        var stored: SubscriptionModel?
        if let named { stored = try await engine.subscriptions.subscription(named) }
        guard let subscription = stored?.subscriptionID else {
            let writes = try await engine.store.ledger(LedgerQuery(processID: processID)).filter { $0.outcome != .failed && $0.outcome != .notMade }
            guard writes.isEmpty else {
                throw WorkflowError(
                    .invalidInput, "process \(processID) wrote to NetBox but names no subscription: see `wf audit --process \(processID)`",
                    processID: processID)
            }
            return (aborted, nil)
        }
        if let undone = try await undo(of: processID, subscription: subscription, store: engine.store) {
            throw WorkflowError(
                .invalidTransition, "process \(processID) was undone already, by process \(undone.processID)", processID: processID)
        }
        let input: State = [
            "aborted_process_id": .string(processID.description), "subscription_id": .string(subscription.uuidString.lowercased()),
        ]
        return (aborted, try await engine.start(name, input: input, user: user))
    }

    /// The completed undo of `processID`, if it was undone.
    public static func undo(of processID: ProcessID, subscription: UUID, store: any ProcessStore) async throws -> ProcessRecord? {
        try await store.processes(ProcessFilter(statuses: [.completed], workflow: name, subscriptionID: subscription))
            .first { $0.state[raw: "aborted_process_id"]?.stringValue == processID.description }
    }

    // MARK: - Steps

    /// Checks that the process may be undone (aborted, on this subscription, and nothing
    /// changed the subscription since) and lists what to undo, newest first, in the state.
    static let planUndo = Step("plan_undo", retry: .standard) { context in
        let model = try context.subscriptionModel()
        guard let target = ProcessID(try context[processKey]), let process = try await context.process(target) else {
            return .failed("there is no process \(try context[processKey])")
        }
        let short = target.description.prefix(8)
        guard process.status == .aborted else {
            return .failed(
                "process \(short) is \(process.status.rawValue): only an aborted process is undone (`wf abort \(short) --undo` aborts it first)")
        }
        guard subscriptionID(in: process.state) == model.subscriptionID else {
            return .failed("process \(short) did not work on subscription \(model.subscriptionID.uuidString.lowercased().prefix(8))")
        }
        let versions = try await context.versions(of: model.subscriptionID)
        if let last = versions.lastIndex(where: { $0.processID == target }),
            let later = versions[(last + 1)...].first(where: { $0.processID != target && $0.processID != context.processID })
        {
            return .failed(
                "the subscription changed after process \(short): version \(later.version) by \(later.processID.map { "process \($0.description.prefix(8))" } ?? later.user)"
                    + " at \(UTCTimeText.text(later.time)); undoing \(short) would throw that change away")
        }
        let entries = try await context.ledger.store.ledger(LedgerQuery(processID: target))
        let netbox = try await context.netbox()
        // A create whose answer never came may have been made: looked for as a re-run would.
        var found: [UUID: Int] = [:]
        for entry in entries where entry.action == .create && entry.outcome == .pending {
            if let made = try await netbox.findMade(entry, among: entries), let id = made.objectID { found[entry.entryID] = id }
        }
        return .success(try ["compensations": JSONValue(encoding: try Compensation.plan(entries, found: found))])
    }

    /// Deletes and sets back, newest first. Every object is first compared with what the
    /// process last wrote to it, and one conflict stops the step before it writes anything.
    /// An object already deleted, or already set back (an earlier run of this step got that
    /// far before a crash), is skipped: nothing is deleted or set back twice.
    static let undoNetBoxChanges = Step("undo_netbox_changes", retry: .standard) { context in
        let netbox = try await context.netbox()
        var todo: [Compensation] = []
        var done: [String] = []
        var conflicts: [String] = []
        for compensation in try context[compensationsKey] {
            let data: Data
            do {
                data = try await netbox.object(compensation.objectType, id: compensation.objectID)
            } catch let error as NetBoxError where error.code == .notFound {
                done.append("\(compensation.what): already gone")
                continue
            }
            let current = try JSONValue.parse(data)
            if compensation.action == .setBack, let original = compensation.original, Compensation.matches(original, current) {
                done.append("\(compensation.what): already set back")
                continue
            }
            let differences = Compensation.differences(compensation.expected, current)
            if differences.isEmpty {
                todo.append(compensation)
            } else {
                conflicts.append("\(compensation.what): \(differences.joined(separator: ", "))")
            }
        }
        guard conflicts.isEmpty else {
            return .failed(
                "changed in NetBox after process \(try context[processKey].prefix(8)) wrote them, so nothing was undone: "
                    + conflicts.joined(separator: "; ") + ". Set them back by hand and `wf retry` this undo, "
                    + "or `wf abort` it to keep NetBox as it is")
        }
        for compensation in todo {
            switch compensation.action {
            case .delete:
                try await netbox.delete(compensation.objectType, id: compensation.objectID, label: compensation.label)
                done.append("\(compensation.what): deleted")
            case .setBack:
                try await netbox.setBack(compensation.objectType, id: compensation.objectID, compensation.original ?? .object([:]))
                done.append("\(compensation.what): set back")
            }
        }
        return .success(["undone": .array(done.map(JSONValue.string))])
    }

    /// Saves the subscription as it was before the process: the version before its first;
    /// one the process created is kept as it is, terminated; one it never saved, as it is.
    static let restoreSubscription = Step("restore_subscription", retry: .never) { context in
        var model = try context.subscriptionModel()
        guard let target = ProcessID(try context[processKey]) else { throw StepError("process_id is not a process id") }
        let versions = try await context.versions(of: model.subscriptionID)
        switch versions.firstIndex(where: { $0.processID == target }) {
        case nil:
            break  // the process saved no version: the subscription is as it was
        case 0:
            model.status = .terminated
            model.endDate = context.now()
        case let first?:
            model = versions[first - 1].model
        }
        model.insync = false
        return .success(try context.save(model))
    }
}

/// One thing an undo does to one NetBox object.
struct Compensation: Codable, Sendable, Hashable {
    enum Action: String, Codable, Sendable {
        case delete
        case setBack = "set_back"
    }

    var action: Action
    var objectType: String
    var objectID: Int
    var label: String?
    /// The object's fields as the process last wrote them: what they must still be.
    var expected: JSONValue
    /// For a set-back: the values the fields had before the process.
    var original: JSONValue?

    /// "dcim.cable 3 (cable 3)", as messages name it.
    var what: String { "\(objectType) \(objectID)" + (label.map { " (\($0))" } ?? "") }

    enum CodingKeys: String, CodingKey {
        case action, label, expected, original
        case objectType = "object_type"
        case objectID = "object_id"
    }

    /// What undoes `entries` (one process's ledger), newest object first: a delete for each
    /// object it created that still exists, a set-back for each it only changed. `found`
    /// names the objects of creates whose answer never came that NetBox has.
    static func plan(_ entries: [LedgerEntry], found: [UUID: Int]) throws -> [Compensation] {
        var order: [String] = []
        var byObject: [String: [LedgerEntry]] = [:]
        for var entry in entries {
            if entry.outcome == .pending, let id = found[entry.entryID] {
                entry.objectID = id
                entry.outcome = .done
            }
            guard entry.outcome == .done, let ref = entry.objectRef else { continue }
            if byObject[ref] == nil { order.append(ref) }
            byObject[ref, default: []].append(entry)
        }
        var plan: [Compensation] = []
        for ref in order.reversed() {
            guard let written = byObject[ref], let first = written.first, let id = first.objectID else { continue }
            let created = first.action == .create
            if written.contains(where: { $0.action == .delete }) || (created && first.releasedAt != nil) {
                guard created else {
                    throw StepError(
                        "the process deleted \(first.objectType) \(first.label ?? "") (id \(id)), which an undo cannot bring back: nothing was undone"
                    )
                }
                continue  // made and deleted again by the process itself
            }
            var expected: [String: JSONValue] = [:]
            for entry in written {
                if case .object(let fields) = entry.sent { expected.merge(fields) { _, new in new } }
            }
            let original = LedgerFootprint(written).originalValues(first.objectType, id)
            plan.append(
                Compensation(
                    action: created ? .delete : .setBack, objectType: first.objectType, objectID: id,
                    label: written.last(where: { $0.label != nil })?.label, expected: .object(expected),
                    original: created ? nil : .object(original)))
        }
        return plan
    }

    /// Whether `current` (the object as NetBox answers it) still holds every value of
    /// `written` (fields as they were sent): a choice answers `{value, label}` and a related
    /// object `{id, …}` for the plain value sent; a sent field NetBox does not echo (an
    /// allocation's `prefix_length`) is not compared.
    static func matches(_ written: JSONValue, _ current: JSONValue) -> Bool {
        differences(written, current).isEmpty
    }

    /// The fields of `written` that `current` no longer holds, each as "field: the process
    /// wrote X, it is now Y".
    static func differences(_ written: JSONValue, _ current: JSONValue) -> [String] {
        guard case .object(let fields) = written, case .object(let now) = current else {
            return same(written, current) ? [] : ["the process wrote \(written.jsonText), it is now \(current.jsonText)"]
        }
        return fields.keys.sorted().compactMap { field in
            guard let wrote = fields[field], let value = now[field], !same(wrote, value) else { return nil }
            return "\(field): the process wrote \(text(wrote)), it is now \(text(plain(value)))"
        }
    }

    private static func same(_ written: JSONValue, _ current: JSONValue) -> Bool {
        switch (written, current) {
        case (.object(let sent), .object(let now)):
            return sent.allSatisfy { key, value in now[key].map { same(value, $0) } ?? true }
        case (.array(let sent), .array(let now)):
            return sent.count == now.count && zip(sent, now).allSatisfy { same($0, $1) }
        case (_, .object):
            return same(written, plain(current))
        case (.int(let a), .double(let b)), (.double(let b), .int(let a)):
            return Double(a) == b
        default:
            return written == current
        }
    }

    /// A choice by its value, a related object by its id, anything else as it is.
    private static func plain(_ value: JSONValue) -> JSONValue {
        guard case .object(let fields) = value else { return value }
        return fields["value"] ?? fields["id"] ?? value
    }

    private static func text(_ value: JSONValue) -> String {
        value.stringValue.map { "\"\($0)\"" } ?? value.jsonText
    }
}
