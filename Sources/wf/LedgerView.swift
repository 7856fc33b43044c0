import ArgumentParser
import Foundation
import WorkflowEngine

/// Text and JSON views of the NetBox ledger, shared by `wf process show`, `wf subscription
/// history` and `wf audit --netbox`: one line per write, in the spelling of the state
/// changes (`+` made, `~` changed, `-` deleted).
enum LedgerView {
    /// `+ ipam.prefix 10.0.0.0/31 (id 5)`, `~ dcim.device 3 (loc1-core) status planned -> active`,
    /// `- ipam.ip-address 10.0.0.1/31 (id 7)`, with how it ended when it did not simply succeed.
    static func line(_ entry: LedgerEntry) -> String {
        var text: String
        switch entry.action {
        case .create: text = "+ \(entry.objectType) \(named(entry))"
        case .delete: text = "- \(entry.objectType) \(named(entry))"
        case .update: text = "~ \(entry.objectType) \(updated(entry)) \(fieldChanges(entry))"
        }
        switch entry.outcome {
        case .done: break
        case .pending: text = "? " + text + " (answer never came)"
        case .failed: text += " (failed: \(entry.error ?? "no reason recorded"))"
        case .notMade: text += " (not made)"
        }
        if let released = entry.releasedAt {
            text += " (released \(Rendering.shortTime(released)): its run lost the lease or was replaced)"
        }
        return text
    }

    /// A created or deleted object: its label and id, or what the step calls it while NetBox
    /// has not answered yet.
    private static func named(_ entry: LedgerEntry) -> String {
        switch (entry.label, entry.objectID) {
        case (let label?, let id?) where isJustTheID(label, id): String(id)
        case (let label?, let id?): "\(label) (id \(id))"
        case (let label?, nil): label
        case (nil, let id?): String(id)
        case (nil, nil): entry.key.map { "for \"\($0)\"" } ?? "(no id yet)"
        }
    }

    /// An updated object: its id, with the label when the label says more than the id does
    /// (`3 (loc1-core)`, but `1`, not `1 (cable 1)`).
    private static func updated(_ entry: LedgerEntry) -> String {
        guard let id = entry.objectID else { return entry.label ?? entry.key.map { "for \"\($0)\"" } ?? "(no id)" }
        guard let label = entry.label, !isJustTheID(label, id) else { return String(id) }
        return "\(id) (\(label))"
    }

    /// `cable 3` says no more than `3` does.
    private static func isJustTheID(_ label: String, _ id: Int) -> Bool {
        label == String(id) || label.hasSuffix(" \(id)") && !label.dropLast(String(id).count + 1).contains(" ")
    }

    /// `status planned -> connected, description "" -> "to loc2"`: each sent field whose value
    /// differs from the one it replaced, in name order.
    static func fieldChanges(_ entry: LedgerEntry) -> String {
        let sent = entry.sent.objectValue ?? [:]
        let replaced = entry.replaced?.objectValue
        let changes = sent.keys.sorted().compactMap { field -> String? in
            guard let new = sent[field] else { return nil }
            guard let old = replaced?[field] else { return "\(field) -> \(value(new))" }
            return old == new ? nil : "\(field) \(value(old)) -> \(value(new))"
        }
        return changes.isEmpty ? "(no change)" : changes.joined(separator: ", ")
    }

    /// A field's value as a person reads it: a plain word bare, other text quoted, `none` for null.
    private static func value(_ value: JSONValue) -> String {
        switch value {
        case .null: return "none"
        case .string(let text) where !text.isEmpty && !text.contains(where: { $0.isWhitespace || $0 == "," || $0 == "\"" }):
            return text.clipped(50)
        // Clipped inside the quotes, so that a long value still reads as one.
        case .string(let text): return JSONValue.string(text.clipped(50)).jsonText
        default: return value.jsonText.clipped(50)
        }
    }

    static func json(_ entry: LedgerEntry) -> JSONValue {
        .object([
            "action": .string(entry.action.rawValue), "object_type": .string(entry.objectType),
            "object_id": entry.objectID.map(JSONValue.int) ?? .null, "label": entry.label.map(JSONValue.string) ?? .null,
            "outcome": .string(entry.outcome.rawValue), "error": entry.error.map(JSONValue.string) ?? .null, "sent": entry.sent,
            "replaced": entry.replaced ?? .null, "released_at": Rendering.timestamp(entry.releasedAt), "attempt": .int(entry.attempt),
            "runner": .string(entry.runner), "step": .string(entry.step.rawValue), "started_at": Rendering.timestamp(entry.startedAt),
            "finished_at": Rendering.timestamp(entry.finishedAt), "change": .string(line(entry)),
        ])
    }

    /// The entries of a process's step rows, by the row's id, and the rest: writes of runs of
    /// a step that never committed a row (the runner crashed or lost its lease), by run.
    static func split(_ entries: [LedgerEntry], steps: [StepRecord]) -> (bySteps: [UUID: [LedgerEntry]], uncommitted: [[LedgerEntry]]) {
        let committed = Set(steps.map(\.stepID))
        let bySteps = Dictionary(grouping: entries.filter { committed.contains($0.execution) }, by: \.execution)
        var runs: [UUID: [LedgerEntry]] = [:]
        var order: [UUID] = []
        for entry in entries where !committed.contains(entry.execution) {
            if runs[entry.execution] == nil { order.append(entry.execution) }
            runs[entry.execution, default: []].append(entry)
        }
        return (bySteps, order.compactMap { runs[$0] })
    }

    /// Which step of which process made a write.
    struct ProcessStep: Hashable {
        var process: ProcessID
        var step: StepKey

        init(_ process: ProcessID, _ step: StepKey) {
            self.process = process
            self.step = step
        }
    }

    /// The entries by the process and step that made them, each group in recorded order.
    static func byProcessStep(_ entries: [LedgerEntry]) -> [ProcessStep: [LedgerEntry]] {
        Dictionary(grouping: entries) { ProcessStep($0.processID, $0.step) }
    }

    /// `step fetch_ip_address_information, attempt 2, runner host:123:ab`: whose writes follow.
    static func runHeading(_ run: [LedgerEntry]) -> String {
        guard let first = run.first else { return "" }
        return "step \(first.step), attempt \(first.attempt), runner \(first.runner), from \(Rendering.shortTime(first.startedAt))"
    }

    /// Parses `dcim.cable:12`, the form `objectRef` gives, into a type and an id; the message
    /// names what is wrong and the expected form.
    static func parseObjectRef(_ text: String) throws -> (type: String, id: Int) {
        let expected = "expected TYPE:ID such as dcim.cable:12, TYPE a NetBox model (\(knownTypes.joined(separator: ", ")))"
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw ValidationError("--netbox '\(text)' has no ':ID'; \(expected)") }
        let type = String(parts[0])
        let model = type.split(separator: ".", omittingEmptySubsequences: false)
        let spelled = type.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") }
        guard model.count == 2, model.allSatisfy({ !$0.isEmpty }), spelled else {
            throw ValidationError("--netbox '\(text)': '\(type)' is not a NetBox model name such as dcim.cable; \(expected)")
        }
        guard let id = Int(parts[1]), id > 0 else {
            throw ValidationError("--netbox '\(text)': '\(parts[1])' is not an object id (a whole number from 1); \(expected)")
        }
        return (type, id)
    }

    /// The models the workflows of this build write.
    static let knownTypes = ["dcim.cable", "dcim.device", "dcim.interface", "ipam.ip-address", "ipam.prefix"]
}
