import Foundation
import Persistence
import WorkflowEngine

extension LedgerView {
    /// One write to the object `wf audit --netbox` asks about, with who made it.
    struct AuditRow {
        var entry: LedgerEntry
        var process: ProcessRecord?
        /// The user of the step run that wrote, else (a run that never committed) the process's creator.
        var user: String

        var json: JSONValue {
            guard case .object(var object) = LedgerView.json(entry) else { return .null }
            object["time"] = Rendering.timestamp(entry.startedAt)
            object["process_id"] = .string(entry.processID.description)
            object["workflow"] = process.map { .string($0.workflowName) } ?? .null
            object["user"] = .string(user)
            object["process_created_by"] = process.map { .string($0.createdBy) } ?? .null
            return .object(object)
        }
    }

    /// Prints every ledger entry that touches `object`, oldest first: when, which process
    /// and workflow, which step, who, and the change.
    static func audit(_ object: (type: String, id: Int), filter: AuditFilter, store: any WorkflowStore, json: Bool) async throws {
        let (rows, entries) = try await auditRows(object, filter: filter, store: store)
        if json {
            JSONValue.array(rows.map(\.json)).printJSON()
            return
        }
        let name = "\(object.type):\(object.id)"
        guard !rows.isEmpty else {
            print(
                entries.isEmpty
                    ? "nothing recorded for \(name): no process of this orchestrator created, changed or deleted it"
                    : "nothing recorded for \(name) that matches the filters (\(entries.count) writes without them)")
            return
        }
        print(
            Rendering.table(
                ["TIME", "PROCESS", "WORKFLOW", "STEP", "USER", "CHANGE"],
                rows.map { row in
                    [
                        Rendering.shortTime(row.entry.startedAt), String(row.entry.processID.description.prefix(8)),
                        row.process?.workflowName ?? "-", row.entry.step.rawValue, row.user, line(row.entry),
                    ]
                }))
    }

    /// The writes to `object` that match `filter` (user, since, until, workflow, limit), each
    /// with its process and user, and every write to it (to tell "none" from "none that match").
    static func auditRows(
        _ object: (type: String, id: Int), filter: AuditFilter, store: any WorkflowStore
    ) async throws -> (rows: [AuditRow], entries: [LedgerEntry]) {
        let entries = try await store.ledger(LedgerQuery(objectType: object.type, objectID: object.id))
        var processes: [ProcessID: ProcessRecord?] = [:]
        var users: [ProcessID: [UUID: String]] = [:]
        var rows: [AuditRow] = []
        for entry in entries {
            if processes[entry.processID] == nil {
                processes[entry.processID] = .some(try await store.process(entry.processID))
                users[entry.processID] = Dictionary(
                    try await store.steps(of: entry.processID).map { ($0.stepID, $0.createdBy) }, uniquingKeysWith: { first, _ in first })
            }
            let process = processes[entry.processID] ?? nil
            let user = users[entry.processID]?[entry.execution] ?? process?.createdBy ?? "-"
            if let wanted = filter.user, wanted != user { continue }
            if let since = filter.since, entry.startedAt < since { continue }
            if let until = filter.until, entry.startedAt >= until { continue }
            if let workflow = filter.workflow, workflow != process?.workflowName { continue }
            rows.append(AuditRow(entry: entry, process: process, user: user))
            if rows.count == filter.limit { break }
        }
        return (rows, entries)
    }
}
