import Foundation
import NetBox
import NetBoxLite
import Products
import Testing
import WorkflowEngine
import WorkflowTestKit
import Workflows

/// validate_circuit against NetBoxLite: clean completes, drift fails naming each field.
@Suite("validate_circuit", .serialized)
struct ValidateCircuitTests {
    @Test func aCircuitThatAgreesWithNetBoxValidatesAndIsInSyncAgain() async throws {
        try await withWorkshop { lab in
            let (_, _, circuit) = try await lab.nodesAndCircuit()
            let done = try await lab.engine.start("validate_circuit", input: lab.input(circuit), user: "dave")
            #expect(done.status == .completed, "\(done.failedReason ?? "")")
            let summary = try await lab.summary(circuit.subscriptionID)
            #expect(summary.insync && summary.lockedBy == nil)
            #expect(try await lab.store.subscription(circuit.subscriptionID)?.root == circuit.root, "validating changes nothing")
        }
    }

    @Test func driftInNetBoxFailsNamingTheFieldAndLeavesTheSubscriptionOutOfSync() async throws {
        try await withWorkshop { lab in
            let (_, _, circuit) = try await lab.nodesAndCircuit()
            let cable = try #require(try await lab.circuit(circuit.subscriptionID).circuitID)
            _ = try await lab.netbox.updateCable(id: cable, .init(status: "planned"))

            let failed = try await lab.engine.start("validate_circuit", input: lab.input(circuit), user: "dave")
            #expect(failed.status == .failed)
            #expect(failed.lastStep == "compare_circuit_with_netbox")
            #expect(
                failed.failedReason
                    == "step 'compare_circuit_with_netbox': the Circuit differs from NetBox: circuit.circuit_status: subscription says connected, NetBox says planned"
            )
            let summary = try await lab.summary(circuit.subscriptionID)
            #expect(!summary.insync)
            #expect(summary.lockedBy == failed.processID)

            // Repaired in NetBox, a retry compares again and puts the subscription back in sync.
            _ = try await lab.netbox.updateCable(id: cable, .init(status: "connected"))
            let retried = try await lab.engine.retry(failed.processID, user: "dave")
            #expect(retried.status == .completed)
            let after = try await lab.summary(circuit.subscriptionID)
            #expect(after.insync && after.lockedBy == nil)
        }
    }

    @Test func everyDifferentFieldIsNamed() async throws {
        try await withWorkshop { lab in
            let (_, _, circuit) = try await lab.nodesAndCircuit()
            let block = try await lab.circuit(circuit.subscriptionID)
            let cable = try #require(block.circuitID)
            let v4OnB = try #require(try await lab.netbox.ipAddresses(interfaceID: WorkshopLab.portB).first { !$0.address.contains(":") })
            try await lab.netbox.deleteIPAddress(id: v4OnB.id)
            _ = try await lab.netbox.updateInterface(id: WorkshopLab.portA, .init(description: "spare"))
            _ = try await lab.netbox.updateCable(id: cable, .init(description: "patched by hand"))

            let failed = try await lab.engine.start("validate_circuit", input: lab.input(circuit), user: "dave")
            #expect(failed.status == .failed)
            let reason = try #require(failed.failedReason)
            let portDescription = try #require(block.members[0].port?.portDescription)
            for difference in [
                #"circuit.circuit_description: subscription says "\#(block.circuitDescription ?? "")", NetBox says "patched by hand""#,
                #"circuit.members[0].port.port_description: subscription says "\#(portDescription)", NetBox says "spare""#,
                "circuit.members[1].v4_ip_address: subscription says \(block.members[1].v4IPAddress ?? ""), NetBox says nothing",
            ] {
                #expect(reason.contains(difference), "\(reason)")
            }
            #expect(!reason.contains("circuit_status"), "the status agrees")
            #expect(!reason.contains("v6_ip_address"), "the IPv6 addresses agree")
        }
    }

    @Test func theSidesMayBeEitherWayRoundButMustBeTheCablesPorts() async throws {
        try await withWorkshop { lab in
            let (_, _, circuit) = try await lab.nodesAndCircuit()
            let cable = try #require(try await lab.circuit(circuit.subscriptionID).circuitID)
            var swapped = circuit
            var block = try circuit.root.decode(CircuitBlock.self)
            block.members.reverse()
            swapped.root = try JSONValue(encoding: block)
            let product = try lab.engine.products.product(named: circuit.productName)
            _ = try await lab.store.seed(swapped, product: product, now: lab.clock.now)
            let done = try await lab.engine.start("validate_circuit", input: lab.input(circuit), user: "dave")
            #expect(done.status == .completed, "B then A is the same cable: \(done.failedReason ?? "")")

            // Moved to device 3's first port in the subscription only: the cable ends elsewhere.
            var moved = circuit
            block.members[0].port?.portID = 23
            moved.root = try JSONValue(encoding: block)
            _ = try await lab.store.seed(moved, product: product, now: lab.clock.now)
            let failed = try await lab.engine.start("validate_circuit", input: lab.input(circuit), user: "dave")
            #expect(failed.status == .failed)
            let reason = try #require(failed.failedReason)
            #expect(
                reason.contains(
                    "circuit.members[*].port.port_id: subscription says interfaces 23 and 1, NetBox says cable \(cable) ends on interfaces 1 and 12"),
                "\(reason)")
        }
    }

    @Test func aCableNetBoxNoLongerHasIsReported() async throws {
        try await withWorkshop { lab in
            let (_, _, circuit) = try await lab.nodesAndCircuit()
            let cable = try #require(try await lab.circuit(circuit.subscriptionID).circuitID)
            try await lab.netbox.deleteCable(id: cable)
            let failed = try await lab.engine.start("validate_circuit", input: lab.input(circuit), user: "dave")
            #expect(failed.status == .failed)
            #expect(
                failed.failedReason?.hasSuffix("circuit.circuit_id: subscription says \(cable), NetBox says no such cable") == true,
                "\(failed.failedReason ?? "")")
        }
    }

    @Test func aNodeIsNotACircuit() async throws {
        try await withWorkshop { lab in
            let node = try await lab.enrolledNode(1)
            let error = try await #require(throws: WorkflowError.self) {
                try await lab.engine.start("validate_circuit", input: lab.input(node), user: "dave")
            }
            #expect(error.code == .invalidInput)
            #expect(error.problems.first?.reason.contains("is a Node subscription; validate_circuit takes Circuit") == true, "\(error)")
        }
    }

    @Test func netBoxFailingMidWorkflowParksTheProcessAndARetryCompletesIt() async throws {
        try await withWorkshop { lab in
            let (_, _, circuit) = try await lab.nodesAndCircuit()
            lab.server.injectFaults([.status(503, count: 1, pathPrefix: "/api/dcim/cables/")])
            let parked = try await lab.engine.start("validate_circuit", input: lab.input(circuit), user: "dave")
            #expect(parked.status == .waiting)
            #expect(parked.lastStep == "compare_circuit_with_netbox")

            lab.clock.advance(by: .seconds(11))
            let retried = try await lab.engine.recover(user: "alice")
            #expect(retried.map(\.status) == [.completed])
            #expect(try await lab.summary(circuit.subscriptionID).insync)
        }
    }
}
