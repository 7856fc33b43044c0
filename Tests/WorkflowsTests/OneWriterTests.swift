import Foundation
import NetBox
import Products
import Testing
import WorkflowEngine
import WorkflowTestKit
import Workflows

/// One change at a time per subscription: a create holds what it stores until it ends, modify
/// and terminate take only in-sync subscriptions nobody holds, and nothing shows a held
/// subscription as in sync. Runs on every store (`WF_TEST_STORE=postgres` for PostgreSQL).
@Suite("One writer per subscription", .serialized)
struct OneWriterTests {
    /// create_circuit between devices 1 and 2, suspended at its config; returns it and the circuit's id.
    static func suspendedCreate(_ lab: WorkshopLab) async throws -> (ProcessOutcome, UUID) {
        func id(_ outcome: ProcessOutcome) throws -> JSONValue {
            .string(try SubscriptionModel(json: try #require(outcome.state[raw: "subscription"])).subscriptionID.uuidString.lowercased())
        }
        let a = try id(try await lab.enrol(1))
        let b = try id(try await lab.enrol(2))
        let started = try await lab.engine.start(
            "create_circuit", input: .pages([["product": "Circuit 10G", "node_a": a], ["node_b": b], ["port_a": 1], ["port_b": 12]]),
            user: "alice")
        #expect(started.status == .suspended)
        let circuit = try SubscriptionModel(json: try #require(started.state[raw: "subscription"])).subscriptionID
        return (started, circuit)
    }

    /// The lost update the issue found: a modify accepted on a circuit whose create was still
    /// waiting for its config left it provisioning with its cable planned. Now the modify is
    /// refused naming the create, and after the create the modify runs on an active circuit.
    @Test func aModifyIsRefusedWhileTheCreateHoldsTheCircuit() async throws {
        try await withWorkshop { lab in
            let (create, circuit) = try await Self.suspendedCreate(lab)
            let held = try await lab.summary(circuit)
            #expect(held.lockedBy == create.processID, "the create holds what it stored")
            #expect(!held.insync, "a held subscription is never shown in sync")
            #expect(try await lab.store.subscription(circuit)?.insync == false)

            let refused = try await #require(throws: WorkflowError.self) {
                try await lab.engine.start(
                    "modify_circuit", input: ["subscription_id": .string(circuit.uuidString), "under_maintenance": false], user: "bob")
            }
            #expect(refused.code == .subscriptionLocked)
            let reason = refused.problems.first?.reason ?? ""
            #expect(refused.problems.first?.field == "subscription.subscription_id")
            #expect(reason.contains(create.processID.description), "names the holder: \(reason)")
            #expect(reason.contains("create_circuit"))
            #expect(reason.contains("abort"), "says what to do")
            let terminate = try await #require(throws: WorkflowError.self) {
                try await lab.engine.start("terminate_circuit", input: ["subscription_id": .string(circuit.uuidString)], user: "bob")
            }
            #expect(terminate.code == .subscriptionLocked)

            // The form does not even offer it, and says why.
            let session = lab.engine.makeFormSession(try #require(lab.engine.registry["modify_circuit"]?.initialForm))
            let page = try await session.page(0, answers: State())
            let choices = page.fields.first { $0.name == "subscription_id" }?.choices ?? []
            #expect(!choices.contains { $0.value == .string(circuit.uuidString.lowercased()) })
            let notOffered = page.fields.first { $0.name == "not_offered" }?.items ?? []
            #expect(notOffered.contains { $0.value.contains("held by process \(create.processID.description.prefix(8))") }, "\(notOffered)")

            let created = try await lab.engine.resume(create.processID, input: ["confirmed": true], user: "alice")
            #expect(created.status == .completed)
            let after = try await lab.summary(circuit)
            #expect(after.lockedBy == nil && after.insync && after.status == .active)

            let modify = try await lab.engine.start(
                "modify_circuit", input: ["subscription_id": .string(String(circuit.uuidString.lowercased().prefix(8))), "under_maintenance": false],
                user: "bob")
            #expect(modify.status == .suspended, "a unique prefix names the subscription too")
            let done = try await lab.engine.resume(modify.processID, input: ["confirmed": true], user: "bob")
            #expect(done.status == .completed)
            let stored = try #require(try await lab.store.subscription(circuit))
            #expect(stored.status == .active)
            #expect(stored.startDate != nil)
            #expect(stored.insync)
            let cable = try #require(try await lab.circuit(circuit).circuitID)
            #expect(try await lab.netbox.cable(id: cable).status.value == "connected")
        }
    }

    /// Two modifies started at once on one circuit: the store lets exactly one through.
    @Test func racingModifiesHaveOneWinner() async throws {
        try await withWorkshop { lab in
            let (create, circuit) = try await Self.suspendedCreate(lab)
            _ = try await lab.engine.resume(create.processID, input: ["confirmed": true], user: "alice")
            let results = await withTaskGroup(of: Result<ProcessOutcome, any Error>.self) { group in
                for user in ["bob", "carol", "dave", "erin"] {
                    group.addTask {
                        do {
                            return .success(
                                try await lab.engine.start(
                                    "modify_circuit", input: ["subscription_id": .string(circuit.uuidString), "under_maintenance": false],
                                    user: user))
                        } catch {
                            return .failure(error)
                        }
                    }
                }
                var all: [Result<ProcessOutcome, any Error>] = []
                for await result in group { all.append(result) }
                return all
            }
            let winners = results.compactMap { try? $0.get() }
            #expect(winners.count == 1)
            for case .failure(let error) in results {
                // Refused by the store's transaction, or, once the winner holds it, by the form offering nothing.
                #expect([.subscriptionLocked, .nothingToChoose].contains((error as? WorkflowError)?.code), "\(error)")
            }
            #expect(try await lab.summary(circuit).lockedBy == winners.first?.processID)
        }
    }

    /// An aborted create leaves its subscription provisioning and out of sync; terminate (the
    /// clean-up abort names) takes it although it is out of sync, because it never became active.
    @Test func anAbortedCreateIsCleanedUpByTerminate() async throws {
        try await withWorkshop { lab in
            let (create, circuit) = try await Self.suspendedCreate(lab)
            _ = try await lab.engine.abort(create.processID, user: "alice", reason: "wrong port")
            let left = try await lab.summary(circuit)
            #expect(left.lockedBy == nil && !left.insync && left.status == .provisioning)
            let unconfirmed = try await UnconfirmedChanges.find(circuit, subscriptions: lab.store, processes: lab.store)
            #expect(unconfirmed.parts.first?.created == true)

            let modify = try await #require(throws: WorkflowError.self) {
                try await lab.engine.start(
                    "modify_circuit", input: ["subscription_id": .string(circuit.uuidString), "under_maintenance": false], user: "bob")
            }
            #expect(modify.code == .subscriptionOutOfSync || modify.code == .invalidInput, "\(modify)")

            let terminated = try await lab.engine.start("terminate_circuit", input: ["subscription_id": .string(circuit.uuidString)], user: "bob")
            #expect(terminated.status == .completed || terminated.status == .suspended, "\(terminated.failedReason ?? "")")
            var outcome = terminated
            if outcome.status == .suspended {
                outcome = try await lab.engine.resume(terminated.processID, input: ["confirmed": true], user: "bob")
            }
            #expect(outcome.status == .completed, "\(outcome.failedReason ?? "")")
            #expect(try await lab.summary(circuit).status == .terminated)
            #expect(try await lab.cables(on: [1, 12]).isEmpty)
        }
    }

    /// An aborted modify keeps what it saved before anyone confirmed the config; validate must
    /// not call that in sync, and says how to confirm it.
    @Test func validateDoesNotResyncWhatAnAbortedModifyChanged() async throws {
        try await withWorkshop { lab in
            let (create, circuit) = try await Self.suspendedCreate(lab)
            _ = try await lab.engine.resume(create.processID, input: ["confirmed": true], user: "alice")
            let modify = try await lab.engine.start(
                "modify_circuit", input: ["subscription_id": .string(circuit.uuidString), "under_maintenance": false], user: "bob")
            #expect(modify.status == .suspended)
            _ = try await lab.engine.abort(modify.processID, user: "bob", reason: "change window cancelled")
            #expect(try await lab.summary(circuit).insync == false)

            // Refused at start, saying what was never confirmed.
            let refused = try await #require(throws: WorkflowError.self) {
                try await lab.engine.start("validate_circuit", input: ["subscription_id": .string(circuit.uuidString)], user: "carol")
            }
            #expect(refused.code == .subscriptionOutOfSync)
            #expect(refused.problems.first?.reason.contains("root.under_maintenance: true -> false") == true, "\(refused)")
            #expect(refused.problems.first?.reason.contains("set-in-sync") == true)

            #expect(try await lab.summary(circuit).insync == false)

            try await lab.store.setInSync(circuit, user: "carol", reason: "metric applied by hand", now: Date())
            #expect(try await UnconfirmedChanges.find(circuit, subscriptions: lab.store, processes: lab.store).isEmpty)
            let again = try await lab.engine.start("validate_circuit", input: ["subscription_id": .string(circuit.uuidString)], user: "carol")
            #expect(again.status == .completed, "\(again.failedReason ?? "")")
        }
    }
}

/// Input steps name who is expected to answer, and processes can be listed by it.
@Suite("Assignees", .serialized)
struct AssigneeTests {
    @Test func aConfigConfirmationWaitsForTheNOCAndIsListedForIt() async throws {
        try await withWorkshop { lab in
            let started = try await lab.engine.start("create_node", input: ["device_id": 1], user: "alice")
            #expect(started.status == .suspended)
            #expect(started.form?.assignee == WorkshopTeams.configuration)
            let waiting = try await lab.store.processes(ProcessFilter(waitingFor: "noc"))
            #expect(waiting.map(\.processID) == [started.processID])
            #expect(try await lab.store.processes(ProcessFilter(waitingFor: "alice")).isEmpty)
            _ = try await lab.engine.resume(started.processID, input: ["confirmed": true], user: "bob")
            #expect(try await lab.store.processes(ProcessFilter(waitingFor: "noc")).isEmpty, "only what still waits")
        }
    }
}

/// create_circuit builds its config from its Nodes' names and addresses: it offers only Nodes
/// that are active, in sync and held by nobody, and says why the others are missing.
@Suite("create_circuit's Nodes", .serialized)
struct CircuitNodeChoiceTests {
    @Test func heldAndOutOfSyncNodesAreNotOfferedAndTheFormSaysWhy() async throws {
        try await withWorkshop { lab in
            let a = try await lab.enrolledNode(1)
            let b = try await lab.enrolledNode(2)
            _ = try await lab.enrolledNode(3)
            // A validate that found drift holds node 2 until it is repaired or aborted.
            _ = try await lab.netbox.updateDevice(id: 2, .init(status: "planned"))
            let validate = try await lab.engine.start("validate_node", input: lab.input(b), user: "carol")
            #expect(validate.status == .failed)

            func firstPage() async throws -> Form {
                try await lab.engine.makeFormSession(try #require(lab.engine.registry["create_circuit"]?.initialForm)).page(0, answers: State())
            }
            var page = try await firstPage()
            var offered = page.fields.first { $0.name == "node_a" }?.choices?.map(\.label) ?? []
            #expect(offered == ["loc1-core", "loc3-core"])
            var missing = page.fields.first { $0.name == "unusable_nodes" }?.items ?? []
            #expect(missing.count == 1 && missing.first?.value.contains("held by process \(validate.processID.description.prefix(8))") == true)

            // Aborted, it is no longer held but out of sync: still not offered, for that reason.
            _ = try await lab.engine.abort(validate.processID, user: "carol", reason: "repair later")
            page = try await firstPage()
            offered = page.fields.first { $0.name == "node_a" }?.choices?.map(\.label) ?? []
            #expect(offered == ["loc1-core", "loc3-core"])
            missing = page.fields.first { $0.name == "unusable_nodes" }?.items ?? []
            #expect(missing.first?.value.contains("out of sync") == true, "\(missing)")

            // Named anyway through --input, the step refuses it before touching NetBox.
            func id(_ model: SubscriptionModel) -> JSONValue { .string(model.subscriptionID.uuidString.lowercased()) }
            let refused = try await #require(throws: WorkflowError.self) {
                try await lab.engine.start(
                    "create_circuit",
                    input: .pages([["product": "Circuit 10G", "node_a": id(a)], ["node_b": id(b)], ["port_a": 1], ["port_b": 12]]),
                    user: "alice")
            }
            #expect(refused.code == .invalidInput, "\(refused)")
        }
    }
}
