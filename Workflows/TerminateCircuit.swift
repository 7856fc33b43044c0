import Foundation
import NetBox
import NetBoxPayloads
import Products
import WorkflowEngine

/// Takes a Circuit out of service: create_circuit run backwards. The cable is deleted, the
/// addresses on both ports and the /31 and /127 they came from are released, the ports'
/// descriptions are cleared (free again for create_circuit), and the subscription ends.
/// Its two Nodes are no longer in use and can be terminated.
///
/// Every step looks before it writes: what a crash or a retry already deleted is skipped,
/// never an error. The terminated subscription keeps what the Circuit held (cable id,
/// addresses), as the record of what was released.
public enum TerminateCircuit: Workflow {
    public static let name: WorkflowName = "terminate_circuit"

    public static let target = WorkflowTarget.terminate
    public static let description = "Terminate a Circuit: cable deleted, addresses and prefixes released, ports free again"
    public static var initialForm: FormFlow? { form }
    public static var steps: StepList {
        begin
            >>> deleteCircuitInNetBox
            >>> releaseIPsInIPAM
            >>> releasePortsInNetBox
    }

    /// Says what will happen; refuses anything but a Circuit that is not terminated yet.
    static var form: FormFlow {
        FormFlow([
            .init("circuit", "Circuit") { context in
                let circuit = try await CircuitForms.circuit(context, in: Set(Lifecycle.allCases).subtracting([.terminated]))
                return [
                    .summary(
                        "circuit", "To terminate",
                        items: [
                            SummaryItem("Circuit", CircuitForms.summary(circuit)),
                            SummaryItem("NetBox", "the cable is deleted, its addresses and prefixes released, both ports freed"),
                        ])
                ]
            }
        ])
    }

    /// Deletes the cable the Circuit's processes made, as the ledger says. A Circuit made
    /// before the ledger has its cable found by its id (the cable of that id must still
    /// connect its ports); without an id it never got one, and a cable now between its ports
    /// is someone else's (a process that won the race for them), left alone.
    static let deleteCircuitInNetBox = Step("delete_circuit_in_netbox", retry: .standard) { context in
        var subscription = try context.subscription(CircuitBlock.self)
        let footprint = try await context.subscriptionFootprint()
        if !footprint.isEmpty {
            // Only the cable the Circuit's processes made, as the ledger says.
            return try await context.releaseCreated("dcim.cable", of: footprint) > 0 ? .success : .skipped
        }
        let netbox = try await context.netbox()
        let ports = Set(subscription.root.members.compactMap { $0.port?.portID })
        func isTheCircuits(_ cable: NetBoxCable) -> Bool {
            Set((cable.aTerminations + cable.bTerminations).map(\.objectID)) == ports
        }
        guard let id = subscription.root.circuitID, let cable = try await ifFound({ try await netbox.cable(id: id) }) else { return .skipped }
        guard isTheCircuits(cable) else {
            throw StepError(
                "cable \(id) no longer connects the circuit's ports \(ports.sorted()); repair NetBox (validate_circuit shows the difference) and retry"
            )
        }
        // Through the payload builder, whose delete of a cable is the DELETE.
        subscription.root.circuitID = cable.id
        try await netbox.delete(try buildPayload(subscription.root, subscription: subscription.model))
        return .success
    }

    /// Deletes the addresses inside the circuit's /31 and /127 (found by their description, as
    /// create_circuit allocated them) and the prefixes themselves, then any address on a port
    /// that is still the subscription's. Addresses go before their prefix, so a crash in
    /// between leaves the prefix to find again.
    static let releaseIPsInIPAM = Step("release_ips_in_ipam", retry: .standard) { context in
        let circuit = try context.subscription(CircuitBlock.self)
        let footprint = try await context.subscriptionFootprint()
        if !footprint.isEmpty {
            // Exactly the addresses and prefixes the Circuit's processes allocated, addresses first.
            let addresses = try await context.releaseCreated("ipam.ip-address", of: footprint)
            let prefixes = try await context.releaseCreated("ipam.prefix", of: footprint)
            return addresses + prefixes > 0 ? .success : .skipped
        }
        let netbox = try await context.netbox()
        let plan = context.ipamPlan
        let tag = "circuit \(circuit.subscriptionID.uuidString.lowercased())"
        var released = false
        for (parent, family) in [(plan.coreLinkV4, "v4"), (plan.coreLinkV6, "v6")] {
            for prefix in try await netbox.prefixes(within: parent, description: "\(tag) \(family)") {
                for address in try await netbox.ipAddresses(parent: prefix.prefix) {
                    try await netbox.deleteIPAddress(id: address.id, label: address.address)
                }
                try await netbox.deletePrefix(id: prefix.id, label: prefix.prefix)
                released = true
            }
        }
        for member in circuit.root.members {
            guard let port = member.port?.portID else { continue }
            let mine = Set([member.v4IPAddress, member.v6IPAddress].compactMap { $0 })
            guard !mine.isEmpty, let addresses = try await ifFound({ try await netbox.ipAddresses(interfaceID: port) }) else { continue }
            for address in addresses where mine.contains(address.address) {
                try await netbox.deleteIPAddress(id: address.id, label: address.address)
                released = true
            }
        }
        return released ? .success : .skipped
    }

    /// Each port's description cleared, through the payload builder (its delete of an
    /// interface): with the cable gone, create_circuit offers the port again. A PATCH to the
    /// same value: running it again changes nothing. A port gone from NetBox is skipped.
    static let releasePortsInNetBox = Step("release_ports_in_netbox", retry: .standard) { context in
        let subscription = try context.subscription(CircuitBlock.self)
        let footprint = try await context.subscriptionFootprint()
        // Nothing recorded and no cable ever: a create that lost the race for its ports (or
        // wrote nothing); the ports' fields are another circuit's, not ours to clear.
        if footprint.isEmpty && subscription.root.circuitID == nil { return .skipped }
        if !footprint.isEmpty {
            // Each port's fields set back to what they were before the Circuit changed them.
            var changed = false
            for port in subscription.root.members.compactMap({ $0.port?.portID }) {
                changed = try await context.setBack("dcim.interface", port, of: footprint) || changed
            }
            return changed ? .success : .skipped
        }
        let netbox = try await context.netbox()
        for member in subscription.root.members {
            guard let port = member.port?.portID, try await ifFound({ try await netbox.interface(id: port) }) != nil else { continue }
            try await netbox.delete(try buildPayload(member, subscription: subscription.model))
        }
        return .success
    }
}
