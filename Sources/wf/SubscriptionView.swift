import Foundation
import Persistence
import WorkflowEngine

/// Text and JSON views of subscriptions and their history.
enum SubscriptionView {
    static func summary(_ row: SubscriptionSummary) -> JSONValue {
        .object([
            "subscription_id": .string(row.subscriptionID.uuidString.lowercased()), "product_name": .string(row.productName),
            "customer_id": .string(row.customerID), "description": .string(row.description), "status": .string(row.status.rawValue),
            "insync": .bool(row.insync), "locked_by": row.lockedBy.map { .string($0.description) } ?? .null,
        ])
    }

    /// A time given as `--at` or `--since`: see `TimeArgument`.
    static func parseTime(_ text: String) throws -> Date {
        try TimeArgument.parse(text)
    }

    /// Prints the model tree; with `at`, first says that it is a past view and how to see it now.
    static func printModel(_ model: SubscriptionModel, lockedBy: ProcessID?, usedBy: [SubscriptionSummary], at: Date? = nil) {
        if let at {
            let now = "wf subscription show \(model.subscriptionID.uuidString.lowercased().prefix(8))"
            print("as it was at \(Rendering.shortTime(at)) UTC (a past view; now: \(now))")
            print("")
        }
        print("subscription  \(model.subscriptionID.uuidString.lowercased())")
        print("product       \(model.productName)")
        print("description   \(model.description)")
        print("status        \(model.status.rawValue)\(model.insync ? ", in sync" : ", not in sync")")
        print("customer      \(model.customerID)")
        if let start = model.startDate { print("start         \(Rendering.shortTime(start))") }
        if let end = model.endDate { print("end           \(Rendering.shortTime(end))") }
        if let note = model.note { print("note          \(note)") }
        if let lockedBy { print("locked by     process \(lockedBy)") }
        if !usedBy.isEmpty {
            print(
                "in use by     " + usedBy.map { "\($0.subscriptionID.uuidString.lowercased().prefix(8)) (\($0.description))" }.joined(separator: ", ")
            )
        }
        print("")
        printBlock(model.root, indent: 0)
    }

    private static func printBlock(_ block: JSONValue, indent: Int) {
        let pad = String(repeating: "  ", count: indent)
        for (key, value) in (block.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) where key != BlockSchema.instanceIDKey {
            switch value {
            case .object:
                print("\(pad)\(key):")
                printBlock(value, indent: indent + 1)
            case .array(let items) where items.contains(where: { $0.objectValue != nil }):
                for (index, item) in items.enumerated() {
                    print("\(pad)\(key)[\(index)]:")
                    printBlock(item, indent: indent + 1)
                }
            default:
                print("\(pad)\(key): \(value.jsonText)")
            }
        }
    }

    struct Entry {
        var time: Date
        var json: JSONValue
        var text: String
    }

    /// `port_a: ethernet-1/2 (26), under_maintenance: false`: each answer as the person chose
    /// it, with the label the choice showed where the process kept one.
    static func answers(_ input: State, labelledFrom state: State) -> String {
        guard !input.isEmpty else { return "(nothing asked)" }
        return input.keys.sorted().compactMap { key in
            guard let value = input[raw: key] else { return nil }
            let plain = value.stringValue ?? value.jsonText
            guard let label = InputLabels.label(of: value, field: key, in: state), label != plain else { return "\(key): \(plain)" }
            return "\(key): \(label) (\(plain.count > 12 ? String(plain.prefix(8)) : plain))"
        }.joined(separator: ", ")
    }

    /// The labels of the chosen values of `input`, field by field, for `--json`.
    static func labels(_ input: State, from state: State) -> JSONValue {
        var labels: [String: JSONValue] = [:]
        for key in input.keys {
            if let value = input[raw: key], let label = InputLabels.label(of: value, field: key, in: state) { labels[key] = .string(label) }
        }
        return .object(labels)
    }

    /// Reads everything `history(versions:processes:events:ledger:)` shows of subscription `id`.
    static func history(of id: UUID, store: any WorkflowStore) async throws -> [Entry] {
        var processes: [(ProcessRecord, [InputStateRecord])] = []
        for processID in try await store.processes(of: id) {
            guard let process = try await store.process(processID) else { continue }
            processes.append((process, try await store.inputStates(of: processID)))
        }
        return history(
            versions: try await store.versions(of: id), processes: processes, events: try await store.events(of: id),
            ledger: try await store.ledger(LedgerQuery(subscriptionID: id)))
    }

    /// The processes, versions and operator events of a subscription, in time order, each
    /// version with the NetBox writes of the step that saved it; writes of a step that saved
    /// no version (`update_node_in_netbox`) are entries of their own.
    static func history(
        versions: [SubscriptionVersion], processes: [(ProcessRecord, [InputStateRecord])], events: [SubscriptionEvent], ledger: [LedgerEntry]
    ) -> [Entry] {
        var entries: [Entry] = []
        var writes = LedgerView.byProcessStep(ledger)
        for (process, inputs) in processes {
            var text = "\(Rendering.shortTime(process.startedAt))  process \(process.processID.description.prefix(8)) \(process.workflowName)"
            text += " started by \(process.createdBy), now \(process.status.rawValue)"
            for input in inputs {
                text += "\n      input (\(input.kind.rawValue)\(input.page.map { ", page \($0)" } ?? "")) by \(input.createdBy): "
                text += answers(input.input, labelledFrom: process.state).clipped(160)
            }
            entries.append(
                Entry(
                    time: process.startedAt,
                    json: .object([
                        "kind": "process", "time": Rendering.timestamp(process.startedAt), "process_id": .string(process.processID.description),
                        "workflow": .string(process.workflowName), "user": .string(process.createdBy), "status": .string(process.status.rawValue),
                        "inputs": .array(
                            inputs.map {
                                .object([
                                    "input_type": .string($0.kind.rawValue), "user": .string($0.createdBy), "input": $0.input.json,
                                    "labels": labels($0.input, from: process.state),
                                ])
                            }),
                    ]), text: text))
        }
        for version in versions {
            var text = "\(Rendering.shortTime(version.time))  version \(version.version) by \(version.user)"
            if let process = version.processID { text += " in process \(process.description.prefix(8))" }
            if let step = version.step { text += " step \(step)" }
            for change in version.changes {
                guard !change.path.isEmpty else {
                    text += "\n      created as \(version.model.status.rawValue): \(version.model.description)"
                    continue
                }
                text +=
                    "\n      \(change.path): \(change.before?.jsonText.clipped(50) ?? "(absent)") -> \(change.after?.jsonText.clipped(50) ?? "(absent)")"
            }
            // A step that saved more than one version shows its writes beside the first.
            let netbox = version.processID.flatMap { process in version.step.flatMap { writes.removeValue(forKey: .init(process, $0)) } } ?? []
            for write in netbox { text += "\n      NetBox \(LedgerView.line(write))" }
            entries.append(
                Entry(
                    time: version.time,
                    json: .object([
                        "kind": "version", "time": Rendering.timestamp(version.time), "version": .int(version.version), "user": .string(version.user),
                        "process_id": version.processID.map { .string($0.description) } ?? .null,
                        "step": version.step.map { .string($0.rawValue) } ?? .null,
                        "changes": .array(
                            version.changes.map { .object(["path": .string($0.path), "before": $0.before ?? .null, "after": $0.after ?? .null]) }),
                        "netbox_changes": .array(netbox.map(LedgerView.json)),
                    ]), text: text))
        }
        for (key, netbox) in writes {
            guard let first = netbox.first else { continue }
            var text = "\(Rendering.shortTime(first.startedAt))  NetBox writes in process \(key.process.description.prefix(8)) step \(key.step)"
            for write in netbox { text += "\n      \(LedgerView.line(write))" }
            entries.append(
                Entry(
                    time: first.startedAt,
                    json: .object([
                        "kind": "netbox_changes", "time": Rendering.timestamp(first.startedAt), "process_id": .string(key.process.description),
                        "step": .string(key.step.rawValue), "netbox_changes": .array(netbox.map(LedgerView.json)),
                    ]), text: text))
        }
        for event in events {
            entries.append(
                Entry(
                    time: event.time,
                    json: .object([
                        "kind": .string(event.event), "time": Rendering.timestamp(event.time), "user": .string(event.user),
                        "detail": .string(event.detail),
                    ]), text: "\(Rendering.shortTime(event.time))  \(event.event) by \(event.user): \(event.detail)"))
        }
        return entries.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(\.element)
    }
}
