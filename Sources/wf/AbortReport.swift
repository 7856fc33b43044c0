import Foundation
import Persistence
import WorkflowEngine
import Workflows

/// What `wf abort` says it leaves behind: the subscription the process worked on (status,
/// sync, the changes nobody confirmed), the NetBox objects that subscription names, and the
/// command that cleans it up. Aborting undoes nothing (undo is a process of its own).
struct AbortReport {
    var lines: [String] = []
    var json: [JSONValue] = []

    static func build(_ outcome: ProcessOutcome, runtime: Runtime) async throws -> AbortReport {
        var report = AbortReport()
        guard let id = UndoProcess.subscriptionID(in: outcome.state), let model = try await runtime.store.subscription(id) else {
            report.lines.append("  left behind: no subscription (this process had not stored one)")
            return report
        }
        let key = id.uuidString.lowercased()
        let unconfirmed = try await UnconfirmedChanges.find(id, subscriptions: runtime.store, processes: runtime.store)
        // Blocks of other products nested in this one (a Circuit's ports point at their Nodes) are theirs, not this one's.
        let others = Set(runtime.engine.products.products.filter { $0.name != model.productName }.map(\.rootAttribute))
        let objects = netBoxObjects(in: model.root, skipping: others)
        // The product's own workflows by what they are for, as the catalog declares them.
        let workflows = (runtime.engine.products[model.productName]?.workflows ?? []).compactMap { runtime.engine.registry[$0] }
        let cleanup = cleanupCommand(model, unconfirmed: unconfirmed, workflows: workflows)
        report.lines.append(
            "  left behind: subscription \(key.prefix(8)) \"\(model.description)\" (\(model.productName)): \(model.status.rawValue), "
                + (model.insync ? "in sync" : "out of sync"))
        if !unconfirmed.isEmpty { report.lines.append("    never confirmed as applied: \(unconfirmed.description)") }
        if !objects.isEmpty { report.lines.append("    NetBox objects it names (left as they are): \(objects.joined(separator: ", "))") }
        report.lines.append("    clean up: \(cleanup)")
        report.json.append(
            .object([
                "subscription_id": .string(key), "status": .string(model.status.rawValue), "insync": .bool(model.insync),
                "unconfirmed": .string(unconfirmed.description), "netbox_objects": .array(objects.map(JSONValue.string)),
                "cleanup": .string(cleanup),
            ]))
        return report
    }

    /// What to run next: terminate a subscription that never became active; confirm by hand
    /// what an aborted modify changed; check again otherwise.
    private static func cleanupCommand(_ model: SubscriptionModel, unconfirmed: UnconfirmedChanges, workflows: [WorkflowDefinition]) -> String {
        let key = model.subscriptionID.uuidString.lowercased()
        func workflow(_ target: WorkflowTarget) -> String { workflows.first { $0.target == target }?.name ?? "its \(target.rawValue) workflow" }
        switch model.status {
        case .initial, .provisioning:
            return "it never became active: `wf start \(workflow(.terminate)) --input - <<< '{\"subscription_id\": \"\(key)\"}'` "
                + "releases what it holds in NetBox and ends it"
        case .terminated:
            return "nothing: it is terminated"
        default:
            if !unconfirmed.isEmpty {
                return "apply or undo the change on the devices, then `wf subscription set-in-sync \(key.prefix(8)) --reason \"…\"`"
            }
            return "check it against NetBox with `wf start \(workflow(.validate)) --input - <<< '{\"subscription_id\": \"\(key)\"}'`"
        }
    }

    /// `device 3`, `interface 1`, `cable 7`, `address 10.0.0.0/31`: what the model points at in NetBox.
    static func netBoxObjects(in value: JSONValue, skipping others: Set<String>) -> [String] {
        let kinds = ["node_id": "device", "port_id": "interface", "circuit_id": "cable"]
        var found: [String] = []
        func walk(_ value: JSONValue) {
            switch value {
            case .object(let object):
                for key in object.keys.sorted() where !others.contains(key) {
                    guard let field = object[key] else { continue }
                    if let kind = kinds[key], case .int(let id) = field {
                        found.append("\(kind) \(id)")
                    } else if key.hasSuffix("ip_address") || key.hasPrefix("ipv4_") || key.hasPrefix("ipv6_"), let address = field.stringValue {
                        found.append("address \(address)")
                    } else {
                        walk(field)
                    }
                }
            case .array(let items): items.forEach(walk)
            default: break
            }
        }
        walk(value)
        var seen: Set<String> = []
        return found.filter { seen.insert($0).inserted }
    }
}
