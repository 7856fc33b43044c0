import Foundation
import Products
import Testing
import WorkflowEngine
import WorkflowTestKit
import Workflows

@testable import NetBox

/// `wf abort --undo`: an aborted process's NetBox changes undone from the ledger, its
/// subscription as it was before, on NetBoxLite and both stores.
@Suite("undo_process", .storeSlots)
struct UndoTests {
    /// Every step of create_circuit, in order, as the engine runs them.
    static let createSteps: [StepKey] = CreateCircuit.definition.steps.steps.map(\.key).filter { $0 != "done" }
    static let modifySteps: [StepKey] = ModifyCircuit.definition.steps.steps.map(\.key).filter { $0 != "done" }

    static var createCases: [(StoreKind, StepKey)] { StoreKind.available.flatMap { kind in createSteps.map { (kind, $0) } } }
    static var modifyCases: [(StoreKind, StepKey)] { StoreKind.available.flatMap { kind in modifySteps.map { (kind, $0) } } }

    @Test(arguments: createCases)
    func undoingCreateCircuitAbortedAtAnyStepLeavesNetBoxAsBeforeAndTheCircuitTerminated(kind: StoreKind, step: StepKey) async throws {
        try await withWorkshop(kind: kind, store: { CrashingStore($0, crashingAfter: []) }) { lab in
            let a = try await lab.enrolledNode(1)
            let b = try await lab.enrolledNode(2)
            try lab.arm(step)
            let before = try await lab.netBoxState()
            let nodesBefore = [try await lab.store.subscription(a.subscriptionID), try await lab.store.subscription(b.subscriptionID)]

            let process = try await lab.runUntilCrash(step) { try await lab.startCircuit(a, b) }
            if let index = Self.createSteps.firstIndex(of: step), index >= Self.createSteps.firstIndex(of: "create_circuit_in_netbox") ?? 0 {
                #expect(try await lab.netBoxState() != before, "the process wrote to NetBox before its crash after \(step)")
            }
            let (aborted, undo) = try await UndoProcess.abortAndUndo(process, engine: lab.engine, user: "carol")
            #expect(aborted.status == .aborted)

            #expect(try await lab.netBoxState() == before, "NetBox as it was before create_circuit (crash after \(step))")
            let nodesAfter = [try await lab.store.subscription(a.subscriptionID), try await lab.store.subscription(b.subscriptionID)]
            #expect(nodesAfter.map { $0?.root } == nodesBefore.map { $0?.root })
            if let undo {
                #expect(undo.status == .completed, "\(undo.failedReason ?? "")")
                let circuit = try SubscriptionModel(json: try #require(undo.state[raw: "subscription"]))
                let stored = try #require(try await lab.store.subscription(circuit.subscriptionID))
                #expect(stored.status == .terminated)
                #expect(stored.insync)
                #expect(try await lab.store.subscriptions(SubscriptionFilter(id: circuit.subscriptionID)).first?.lockedBy == nil)
            } else {
                let circuits = try await lab.store.subscriptions(SubscriptionFilter(product: "Circuit 10G"))
                #expect(circuits.isEmpty, "nothing to undo only when no circuit was stored")
            }
        }
    }

    @Test(arguments: modifyCases)
    func undoingModifyCircuitAbortedAtAnyStepLeavesNetBoxAndTheCircuitAsBefore(kind: StoreKind, step: StepKey) async throws {
        try await withWorkshop(kind: kind, store: { CrashingStore($0, crashingAfter: []) }) { lab in
            let (_, _, circuit) = try await lab.nodesAndCircuit()
            try lab.arm(step)
            let before = try await lab.netBoxState()
            let modelBefore = try #require(try await lab.store.subscription(circuit.subscriptionID))

            let process = try await lab.runUntilCrash(step) {
                try await lab.engine.start("modify_circuit", input: lab.input(circuit, ["under_maintenance": false]), user: "bob")
            }
            if step == "update_circuit_in_netbox" || step == "resync" {
                // Its NetBox write sends the circuit's values again (NetBox keeps no maintenance flag).
                let writes = try await lab.store.ledger(LedgerQuery(processID: process)).filter { $0.outcome == .done }
                #expect(!writes.isEmpty, "the process wrote to NetBox before its crash after \(step)")
            }
            let (_, undo) = try await UndoProcess.abortAndUndo(process, engine: lab.engine, user: "carol")
            let done = try #require(undo)
            #expect(done.status == .completed, "\(done.failedReason ?? "")")

            #expect(try await lab.netBoxState() == before, "NetBox as it was before modify_circuit (crash after \(step))")
            let modelAfter = try #require(try await lab.store.subscription(circuit.subscriptionID))
            #expect(modelAfter.root == modelBefore.root)
            #expect(modelAfter.status == modelBefore.status)
            #expect(modelAfter.description == modelBefore.description)
            #expect(modelAfter.insync)
            // The next modify takes it as any in-sync circuit.
            let again = try await lab.engine.start("modify_circuit", input: lab.input(circuit, ["under_maintenance": false]), user: "bob")
            #expect(again.status == .suspended, "\(again.failedReason ?? "")")
        }
    }

    @Test(arguments: StoreKind.available)
    func aHandChangeAfterTheProcessIsReportedAndNotOverwritten(kind: StoreKind) async throws {
        try await withWorkshop(kind: kind) { lab in
            let a = try await lab.enrolledNode(1)
            let b = try await lab.enrolledNode(2)
            let suspended = try await lab.suspendedCircuit(a, b)
            let circuit = try await lab.circuit(
                try SubscriptionModel(json: try #require(try await lab.store.process(suspended)?.state[raw: "subscription"])).subscriptionID)
            let port = try #require(circuit.members.first?.port?.portID)
            // Someone edits the port's description in NetBox after create_circuit set it.
            _ = try await lab.netbox.updateInterface(id: port, NetBoxClient.InterfacePatch(description: "patched by hand"))
            let handChanged = try await lab.netBoxState()

            let (_, undo) = try await UndoProcess.abortAndUndo(suspended, engine: lab.engine, user: "carol")
            let failed = try #require(undo)
            #expect(failed.status == .failed)
            let reason = try #require(failed.failedReason)
            #expect(reason.contains("dcim.interface \(port)"), "\(reason)")
            #expect(reason.contains("it is now \"patched by hand\""), "\(reason)")
            #expect(reason.contains("wf retry"), "\(reason)")
            #expect(try await lab.netBoxState() == handChanged, "nothing undone, nothing overwritten")

            // Put back by hand as the process left it: the retried undo completes.
            _ = try await lab.netbox.updateInterface(id: port, NetBoxClient.InterfacePatch(description: circuit.members.first?.port?.portDescription))
            let retried = try await lab.engine.retry(failed.processID, user: "carol")
            #expect(retried.status == .completed, "\(retried.failedReason ?? "")")
            #expect(try await lab.cables(on: [WorkshopLab.portA, WorkshopLab.portB]).isEmpty)
        }
    }

    @Test(arguments: StoreKind.available)
    func aCrashDuringTheUndoIsRecoveredAndDeletesNothingTwice(kind: StoreKind) async throws {
        try await withWorkshop(kind: kind, store: { CrashingStore($0, crashingAfter: ["undo_netbox_changes"]) }) { lab in
            let a = try await lab.enrolledNode(1)
            let b = try await lab.enrolledNode(2)
            let before = try await lab.netBoxState()
            let suspended = try await lab.suspendedCircuit(a, b)

            await #expect(throws: CrashingStore.Crash.self) {
                _ = try await UndoProcess.abortAndUndo(suspended, engine: lab.engine, user: "carol")
            }
            lab.clock.advance(by: .seconds(60))
            let recovered = try #require(try await lab.engine.recover(user: "carol").first)
            #expect(recovered.workflowName == UndoProcess.name)
            #expect(recovered.status == .completed, "\(recovered.failedReason ?? "")")
            #expect(try await lab.netBoxState() == before)

            let deletes = try await lab.store.ledger(LedgerQuery(processID: recovered.processID)).filter { $0.action == .delete }
            let refs = deletes.compactMap(\.objectRef)
            #expect(!refs.isEmpty)
            #expect(Set(refs).count == refs.count, "each object deleted once: \(refs)")
            #expect(recovered.state[raw: "undone"]?.arrayValue?.contains { $0.stringValue?.hasSuffix("already gone") == true } == true)
        }
    }

    @Test func anUndoOfAProcessThatIsNotAbortedOrWhoseSubscriptionChangedSinceIsRefused() async throws {
        try await withWorkshop { lab in
            let (_, _, circuit) = try await lab.nodesAndCircuit()
            let modify = try await lab.engine.start("modify_circuit", input: lab.input(circuit, ["under_maintenance": false]), user: "bob")
            _ = try await lab.engine.abort(modify.processID, user: "bob")
            // Confirmed by hand, then changed again by a later, completed modify.
            try await lab.store.setInSync(circuit.subscriptionID, user: "bob", reason: "checked on the routers", now: lab.clock.now)
            let later = try await lab.engine.start("modify_circuit", input: lab.input(circuit, ["under_maintenance": false]), user: "bob")
            _ = try await lab.engine.resume(later.processID, input: ["confirmed": true], user: "bob")
            let before = try await lab.netBoxState()

            let (_, undo) = try await UndoProcess.abortAndUndo(modify.processID, engine: lab.engine, user: "carol")
            let refused = try #require(undo)
            #expect(refused.status == .failed)
            #expect(refused.failedReason?.contains("the subscription changed after process") == true, "\(refused.failedReason ?? "")")
            #expect(try await lab.netBoxState() == before)
            _ = try await lab.engine.abort(refused.processID, user: "carol")

            // Started by hand (the API, a script) on a process that is not aborted.
            let completed = try #require(try await lab.store.processes(ProcessFilter(statuses: [.completed], workflow: "create_circuit")).first)
            let notAborted = try await lab.engine.start(
                UndoProcess.name,
                input: [
                    "aborted_process_id": .string(completed.processID.description), "subscription_id": .string(circuit.subscriptionID.uuidString),
                ],
                user: "carol")
            #expect(notAborted.status == .failed)
            #expect(notAborted.failedReason?.contains("is completed: only an aborted process is undone") == true, "\(notAborted.failedReason ?? "")")
        }
    }

    @Test func aProcessIsUndoneOnlyOnce() async throws {
        try await withWorkshop { lab in
            let a = try await lab.enrolledNode(1)
            let b = try await lab.enrolledNode(2)
            let suspended = try await lab.suspendedCircuit(a, b)
            let (_, undo) = try await UndoProcess.abortAndUndo(suspended, engine: lab.engine, user: "carol")
            #expect(undo?.status == .completed)
            await #expect(throws: WorkflowError.self) { _ = try await UndoProcess.abortAndUndo(suspended, engine: lab.engine, user: "carol") }

        }
    }
}

extension WorkshopLab {
    /// Starts create_circuit between the first ports of `a` and `b` and returns it suspended
    /// at the config confirmation.
    func startCircuit(_ a: SubscriptionModel, _ b: SubscriptionModel) async throws -> ProcessOutcome {
        func id(_ node: SubscriptionModel) -> JSONValue { .string(node.subscriptionID.uuidString.lowercased()) }
        return try await engine.start(
            "create_circuit",
            input: .pages([
                ["product": "Circuit 10G", "node_a": id(a)], ["node_b": id(b)], ["port_a": .int(Self.portA)], ["port_b": .int(Self.portB)],
            ]),
            user: "alice")
    }

    func suspendedCircuit(_ a: SubscriptionModel, _ b: SubscriptionModel) async throws -> ProcessID {
        let started = try await startCircuit(a, b)
        #expect(started.status == .suspended, "\(started.failedReason ?? "")")
        return started.processID
    }

    /// Runs `start` (resuming a config confirmation) until the commit of `step` is lost as in
    /// a crash, and returns the process, then running with a dead runner's lease.
    func runUntilCrash(_ step: StepKey, _ start: () async throws -> ProcessOutcome) async throws -> ProcessID {
        var processID: ProcessID?
        do {
            var outcome = try await start()
            processID = outcome.processID
            while outcome.status == .suspended {
                outcome = try await engine.resume(outcome.processID, input: ["confirmed": true], user: "alice")
            }
            Issue.record("the process ended \(outcome.status.rawValue) without reaching \(step)")
            return outcome.processID
        } catch let crash as CrashingStore.Crash {
            #expect(crash.step == step)
        }
        if let processID { return processID }
        return try #require(try await store.processes(ProcessFilter(statuses: [.running], limit: 2)).first?.processID)
    }

    /// Loses the next commit of `step`, as a crash right after it would.
    func arm(_ step: StepKey) throws {
        try #require(engine.store as? CrashingStore).arm([step])
    }

    /// What NetBox holds, object by object, without the times it was last changed.
    func netBoxState() async throws -> [String: JSONValue] {
        var state: [String: JSONValue] = [:]
        for path in ["/api/dcim/devices/", "/api/dcim/interfaces/", "/api/dcim/cables/", "/api/ipam/prefixes/", "/api/ipam/ip-addresses/"] {
            let data = try await netbox.sendRaw(.GET, url: try netbox.url(path, query: [("limit", "1000")]), body: nil, what: path, allocation: nil)
            guard case .object(let page) = try JSONValue.parse(data), case .array(let results)? = page["results"] else {
                throw NetBoxError(.unexpectedResponse, "\(path) answered no results")
            }
            for case .object(var object) in results {
                object["last_updated"] = nil
                state["\(path)\(object["id"]?.intValue ?? -1)"] = .object(object)
            }
        }
        return state
    }
}
