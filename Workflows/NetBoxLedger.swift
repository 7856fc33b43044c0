import Foundation
import NetBox
import WorkflowEngine

/// A step's NetBox writes, recorded in the engine's ledger: the intent before the call
/// (refused once the runner's lease is gone, so a paused runner starts no write), the
/// outcome after.
struct LedgerJournal: NetBoxJournal {
    let ledger: StepLedger
    /// False only for releasing what this run itself made after it lost the lease.
    var fenced = true

    func willWrite(_ write: NetBoxWrite) async throws -> UUID {
        let intent = StepLedger.Intent(
            LedgerEntry.Action(rawValue: write.action.rawValue) ?? .update, write.objectType, objectID: write.objectID,
            label: write.label, key: write.key, sent: Self.json(write.sent) ?? .object([:]), replaced: Self.json(write.replaced),
            finder: try write.finder.map { try JSONValue(encoding: $0) })
        return try await ledger.intend(intent, fenced: fenced)
    }

    func didWrite(_ ticket: UUID, _ written: NetBoxWritten) async throws {
        try await ledger.finish(
            ticket, .done, objectID: written.objectID, label: written.label, answer: Self.json(written.answer), netboxRequestID: written.requestID)
    }

    func writeFailed(_ ticket: UUID, error: any Error, uncertain: Bool) async throws {
        // An uncertain write stays pending: the next run's look-before-create settles it.
        guard !uncertain else { return }
        try await ledger.finish(ticket, .failed, error: String(describing: error))
    }

    static func json(_ data: Data?) -> JSONValue? {
        data.flatMap { try? JSONValue.parse($0) }
    }
}

extension StepContext {
    /// The NetBox client the engine was given, recording this step's writes in the ledger.
    public func netbox() async throws -> NetBoxClient {
        try await services.netbox().journaled(LedgerJournal(ledger: ledger))
    }

    /// Settles the creates of earlier runs of this process whose answer never came (a crash
    /// or a lost connection between the call and its record): each is looked for in NetBox
    /// by its finder and recorded as made (with the object found) or as not made. A runner
    /// that was only paused and makes it later still records it, and releases it once it
    /// learns it lost the lease. Returns this process's entries, settled.
    @discardableResult
    func settlePendingCreates() async throws -> [LedgerEntry] {
        var entries = try await ledger.processEntries()
        let pending = entries.filter { $0.action == .create && $0.outcome == .pending && $0.heldBy != ledger.execution }
        guard !pending.isEmpty else { return entries }
        let netbox = try await self.netbox()
        for entry in pending where entry.finder != nil {
            if let found = try await netbox.findMade(entry, among: entries), let id = found.objectID {
                try await ledger.finish(entry.entryID, .done, objectID: id, label: found.label)
            } else {
                try await ledger.finish(entry.entryID, .notMade, error: "not found in NetBox by run \(ledger.execution)")
            }
            entries = try await ledger.processEntries()
        }
        return entries
    }

    /// The object an earlier run of this step created under `key` and that still exists,
    /// adopted by this run; otherwise what `create` makes (recorded under `key`). Nothing
    /// else is ever adopted: objects the ledger does not know are not ours. Settle pending
    /// creates first (`settlePendingCreates`).
    func adoptOrCreate<Object: Sendable>(
        _ key: String, fetch: (Int) async throws -> Object, create: () async throws -> Object
    ) async throws -> Object {
        for earlier in try await ledger.earlierCreates(key: key) where earlier.outcome == .done {
            guard let id = earlier.objectID, let object = try await ifFound({ try await fetch(id) }) else { continue }
            if try await ledger.adopt(earlier) {
                ledger.logger.info("adopted what an earlier run made", metadata: ["object": "\(earlier.objectRef ?? "?")", "key": "\(key)"])
                return object
            }
        }
        return try await create()
    }

    /// The objects the processes of this step's subscription created and that still exist,
    /// by `type:id`, and the values each changed field had before the subscription first
    /// changed it, by `type:id`. Both empty for a subscription made before the ledger.
    func subscriptionFootprint() async throws -> LedgerFootprint {
        LedgerFootprint(try await ledger.subscriptionEntries())
    }
}

extension NetBoxClient {
    /// The object a create recorded as `entry` made, looked for with its finder, leaving out
    /// the objects `entries` (its process's ledger) already account for; nil when NetBox has
    /// none, or the entry has no finder.
    func findMade(_ entry: LedgerEntry, among entries: [LedgerEntry]) async throws -> NetBoxWritten? {
        guard let finder = try entry.finder?.decode(NetBoxFinder.self) else { return nil }
        return try await find(finder, excluding: Set(entries.filter { $0.objectType == entry.objectType }.compactMap(\.objectID)))
    }
}

extension StepContext {
    /// Deletes the objects of `type` the subscription's processes created and that still
    /// exist; one already gone from NetBox is skipped. Returns how many were deleted.
    func releaseCreated(_ type: String, of footprint: LedgerFootprint) async throws -> Int {
        let netbox = try await self.netbox()
        var deleted = 0
        for entry in footprint.created(type) {
            guard let id = entry.objectID else { continue }
            let gone: Void? = try await ifFound {
                switch type {
                case "ipam.ip-address": try await netbox.deleteIPAddress(id: id, label: entry.label)
                case "ipam.prefix": try await netbox.deletePrefix(id: id, label: entry.label)
                case "dcim.cable": try await netbox.deleteCable(id: id)
                default: throw StepError("cannot release a \(type)")
                }
            }
            if gone != nil { deleted += 1 }
        }
        return deleted
    }

    /// Sets the fields the subscription's processes changed on `type:id` back to what they
    /// were before; false when nothing was changed (or the object is gone).
    func setBack(_ type: String, _ id: Int, of footprint: LedgerFootprint) async throws -> Bool {
        let original = footprint.originalValues(type, id)
        guard !original.isEmpty else { return false }
        let netbox = try await self.netbox()
        return try await ifFound { try await netbox.setBack(type, id: id, JSONValue.object(original)) } != nil
    }
}

extension StepContext {
    /// NetBox objects the ledger says `subscription`'s processes created and that still
    /// exist, but that the subscription does not reference (`isReferenced` says which it
    /// does): a run that was replaced and could not release them, or a model that lost them.
    func orphans(of subscription: UUID, isReferenced: (LedgerEntry, LedgerFootprint) -> Bool) async throws -> [Drift] {
        let footprint = LedgerFootprint(try await ledger.subscriptionEntries(subscription))
        return footprint.created.values.sorted { $0.startedAt < $1.startedAt }.filter { !isReferenced($0, footprint) }.map { entry in
            Drift(
                "netbox.orphans", subscription: nil,
                netbox: "\(entry.objectType) \(entry.label ?? "?") (id \(entry.objectID ?? 0)) made by process "
                    + "\(entry.processID.description.prefix(8)) step \(entry.step), referenced by no field of the subscription")
        }
    }
}

/// What a subscription's processes did in NetBox, from the ledger.
struct LedgerFootprint: Sendable {
    let entries: [LedgerEntry]
    /// Created and not deleted since, by `type:id`.
    let created: [String: LedgerEntry]

    init(_ entries: [LedgerEntry]) {
        self.entries = entries
        created = entries.living
    }

    /// Whether anything was recorded (a subscription made before the ledger has nothing).
    var isEmpty: Bool { entries.isEmpty }

    /// Created objects of `type` that still exist, oldest first.
    func created(_ type: String) -> [LedgerEntry] {
        created.values.filter { $0.objectType == type }.sorted { $0.startedAt < $1.startedAt }
    }

    /// Each field the subscription's processes changed on `type:id`, with the value it had
    /// before the first change: what a terminate sets back.
    func originalValues(_ type: String, _ id: Int) -> [String: JSONValue] {
        var original: [String: JSONValue] = [:]
        for entry in entries where entry.action == .update && entry.outcome == .done && entry.objectType == type && entry.objectID == id {
            guard case .object(let fields) = entry.replaced ?? .null else { continue }
            for (field, value) in fields where original[field] == nil { original[field] = value }
        }
        return original
    }
}

/// Deletes objects a run made but may not keep, first marking each released in the ledger
/// (so a runner that adopted it meanwhile keeps it), then recording the delete.
public struct NetBoxLedgerReleaser: LedgerReleaser {
    public init() {}

    public func release(_ entries: [LedgerEntry], ledger: StepLedger, services: Services) async throws {
        let netbox = try await services.netbox().journaled(LedgerJournal(ledger: ledger, fenced: false))
        // Addresses before the prefixes that hold them, then cables.
        let order = ["ipam.ip-address": 0, "dcim.cable": 1, "ipam.prefix": 2]
        for entry in entries.sorted(by: { order[$0.objectType, default: 3] < order[$1.objectType, default: 3] }) {
            guard let id = entry.objectID, try await ledger.store.markReleased(entry.entryID, heldBy: entry.heldBy, at: ledger.now()) else {
                continue
            }
            do {
                switch entry.objectType {
                case "ipam.ip-address": _ = try await ifFound { try await netbox.deleteIPAddress(id: id, label: entry.label) }
                case "ipam.prefix": _ = try await ifFound { try await netbox.deletePrefix(id: id, label: entry.label) }
                case "dcim.cable": _ = try await ifFound { try await netbox.deleteCable(id: id) }
                default: continue
                }
                ledger.logger.notice("released what a replaced run made", metadata: ["object": "\(entry.objectRef ?? "?")"])
            } catch {
                try await ledger.store.unmarkReleased(entry.entryID, heldBy: entry.heldBy)
                throw error
            }
        }
    }
}

extension Services {
    /// A copy that releases, through NetBox, what a replaced run of a step made.
    public func registeringNetBoxReleaser() -> Services {
        registering(NetBoxLedgerReleaser(), as: (any LedgerReleaser).self)
    }

    public mutating func registerNetBoxReleaser() {
        self = registeringNetBoxReleaser()
    }
}
