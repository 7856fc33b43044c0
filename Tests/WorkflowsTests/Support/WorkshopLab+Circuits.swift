import Foundation
import NetBox
import Products
import Testing
import WorkflowEngine
import WorkflowTestKit
import Workflows

/// What the Circuit workflow tests share: a Circuit made by create_circuit, and what NetBox
/// holds for it.
extension WorkshopLab {
    /// Device 1's first port and device 2's first port: where `createdCircuit` connects by default.
    static let portA = 1
    static let portB = 12

    /// Connects two enrolled Nodes through create_circuit (confirming the config) and returns
    /// the active Circuit, as stored.
    func createdCircuit(_ a: SubscriptionModel, _ b: SubscriptionModel, ports: (Int, Int) = (portA, portB)) async throws
        -> SubscriptionModel
    {
        func id(_ node: SubscriptionModel) -> JSONValue { .string(node.subscriptionID.uuidString.lowercased()) }
        let started = try await engine.start(
            "create_circuit",
            input: .pages([
                ["product": "Circuit 10G", "node_a": id(a)], ["node_b": id(b)], ["port_a": .int(ports.0)], ["port_b": .int(ports.1)],
            ]),
            user: "alice")
        #expect(started.status == .suspended, "create_circuit: \(started.failedReason ?? "")")
        let done = try await engine.resume(started.processID, input: ["confirmed": true], user: "alice")
        #expect(done.status == .completed, "create_circuit: \(done.failedReason ?? "")")
        let carried = try SubscriptionModel(json: try #require(done.state[raw: "subscription"]))
        return try #require(try await store.subscription(carried.subscriptionID))
    }

    /// Two enrolled Nodes (devices 1 and 2) and an active Circuit between their first ports.
    func nodesAndCircuit() async throws -> (a: SubscriptionModel, b: SubscriptionModel, circuit: SubscriptionModel) {
        let a = try await enrolledNode(1)
        let b = try await enrolledNode(2)
        return (a, b, try await createdCircuit(a, b))
    }

    func circuit(_ id: UUID) async throws -> CircuitBlock {
        try #require(try await store.subscription(id)).root.decode(CircuitBlock.self)
    }

    /// The circuit's /31 and /127 in NetBox, found as create_circuit described them.
    func prefixes(of circuit: SubscriptionModel) async throws -> [NetBoxPrefix] {
        let tag = "circuit \(circuit.subscriptionID.uuidString.lowercased())"
        let plan = IPAMPlan()
        return try await netbox.prefixes(within: plan.coreLinkV4, description: "\(tag) v4")
            + netbox.prefixes(within: plan.coreLinkV6, description: "\(tag) v6")
    }

    /// Every cable in NetBox on either of `ports`.
    func cables(on ports: [Int]) async throws -> [NetBoxCable] {
        var found: [Int: NetBoxCable] = [:]
        for port in ports {
            if let cable = try await netbox.cable(onInterface: port) { found[cable.id] = cable }
        }
        return found.values.sorted { $0.id < $1.id }
    }
}
