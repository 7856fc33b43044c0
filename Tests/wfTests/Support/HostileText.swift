import Foundation
import Persistence
import WorkflowEngine

/// Text a terminal would obey rather than show: it retitles the window (OSC 0), clears the
/// screen (CSI 2J), rings the bell, returns the carriage and sends a C1 CSI (U+009B).
enum HostileText {
    static let sequence = "\u{1B}]0;pwned\u{07}mallory\u{1B}[2J\r\u{9B}31m"

    /// Bytes that must never reach a terminal from stored text: ESC, BEL, CR, and the UTF-8
    /// of U+009B.
    static func rawControls(in text: String) -> [String] {
        var found: [String] = []
        if text.utf8.contains(0x1B) { found.append("ESC") }
        if text.utf8.contains(0x07) { found.append("BEL") }
        if text.utf8.contains(0x0D) { found.append("CR") }
        if text.unicodeScalars.contains("\u{9B}") { found.append("U+009B") }
        return found
    }

    /// Writes a failed `task_engine_demo` process whose user, failure reason, input and step
    /// carry `sequence`, straight into the store, as an older build or another tool might
    /// have. `wf` validates users and answers now, so it cannot be made through `wf` itself.
    static func insertProcess(into store: any WorkflowStore) async throws -> ProcessID {
        let id = ProcessID(UUID())
        let now = Date()
        let state: State = [
            "message": .string("hi \(sequence)"), "work_seconds": 0, "process_id": .string(id.description),
            "workflow_name": "task_engine_demo", "workflow_target": "system", "reporter": .string(sequence),
        ]
        try await store.insertProcess(
            ProcessRecord(
                processID: id, workflowName: "task_engine_demo", workflowVersion: "0", isTask: true, status: .suspended,
                lastStep: "confirm_change", state: state, createdBy: sequence, startedAt: now, lastModifiedAt: now),
            input: InputStateRecord(processID: id, input: state, kind: .initialState, createdBy: sequence, inputTime: now))
        let log = StepRecord(
            stepID: UUID(), processID: id, key: "abort", status: .abort, state: state, createdBy: sequence, startedAt: now,
            completedAt: now, failedReason: "stopped: \(sequence)")
        _ = try await store.abort(id, reason: "stopped: \(sequence)", log: log)
        return id
    }
}
