import Foundation
import TerminalForms
import WorkflowEngine

/// JSON and text views of processes and steps, with the snake_case keys of the API.
enum Rendering {
    static func timestamp(_ date: Date?) -> JSONValue {
        guard let date else { return .null }
        return .string(UTCTimeText.text(date))
    }

    /// A process in flight whose runner stopped renewing its lease (it crashed or was killed).
    static func isStranded(_ process: ProcessRecord, now: Date = Date()) -> Bool {
        guard process.status == .running || process.status == .created else { return false }
        guard let until = process.leaseExpiresAt else { return process.status != .created }
        return until < now
    }

    static func shortTime(_ date: Date) -> String {
        UTCTimeText.text(date, separator: " ", zone: "")
    }

    static func process(_ process: ProcessRecord, currentVersion: String?) -> JSONValue {
        var object: [String: JSONValue] = [
            "process_id": .string(process.processID.description),
            "workflow": .string(process.workflowName),
            "workflow_version": .string(process.workflowVersion),
            "last_status": .string(process.status.rawValue),
            "last_step": process.lastStep.map { .string($0.rawValue) } ?? .null,
            "is_task": .bool(process.isTask),
            "created_by": .string(process.createdBy),
            "started_at": timestamp(process.startedAt),
            "last_modified_at": timestamp(process.lastModifiedAt),
            "failed_reason": process.failedReason.map(JSONValue.string) ?? .null,
            "lease_owner": process.leaseOwner.map(JSONValue.string) ?? .null,
            "lease_expires_at": timestamp(process.leaseExpiresAt),
            "next_retry_at": timestamp(process.nextRetryAt),
        ]
        if let currentVersion {
            object["current_workflow_version"] = .string(currentVersion)
            object["code_changed"] = .bool(currentVersion != process.workflowVersion)
        }
        return .object(object)
    }

    static func form(_ form: Form?) -> JSONValue {
        guard let form else { return .null }
        return (try? JSONValue(encoding: form)) ?? .null
    }

    /// What one step changed in the state, against the state before it.
    struct Change {
        var added: [String: JSONValue] = [:]
        var changed: [String: (before: JSONValue, after: JSONValue)] = [:]
        var removed: [String] = []

        init(from before: State, to after: State) {
            for key in after.keys {
                guard let old = before[raw: key] else {
                    added[key] = after[raw: key]
                    continue
                }
                if let new = after[raw: key], new != old { changed[key] = (old, new) }
            }
            removed = before.keys.filter { after[raw: $0] == nil }.sorted()
        }

        var json: JSONValue {
            .object([
                "added": .object(added),
                "changed": .object(changed.mapValues { .object(["before": $0.before, "after": $0.after]) }),
                "removed": .array(removed.map(JSONValue.string)),
            ])
        }

        var lines: [String] {
            added.sorted { $0.key < $1.key }.map { "+ \($0.key) = \($0.value.jsonText.clipped(60))" }
                + changed.sorted { $0.key < $1.key }.flatMap { key, change in
                    // An object (a subscription model) changes field by field: show the fields.
                    let fields = FieldChange.diff(change.before, change.after, path: key)
                    guard change.before.objectValue != nil, change.after.objectValue != nil, fields.count <= 12 else {
                        return ["~ \(key) = \(change.after.jsonText.clipped(60))"]
                    }
                    return fields.map { "~ \($0.path) = \($0.after?.jsonText.clipped(60) ?? "(removed)")" }
                }
                + removed.map { "- \($0)" }
        }
    }

    /// Each step row with what it changed. The first row is compared with the initial state
    /// (the initial input plus the keys the engine sets).
    static func stepChanges(_ steps: [StepRecord], initial: State) -> [(StepRecord, Change)] {
        var before = initial
        return steps.map { step in
            let change = Change(from: before, to: step.state)
            before = step.state
            return (step, change)
        }
    }

    static func step(_ step: StepRecord, change: Change) -> JSONValue {
        .object([
            "step_id": .string(step.stepID.uuidString.lowercased()),
            "name": .string(step.key.rawValue),
            "status": .string(step.status.rawValue),
            "created_by": .string(step.createdBy),
            "started_at": timestamp(step.startedAt),
            "completed_at": timestamp(step.completedAt),
            "duration_ms": .double(step.completedAt.timeIntervalSince(step.startedAt) * 1000),
            "attempt": .int(step.attempt),
            "next_retry_at": timestamp(step.nextRetryAt),
            "failed_reason": step.failedReason.map(JSONValue.string) ?? .null,
            "error_type": step.errorType.map(JSONValue.string) ?? .null,
            "details": step.details ?? .null,
            "changes": change.json,
            "state": step.state.json,
        ])
    }

    static func duration(_ seconds: TimeInterval) -> String {
        if seconds < 1 { return String(format: "%.0f ms", seconds * 1000) }
        if seconds < 120 { return String(format: "%.1f s", seconds) }
        return String(format: "%.0f min", seconds / 60)
    }

    /// Left-aligned columns, two spaces apart. Cells are made terminal-safe first, so that
    /// the columns stay aligned around a control character shown as `\u001b`.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        let all = ([header] + rows).map { $0.map(terminalSafe) }
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}

extension String {
    func clipped(_ length: Int) -> String {
        count <= length ? self : String(prefix(length - 1)) + "…"
    }
}

extension JSONValue {
    /// Prints this value as indented JSON on standard output.
    func printJSON() {
        print(prettyText)
    }
}
