import Foundation
import NetBox
import Products
import Testing
import WorkflowEngine
import WorkflowTestKit
import Workflows

@Suite("modify_circuit", .serialized)
struct ModifyCircuitTests {
    /// Two nodes and an active circuit between ports 1 and 12; returns the circuit's id.
    static func circuit(_ lab: WorkshopLab) async throws -> UUID {
        func id(_ outcome: ProcessOutcome) throws -> String {
            try SubscriptionModel(json: try #require(outcome.state[raw: "subscription"])).subscriptionID.uuidString.lowercased()
        }
        let a = try id(try await lab.enrol(1))
        let b = try id(try await lab.enrol(2))
        let started = try await lab.engine.start(
            "create_circuit",
            input: .pages([["product": "Circuit 10G", "node_a": .string(a)], ["node_b": .string(b)], ["port_a": 1], ["port_b": 12]]),
            user: "alice")
        let done = try await lab.engine.resume(started.processID, input: ["confirmed": true], user: "alice")
        return try #require(UUID(uuidString: try id(done)))
    }

    @Test func bringsACircuitIntoServiceWithFreshConfigShowingTheChange() async throws {
        try await withWorkshop { lab in
            let circuit = try await Self.circuit(lab)
            let session = lab.engine.makeFormSession(try #require(lab.engine.registry["modify_circuit"]?.initialForm))
            let page = try await session.page(1, answers: ["subscription_id": .string(circuit.uuidString)])
            #expect(page.fields.first { $0.name == "under_maintenance" }?.defaultValue == true, "the form starts from the current value")

            let started = try await lab.engine.start(
                "modify_circuit", input: ["subscription_id": .string(circuit.uuidString), "under_maintenance": false], user: "bob")
            #expect(started.status == .suspended)
            let texts = started.form?.fields.compactMap(\.text) ?? []
            #expect(texts.contains("under maintenance -> in service"))
            #expect(texts.contains { $0.contains("level 2 metric 10;") })
            #expect(try await lab.store.subscriptions(SubscriptionFilter(product: "Circuit")).first?.lockedBy == started.processID)

            let done = try await lab.engine.resume(started.processID, input: ["confirmed": true], user: "bob")
            #expect(done.status == .completed)
            let stored = try #require(try await lab.store.subscription(circuit))
            #expect(try stored.root.decode(CircuitBlock.self).underMaintenance == false)
            #expect(stored.insync)
            let versions = try await lab.store.versions(of: circuit)
            #expect(versions.contains { $0.user == "bob" && $0.changes.contains { $0.path == "root.under_maintenance" } })
            #expect(try await lab.netbox.cable(id: 1).status.value == "connected")
        }
    }

    @Test func aNodeIsNotACircuit() async throws {
        try await withWorkshop { lab in
            let node = try SubscriptionModel(json: try #require(try await lab.enrol(3).state[raw: "subscription"])).subscriptionID
            let error = try await #require(throws: WorkflowError.self) {
                try await lab.engine.start(
                    "modify_circuit", input: ["subscription_id": .string(node.uuidString), "under_maintenance": false], user: "bob")
            }
            #expect(error.problems.first?.reason.contains("is a Node subscription; modify_circuit takes Circuit") == true, "\(error)")
        }
    }

    @Test func aCrashAfterTheCableUpdateUpdatesItAgainHarmlessly() async throws {
        try await withWorkshop { lab in
            let circuit = try await Self.circuit(lab)
            let crashing = lab.crashingEngine(after: ["update_circuit_in_netbox"])
            let started = try await crashing.start(
                "modify_circuit", input: ["subscription_id": .string(circuit.uuidString), "under_maintenance": false], user: "bob")
            #expect(started.status == .suspended)
            await #expect(throws: CrashingStore.Crash.self) {
                try await crashing.resume(started.processID, input: ["confirmed": true], user: "bob")
            }
            let recovered = try await lab.recoverAfterCrash()
            #expect(recovered.map(\.status) == [.completed])
            #expect(try await lab.netbox.cable(id: 1).status.value == "connected")
            #expect(try await lab.netbox.cable(onInterface: 1)?.id == 1, "still the one cable")
            #expect(try await lab.netbox.cable(onInterface: 12)?.id == 1)
            let versions = try await lab.store.versions(of: circuit)
            #expect(versions.filter { $0.changes.contains { $0.path == "root.under_maintenance" } }.count == 1, "the change was saved once")
            // The ledger holds both runs' cable updates, the second replacing what the first wrote.
            let updates = try await lab.store.ledger(LedgerQuery(objectType: "dcim.cable", objectID: 1)).filter {
                $0.action == .update && $0.outcome == .done && $0.processID == started.processID
            }
            #expect(updates.count == 2)
            #expect(updates.last?.sent.objectValue?["status"]?.stringValue == "connected")
            #expect(updates.last?.replaced == updates.first?.sent.objectValue.map { sent in JSONValue.object(sent) })
            try await LedgerCheck.circuitMatchesNetBox(lab, circuit)
        }
    }
}
