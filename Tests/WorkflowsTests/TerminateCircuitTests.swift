import Foundation
import NetBox
import NetBoxLite
import Products
import Testing
import WorkflowEngine
import WorkflowTestKit
import Workflows

/// terminate_circuit against NetBoxLite: cable deleted, addresses and prefixes released, ports free.
@Suite("terminate_circuit", .serialized)
struct TerminateCircuitTests {
    static let ports = [WorkshopLab.portA, WorkshopLab.portB]

    /// Nothing of the circuit is left in NetBox, and both ports are offered again.
    static func expectReleased(_ circuit: SubscriptionModel, in lab: WorkshopLab, cable: Int) async throws {
        let gone = try await #require(throws: NetBoxError.self) { try await lab.netbox.cable(id: cable) }
        #expect(gone.code == .notFound)
        #expect(try await lab.cables(on: Self.ports).isEmpty)
        for port in Self.ports {
            #expect(try await lab.netbox.ipAddresses(interfaceID: port).isEmpty, "port \(port)")
            #expect(try await lab.netbox.interface(id: port).description == "", "port \(port)")
        }
        #expect(try await lab.prefixes(of: circuit).isEmpty)
        for block in ["10.0.0.0/31", "fc00:0:0:10::/127"] {
            #expect(try await lab.netbox.ipAddresses(parent: block).isEmpty, "no address left in the circuit's \(block)")
        }
        #expect(try await lab.netbox.freeInterfaces(deviceID: 1).contains { $0.id == WorkshopLab.portA })
        #expect(try await lab.netbox.freeInterfaces(deviceID: 2).contains { $0.id == WorkshopLab.portB })
        #expect(try await lab.store.subscription(circuit.subscriptionID)?.status == .terminated)
    }

    @Test func deletesTheCableReleasesTheAddressesAndPrefixesAndFreesThePorts() async throws {
        try await withWorkshop { lab in
            let (_, _, circuit) = try await lab.nodesAndCircuit()
            let cable = try #require(try await lab.circuit(circuit.subscriptionID).circuitID)
            #expect(try await lab.prefixes(of: circuit).count == 2)
            #expect(try await lab.netbox.ipAddresses(interfaceID: WorkshopLab.portA).count == 2)
            #expect(try await !lab.netbox.freeInterfaces(deviceID: 1).contains { $0.id == WorkshopLab.portA })

            let done = try await lab.engine.start("terminate_circuit", input: lab.input(circuit), user: "carol")
            #expect(done.status == .completed, "\(done.failedReason ?? "")")

            try await Self.expectReleased(circuit, in: lab, cable: cable)
            let stored = try #require(try await lab.store.subscription(circuit.subscriptionID))
            #expect(stored.endDate != nil)
            #expect(try stored.root.decode(CircuitBlock.self).members.first?.v4IPAddress == "10.0.0.0/31", "the record keeps what it held")
            let summary = try await lab.summary(circuit.subscriptionID)
            #expect(summary.insync && summary.lockedBy == nil)
        }
    }

    @Test func afterwardsTheNodesAreFreeAndANewCircuitReusesThePorts() async throws {
        try await withWorkshop { lab in
            let (a, b, first) = try await lab.nodesAndCircuit()
            let refused = try await #require(throws: WorkflowError.self) {
                try await lab.engine.start("terminate_node", input: lab.input(a), user: "carol")
            }
            #expect(refused.code == .subscriptionInUse)
            #expect(try await lab.engine.start("terminate_circuit", input: lab.input(first), user: "carol").status == .completed)

            // The ports are offered again, and a new circuit takes them and the freed addresses.
            let session = lab.engine.makeFormSession(try #require(lab.engine.registry["create_circuit"]?.initialForm))
            let answers: State = ["product": "Circuit 10G", "node_a": .string(a.subscriptionID.uuidString.lowercased())]
            let offered = try await session.page(2, answers: answers).fields.first { $0.name == "port_a" }?.choices
            #expect(offered?.compactMap(\.value.intValue).contains(WorkshopLab.portA) == true)
            let second = try await lab.createdCircuit(a, b)
            let reused = try await lab.circuit(second.subscriptionID)
            #expect(reused.members.compactMap(\.port?.portID) == Self.ports)
            #expect(reused.members.first?.v4IPAddress == "10.0.0.0/31", "the released /31 is the first free again")
            #expect(try await lab.cables(on: Self.ports).count == 1)

            // With that one terminated too, nothing uses the Nodes any more.
            #expect(try await lab.engine.start("terminate_circuit", input: lab.input(second), user: "carol").status == .completed)
            for node in [a, b] {
                let done = try await lab.engine.start("terminate_node", input: lab.input(node), user: "carol")
                #expect(done.status == .completed, "\(done.failedReason ?? "")")
            }
        }
    }

    @Test func aCableAlreadyDeletedInNetBoxIsNoError() async throws {
        try await withWorkshop { lab in
            let (_, _, circuit) = try await lab.nodesAndCircuit()
            let cable = try #require(try await lab.circuit(circuit.subscriptionID).circuitID)
            try await lab.netbox.deleteCable(id: cable)

            let done = try await lab.engine.start("terminate_circuit", input: lab.input(circuit), user: "carol")
            #expect(done.status == .completed, "\(done.failedReason ?? "")")
            let steps = try await lab.store.steps(of: done.processID)
            #expect(steps.first { $0.key == "delete_circuit_in_netbox" }?.status == .skipped)
            try await Self.expectReleased(circuit, in: lab, cable: cable)
        }
    }

    @Test func aNodeIsNotACircuit() async throws {
        try await withWorkshop { lab in
            let node = try await lab.enrolledNode(1)
            let error = try await #require(throws: WorkflowError.self) {
                try await lab.engine.start("terminate_circuit", input: lab.input(node), user: "carol")
            }
            #expect(error.code == .invalidInput)
            #expect(error.problems.first?.reason.contains("is a Node subscription; terminate_circuit takes Circuit") == true, "\(error)")
            #expect(try await lab.summary(node.subscriptionID).lockedBy == nil)
        }
    }

    @Test(arguments: ["delete_circuit_in_netbox", "release_ips_in_ipam", "release_ports_in_netbox"] as [StepKey])
    func aCrashAfterANetBoxStepRunsItAgainWithoutHarm(step: StepKey) async throws {
        try await withWorkshop { lab in
            let (_, _, circuit) = try await lab.nodesAndCircuit()
            let cable = try #require(try await lab.circuit(circuit.subscriptionID).circuitID)
            let crashing = lab.crashingEngine(after: [step])
            await #expect(throws: CrashingStore.Crash.self) {
                try await crashing.start("terminate_circuit", input: lab.input(circuit), user: "carol")
            }
            #expect(try await lab.cables(on: Self.ports).isEmpty, "NetBox changed before the crash")

            let recovered = try await lab.recoverAfterCrash()
            #expect(recovered.map(\.status) == [.completed], "\(recovered.first?.failedReason ?? "")")
            try await Self.expectReleased(circuit, in: lab, cable: cable)
        }
    }

    @Test func netBoxFailingMidWorkflowParksTheProcessAndARetryCompletesIt() async throws {
        try await withWorkshop { lab in
            let (_, _, circuit) = try await lab.nodesAndCircuit()
            let cable = try #require(try await lab.circuit(circuit.subscriptionID).circuitID)
            lab.server.injectFaults([.status(503, count: 1, pathPrefix: "/api/ipam/")])
            let parked = try await lab.engine.start("terminate_circuit", input: lab.input(circuit), user: "carol")
            #expect(parked.status == .waiting)
            #expect(parked.lastStep == "release_ips_in_ipam")
            #expect(try await lab.cables(on: Self.ports).isEmpty, "the step before it went through")

            lab.clock.advance(by: .seconds(11))
            let retried = try await lab.engine.recover(user: "alice")
            #expect(retried.map(\.status) == [.completed], "\(retried.first?.failedReason ?? "")")
            try await Self.expectReleased(circuit, in: lab, cable: cable)
        }
    }
}
