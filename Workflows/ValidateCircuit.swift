import Foundation
import NetBox
import Products
import WorkflowEngine

/// Compares a Circuit with NetBox field by field: its cable (id, status, description, the two
/// ports it ends on) and, per side, the port (name, description) and the addresses on it. In
/// sync: the process completes. Drift: it fails naming every difference and, as validate_node,
/// stays failed with the subscription locked and out of sync until repaired and retried, or aborted.
public enum ValidateCircuit: Workflow {
    public static let name: WorkflowName = "validate_circuit"

    public static let target = WorkflowTarget.validate
    public static let description = "Compare a Circuit with its NetBox cable, ports and addresses"
    public static var initialForm: FormFlow? { form }
    public static var steps: StepList {
        begin >>> compareCircuitWithNetBox
    }

    static var form: FormFlow {
        FormFlow([
            .init("circuit", "Circuit") { context in
                let circuit = try await CircuitForms.circuit(context, in: CircuitForms.inService)
                return [.summary("circuit", "To compare with NetBox", items: [SummaryItem("Circuit", CircuitForms.summary(circuit))])]
            }
        ])
    }

    /// Fails naming every difference (the runner keeps the lock: see the type's comment).
    static let compareCircuitWithNetBox = Step("compare_circuit_with_netbox", retry: .standard) { context in
        let subscription = try context.subscription(CircuitBlock.self)
        let drifts = try await drifts(context, subscription.model)
        guard drifts.isEmpty else {
            return .failed("the Circuit differs from NetBox: " + drifts.map(\.description).joined(separator: "; "))
        }
        return .success
    }

    /// The differences between a Circuit subscription and NetBox, for validate_subscriptions.
    /// Objects the Circuit's processes made that it no longer names count as drift too: its
    /// cable, the addresses on its ports, and the prefixes those addresses came from.
    @Sendable static func drifts(_ context: StepContext, _ model: SubscriptionModel) async throws -> [Drift] {
        let circuit = try Subscription<CircuitBlock>(model)
        let addresses = Set(circuit.root.members.flatMap { [$0.v4IPAddress, $0.v6IPAddress] }.compactMap { $0 })
        func isNamed(_ entry: LedgerEntry) -> Bool {
            entry.objectType == "ipam.ip-address" && addresses.contains(entry.label ?? "")
        }
        let orphans = try await context.orphans(of: model.subscriptionID) { entry, footprint in
            switch entry.objectType {
            case "dcim.cable": return entry.objectID == circuit.root.circuitID
            case "ipam.ip-address": return isNamed(entry)
            case "ipam.prefix":
                // A block is the Circuit's while an address it names was allocated from it.
                return footprint.created("ipam.ip-address").contains { address in
                    guard isNamed(address), case .address(let parent, _, _)? = try? address.finder?.decode(NetBoxFinder.self) else {
                        return false
                    }
                    return parent == entry.label
                }
            default: return true
            }
        }
        return try await drifts(of: circuit, in: try await context.netbox()) + orphans
    }

    /// What the Circuit says against what NetBox says. The cable's fields are compared when the
    /// cable exists; each side's port and addresses whether it does or not.
    static func drifts(of subscription: Subscription<CircuitBlock>, in netbox: NetBoxClient) async throws -> [Drift] {
        let circuit = subscription.root
        // Free text is quoted, so that an empty or a trailing-space description shows.
        func quoted(_ text: String) -> String { "\"\(text)\"" }
        func compare(_ field: String, _ mine: String?, _ theirs: String?, shown: (String) -> String = { $0 }) -> [Drift] {
            mine == theirs ? [] : [Drift(field, subscription: mine.map(shown), netbox: theirs.map(shown))]
        }
        var drifts: [Drift] = []
        drifts += try await cableDrifts(circuit, description: circuit.circuitDescription ?? subscription.model.description, in: netbox)
        for (index, member) in circuit.members.enumerated() {
            let path = "circuit.members[\(index)]"
            guard let portID = member.port?.portID else {
                drifts.append(Drift("\(path).port.port_id", subscription: nil, netbox: "unknown (no interface id to look up)"))
                continue
            }
            guard let interface = try await ifFound({ try await netbox.interface(id: portID) }) else {
                drifts.append(Drift("\(path).port.port_id", subscription: String(portID), netbox: "no such interface"))
                continue
            }
            drifts += compare("\(path).port.port_name", member.port?.portName, interface.name)
            // What the payload builder writes: the port's description, else the subscription's.
            let description = member.port?.portDescription ?? subscription.model.description
            drifts += compare("\(path).port.port_description", description, interface.description, shown: quoted)
            let addresses = try await netbox.ipAddresses(interfaceID: portID)
            for (field, mine, isV6) in [("v4_ip_address", member.v4IPAddress, false), ("v6_ip_address", member.v6IPAddress, true)] {
                let theirs = addresses.filter { $0.address.contains(":") == isV6 }.map(\.address).sorted()
                drifts += compare("\(path).\(field)", mine, theirs.isEmpty ? nil : theirs.joined(separator: ", "))
            }
        }
        return drifts
    }

    /// The cable `circuit_id` names: its status, description, and the two ports it ends on
    /// (A and B either way round).
    private static func cableDrifts(_ circuit: CircuitBlock, description: String, in netbox: NetBoxClient) async throws -> [Drift] {
        guard let id = circuit.circuitID else {
            return [Drift("circuit.circuit_id", subscription: nil, netbox: "unknown (no cable id to look up)")]
        }
        let ports = circuit.members.compactMap { $0.port?.portID }
        guard let cable = try await ifFound({ try await netbox.cable(id: id) }) else {
            // Nothing else of the cable can be compared; say whether the ports have another one.
            let other =
                if let port = ports.first { try await ifFound({ try await netbox.cable(onInterface: port) }) ?? nil } else { NetBoxCable?.none }
            return [
                Drift(
                    "circuit.circuit_id", subscription: String(id),
                    netbox: other.map { "\($0.id) (the cable on interface \(ports[0]))" } ?? "no such cable")
            ]
        }
        var drifts: [Drift] = []
        if circuit.circuitStatus != cable.status.value {
            drifts.append(Drift("circuit.circuit_status", subscription: circuit.circuitStatus, netbox: cable.status.value))
        }
        if description != cable.description {
            drifts.append(Drift("circuit.circuit_description", subscription: "\"\(description)\"", netbox: "\"\(cable.description)\""))
        }
        let ends = (cable.aTerminations + cable.bTerminations).map(\.objectID)
        if Set(ends) != Set(ports) || ends.count != ports.count {
            func show(_ ids: [Int]) -> String { ids.isEmpty ? "no interfaces" : "interfaces " + ids.map(String.init).joined(separator: " and ") }
            drifts.append(Drift("circuit.members[*].port.port_id", subscription: show(ports), netbox: "cable \(id) ends on \(show(ends))"))
        }
        return drifts
    }
}
