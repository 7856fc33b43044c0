import Foundation

/// The changes aborted processes left in a subscription that nobody confirmed were applied:
/// a modify aborted after it saved its new values but before the operator confirmed the
/// config, or a create aborted half-way. While there are any, the subscription stays out of
/// sync: a validate refuses to mark it in sync, because NetBox may not show what the devices
/// never got. `wf subscription set-in-sync` (audited) confirms them once repaired by hand.
public struct UnconfirmedChanges: Sendable, Hashable {
    /// One aborted process's part.
    public struct Part: Sendable, Hashable {
        public var processID: ProcessID
        public var workflowName: String
        public var user: String
        /// Field by field, from the last confirmed model to the model the process left;
        /// every field when the process created the subscription.
        public var changes: [FieldChange]
        /// Whether the process created the subscription (its first version is this process's).
        public var created: Bool
    }

    public var subscriptionID: UUID
    public var parts: [Part]

    public var isEmpty: Bool { parts.isEmpty }

    /// "modify_circuit a1b2c3d4 (alice, aborted): circuit.under_maintenance: true -> false".
    public var description: String {
        parts.map { part in
            let what =
                part.created
                ? "created the subscription and never completed"
                : part.changes.map { "\($0.path): \(Self.text($0.before)) -> \(Self.text($0.after))" }.joined(separator: ", ")
            return "\(part.workflowName) \(part.processID.description.prefix(8)) (by \(part.user), aborted): \(what)"
        }.joined(separator: "; ")
    }

    static func text(_ value: JSONValue?) -> String {
        guard let value else { return "(none)" }
        return value.stringValue ?? value.jsonText
    }

    /// Reads them from the subscription's versions: the newest versions written by aborted
    /// processes, back to the last version any other writer made (a completed process, an
    /// import) or the last `set_in_sync` event, whichever is later.
    public static func find(
        _ id: UUID, subscriptions: any SubscriptionStore, processes: any ProcessStore
    ) async throws -> UnconfirmedChanges {
        let versions = try await subscriptions.versions(of: id)
        let confirmedAt = try await subscriptions.events(of: id).filter { $0.event == SubscriptionEvent.setInSync }.map(\.time).max()
        var records: [ProcessID: ProcessRecord?] = [:]
        var aborted: [SubscriptionVersion] = []
        for version in versions.reversed() {
            if let confirmedAt, version.time <= confirmedAt { break }
            guard let processID = version.processID else { break }
            if records[processID] == nil { records[processID] = try await processes.process(processID) }
            guard let process = records[processID] ?? nil, process.status == .aborted else { break }
            aborted.insert(version, at: 0)
        }
        var order: [ProcessID] = []
        for version in aborted {
            if let processID = version.processID, !order.contains(processID) { order.append(processID) }
        }
        var parts: [Part] = []
        for processID in order {
            guard let process = records[processID] ?? nil else { continue }
            let mine = aborted.filter { $0.processID == processID }
            guard let oldest = mine.first, let newest = mine.last else { continue }
            let before = versions.last { $0.version < oldest.version }
            let changes = FieldChange.diff(before?.model.json, newest.model.json).filter { !Self.bookkeeping.contains($0.path) }
            guard before == nil || !changes.isEmpty else { continue }
            parts.append(
                Part(processID: processID, workflowName: process.workflowName, user: process.createdBy, changes: changes, created: before == nil))
        }
        return UnconfirmedChanges(subscriptionID: id, parts: parts)
    }

    /// Fields that say how a change went, not what changed.
    static let bookkeeping: Set<String> = ["insync"]
}

extension SubscriptionEvent {
    /// The event `wf subscription set-in-sync` records.
    public static let setInSync = "set_in_sync"
    /// The event a forced unlock records.
    public static let forceUnlock = "force_unlock"
}
