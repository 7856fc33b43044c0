import Foundation
import WorkflowEngine

/// A Node the scale loader enrols: its NetBox device and what create_node gives it.
///
/// Models are built as JSON directly (the blocks' persisted field names), not by encoding the
/// typed blocks: a million JSONEncoder round trips would cost more than the load itself. The
/// store's row plan refuses any field its product does not have, and `wf bench --scale`
/// reads loaded subscriptions back and compares them with these models before it measures.
struct ScaleNode {
    let subscriptionID: UUID
    let instanceID: String
    let deviceID: Int
    let name: String
    let customer: String
    /// Ports given to circuits so far (`ethernet-1/1` up).
    var usedPorts = 0

    static let ports = 48

    var description: String { "Node \(name)" }
    var loopbackV4: String { "10.\(128 + (deviceID >> 16) & 127).\((deviceID >> 8) & 255).\(deviceID & 255)/32" }
    var loopbackV6: String { "fc00:0:0:127::\(String(deviceID, radix: 16))/128" }

    /// The NodeBlock as create_node leaves it at each stage; `identified` once stored.
    func root(status: String = "active", loopbacks: Bool = true, identified: Bool = true) -> JSONValue {
        var block: [String: JSONValue] = ["node_id": .int(deviceID), "node_name": .string(name), "node_status": .string(status)]
        if loopbacks {
            block["ipv4_loopback"] = .string(loopbackV4)
            block["ipv6_loopback"] = .string(loopbackV6)
        }
        if identified { block["subscription_instance_id"] = .string(instanceID) }
        return .object(block)
    }
}

/// One side of a circuit: a port of a Node and the point-to-point addresses on it.
struct ScaleSide {
    let node: ScaleNode
    let portID: Int
    let portName: String
    let addressV4: String
    let addressV6: String
    /// The node and port at the other end, for the port's description.
    let peer: String
    let memberID: String
    let portInstanceID: String

    func member(identified: Bool, addresses: Bool) -> JSONValue {
        var port: [String: JSONValue] = [
            "port_id": .int(portID), "port_name": .string(portName), "port_description": .string("core link to \(peer)"),
            "node": node.root(),
        ]
        var member: [String: JSONValue] = [:]
        if identified {
            port["subscription_instance_id"] = .string(portInstanceID)
            member["subscription_instance_id"] = .string(memberID)
        }
        member["port"] = .object(port)
        if addresses {
            member["v4_ip_address"] = .string(addressV4)
            member["v6_ip_address"] = .string(addressV6)
        }
        return .object(member)
    }
}

/// A Circuit the scale loader connects between two of its Nodes.
struct ScaleCircuit {
    let subscriptionID: UUID
    let instanceID: String
    let cableID: Int
    let productName: String
    let customer: String
    let a: ScaleSide
    let b: ScaleSide

    var ends: String { "\(a.node.name):\(a.portName) <--> \(b.node.name):\(b.portName)" }

    /// As `CircuitBlock.subscriptionDescription` says it.
    func description(cable: Bool) -> String {
        "Circuit ID \(cable ? String(cableID) : "(none yet)"): \(ends)"
    }

    /// The CircuitBlock as create_circuit (and later workflows) leave it at each stage.
    func root(identified: Bool = true, cable: Bool = true, addresses: Bool = true, described: Bool = true, status: String, maintenance: Bool)
        -> JSONValue
    {
        var block: [String: JSONValue] = [
            "members": .array([a.member(identified: identified, addresses: addresses), b.member(identified: identified, addresses: addresses)]),
            "circuit_status": .string(status), "circuit_description": .string(described ? description(cable: true) : ends),
            "under_maintenance": .bool(maintenance),
        ]
        if cable { block["circuit_id"] = .int(cableID) }
        if identified { block["subscription_instance_id"] = .string(instanceID) }
        return .object(block)
    }
}

extension SubscriptionModel {
    /// `self` with `change` applied: how each step below derives the next version.
    func with(_ change: (inout SubscriptionModel) -> Void) -> SubscriptionModel {
        var copy = self
        change(&copy)
        return copy
    }
}

extension UUID {
    /// The id as the stores write it (`uuidString` is upper case).
    var lowercased: String { uuidString.lowercased() }
}
