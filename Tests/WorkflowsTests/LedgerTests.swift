import Foundation
import NetBox
import Persistence
import Products
import Synchronization
import Testing
import WorkflowEngine
import WorkflowTestKit
import Workflows

/// Only what we made: every NetBox write is in the ledger, a runner that lost its lease
/// leaves nothing behind, and what the orchestrator did not create is never taken over or
/// deleted. On NetBoxLite and the store the suite runs on.
@Suite("NetBox ledger", .serialized)
struct LedgerTests {
    static func circuitInput(_ a: SubscriptionModel, _ b: SubscriptionModel, ports: (Int, Int) = (WorkshopLab.portA, WorkshopLab.portB))
        -> FormInput
    {
        func id(_ node: SubscriptionModel) -> JSONValue { .string(node.subscriptionID.uuidString.lowercased()) }
        return .pages([["product": "Circuit 10G", "node_a": id(a)], ["node_b": id(b)], ["port_a": .int(ports.0)], ["port_b": .int(ports.1)]])
    }

    static func subscriptionID(_ outcome: ProcessOutcome) throws -> UUID {
        try SubscriptionModel(json: try #require(outcome.state[raw: "subscription"])).subscriptionID
    }

    // MARK: - The paused runner (a SIGSTOP inside reserve_ips_in_ipam)

    /// Enrols two Nodes and starts create_circuit on "runner-a", held (as by a SIGSTOP) just
    /// before or just after it records the intent of its /31. Its lease runs out while it
    /// sleeps; the lab's engine takes the process over and runs it as far as it goes; then
    /// runner-a wakes and finishes what it was doing. Returns where the takeover stopped.
    static func pauseRunnerAInsideCreateCircuit(_ lab: WorkshopLab, afterItsIntent: Bool) async throws -> ProcessOutcome {
        let a = try await lab.enrolledNode(1)
        let b = try await lab.enrolledNode(2)
        let gate = Gate()
        let first = Once()
        @Sendable func holdAtTheBlock(_ entry: LedgerEntry) async {
            guard entry.key == "v4 block", first.take() else { return }
            await gate.pass()
        }
        let pausing =
            afterItsIntent
            ? CrashingStore(lab.store, crashingAfter: [], afterIntent: { entry, _ in await holdAtTheBlock(entry) })
            : CrashingStore(lab.store, crashingAfter: [], beforeIntent: holdAtTheBlock)
        let runnerA = lab.engine(runner: "runner-a", store: pausing)
        let paused = Task { try await runnerA.start("create_circuit", input: circuitInput(a, b), user: "alice") }
        await gate.reached()
        lab.clock.advance(by: .seconds(60))
        let taken = try #require(try await lab.engine.recover(user: "bob").first)
        await gate.open()
        _ = try await paused.value
        return taken
    }

    @Test func aRunnerPausedInsideAWriteReleasesWhatItMadeOnceItLearnsItLostTheLease() async throws {
        try await withWorkshop { lab in
            let taken = try await Self.pauseRunnerAInsideCreateCircuit(lab, afterItsIntent: true)
            #expect(taken.status == .suspended, "\(taken.failedReason ?? "")")

            let circuitID = try Self.subscriptionID(taken)
            let tag = "circuit \(circuitID.uuidString.lowercased()) v4"
            #expect(try await lab.netbox.prefixes(within: "10.0.0.0/16", description: tag).count == 1, "the paused runner's /31 is gone again")
            // runner-a's cable step committed before it was paused; what follows is about the
            // step it was paused in.
            let entries = try await lab.store.ledger(LedgerQuery(processID: taken.processID)).filter { $0.step == "reserve_ips_in_ipam" }
            let itsCreates = entries.filter { $0.runner == "runner-a" && $0.action == .create }
            #expect(itsCreates.count == 1, "no write started after it lost the lease")
            let made = try #require(itsCreates.first)
            #expect(made.outcome == .done, "it made the /31 after all, and said so")
            #expect(made.releasedAt != nil)
            #expect(entries.contains { $0.runner == "runner-a" && $0.action == .delete && $0.objectID == made.objectID && $0.outcome == .done })
            try await LedgerCheck.circuitMatchesNetBox(lab, circuitID)
            #expect(try await lab.engine.resume(taken.processID, input: ["confirmed": true], user: "bob").status == .completed)
            try await LedgerCheck.circuitMatchesNetBox(lab, circuitID)
        }
    }

    @Test func aRunnerPausedBeforeAWriteStartsNoneOnceItsLeaseIsGone() async throws {
        try await withWorkshop { lab in
            let taken = try await Self.pauseRunnerAInsideCreateCircuit(lab, afterItsIntent: false)

            // runner-a's cable step committed before it was paused; in the step it was paused in
            // it recorded and wrote nothing.
            let entries = try await lab.store.ledger(LedgerQuery(processID: taken.processID)).filter { $0.step == "reserve_ips_in_ipam" }
            #expect(!entries.contains { $0.runner == "runner-a" }, "the fence refused its intent: nothing recorded, nothing written")
            let tag = "circuit \(try Self.subscriptionID(taken).uuidString.lowercased()) v4"
            #expect(try await lab.netbox.prefixes(within: "10.0.0.0/16", description: tag).count == 1)
        }
    }

    @Test func twoCreatesRacingForTheSamePortsLeaveTheLoserNothingToReleaseInIPAM() async throws {
        try await withWorkshop { lab in
            let a = try await lab.enrolledNode(1)
            let b = try await lab.enrolledNode(2)
            let other = lab.engine(runner: "runner-b", store: lab.store)
            async let first = lab.engine.start("create_circuit", input: Self.circuitInput(a, b), user: "alice")
            async let second = other.start("create_circuit", input: Self.circuitInput(a, b), user: "bob")
            let outcomes = try await [first, second]
            #expect(outcomes.map(\.status).sorted { $0.rawValue < $1.rawValue } == [.failed, .suspended])
            let loser = try #require(outcomes.first { $0.status == .failed })
            #expect(loser.lastStep == "create_circuit_in_netbox", "NetBox's one cable per port settles it: \(loser.failedReason ?? "")")
            let loserWrites = try await lab.store.ledger(LedgerQuery(processID: loser.processID))
            #expect(!loserWrites.contains { $0.objectType.hasPrefix("ipam.") }, "the loser allocated nothing")
            for port in [WorkshopLab.portA, WorkshopLab.portB] {
                #expect(try await lab.netbox.ipAddresses(interfaceID: port).count == 2, "one v4 and one v6 address, the winner's")
            }

            // The loser aborted and its subscription terminated, as `wf abort` advises: the
            // winner's cable, addresses and port descriptions stay.
            let ports = try await LedgerCheck.ports(lab)
            let cables = try await lab.cables(on: [WorkshopLab.portA, WorkshopLab.portB])
            _ = try await lab.engine.abort(loser.processID, user: "bob")
            let lost = try await lab.store.subscription(try Self.subscriptionID(loser))
            let ended = try await lab.engine.start("terminate_circuit", input: lab.input(try #require(lost)), user: "bob")
            #expect(ended.status == .completed, "\(ended.failedReason ?? "")")
            #expect(try await lab.cables(on: [WorkshopLab.portA, WorkshopLab.portB]) == cables)
            #expect(try await LedgerCheck.ports(lab) == ports)
            for port in [WorkshopLab.portA, WorkshopLab.portB] {
                #expect(try await lab.netbox.ipAddresses(interfaceID: port).count == 2)
            }
        }
    }

    // MARK: - Crashes

    @Test func aWriteWhoseAnswerWasLostIsFoundAgainAndAdoptedNotMadeTwice() async throws {
        let losing: @Sendable (any WorkflowStore) -> any ProcessStore = { store in
            let first = Once()
            return CrashingStore(
                store, crashingAfter: ["reserve_ips_in_ipam"],
                losesOutcome: { entry in entry.key == "v4 block" && first.take() })
        }
        try await withWorkshop(store: losing) { lab in
            let a = try await lab.enrolledNode(1)
            let b = try await lab.enrolledNode(2)
            await #expect(throws: CrashingStore.Crash.self) {
                try await lab.engine.start("create_circuit", input: Self.circuitInput(a, b), user: "alice")
            }
            let recovered = try #require(try await lab.recoverAfterCrash().first)
            #expect(recovered.status == .suspended, "\(recovered.failedReason ?? "")")
            let circuitID = try Self.subscriptionID(recovered)
            let blocks = try await lab.netbox.prefixes(within: "10.0.0.0/16", description: "circuit \(circuitID.uuidString.lowercased()) v4")
            #expect(blocks.count == 1)
            let creates = try await lab.store.ledger(LedgerQuery(processID: recovered.processID)).filter { $0.key == "v4 block" }
            #expect(creates.count == 1, "the second run adopted the first run's /31")
            #expect(creates.first?.outcome == .done)
            #expect(creates.first?.objectID == blocks.first?.id, "found again by its finder")
            try await LedgerCheck.circuitMatchesNetBox(lab, circuitID)
        }
    }

    @Test(arguments: ["reserve_ips_in_ipam", "create_circuit_in_netbox", "update_circuit_description", "update_circuit_in_netbox"] as [StepKey])
    func theLedgerEqualsNetBoxAfterACrashAtEachWriteOfCreateCircuit(step: StepKey) async throws {
        try await withWorkshop { lab in
            let a = try await lab.enrolledNode(1)
            let b = try await lab.enrolledNode(2)
            let done = try await lab.runThroughACrash(after: step, "create_circuit", input: Self.circuitInput(a, b))
            try await LedgerCheck.circuitMatchesNetBox(lab, try Self.subscriptionID(done))
        }
    }

    @Test(arguments: ["delete_circuit_in_netbox", "release_ips_in_ipam", "release_ports_in_netbox"] as [StepKey])
    func terminateAfterACrashAtEachStepReleasesExactlyWhatTheCircuitMade(step: StepKey) async throws {
        try await withWorkshop { lab in
            let before = try await LedgerCheck.ports(lab)
            let (_, _, circuit) = try await lab.nodesAndCircuit()
            let crashing = lab.crashingEngine(after: [step])
            var outcome: ProcessOutcome?
            do {
                outcome = try await crashing.start("terminate_circuit", input: lab.input(circuit), user: "carol")
            } catch is CrashingStore.Crash {
                outcome = try await lab.recoverAfterCrash().first
            }
            #expect(outcome?.status == .completed, "\(outcome?.failedReason ?? "")")
            let entries = try await lab.store.ledger(LedgerQuery(subscriptionID: circuit.subscriptionID))
            #expect(entries.living.isEmpty, "every object the Circuit made was deleted")
            #expect(try await lab.prefixes(of: circuit).isEmpty)
            #expect(try await lab.cables(on: [WorkshopLab.portA, WorkshopLab.portB]).isEmpty)
            #expect(try await lab.netbox.ipAddresses(interfaceID: WorkshopLab.portA).isEmpty)
            #expect(try await lab.netbox.ipAddresses(interfaceID: WorkshopLab.portB).isEmpty)
            #expect(try await LedgerCheck.ports(lab) == before, "the ports' fields are set back to what they were")
        }
    }

    @Test(
        arguments: [
            ("create_node", "fetch_ip_address_information"), ("create_node", "update_node_in_netbox"), ("modify_node", "update_node_in_netbox"),
            ("terminate_node", "release_node_in_netbox"), ("terminate_node", "release_loopbacks_in_netbox"),
        ] as [(WorkflowName, StepKey)])
    func theLedgerEqualsNetBoxAfterACrashAtEachWriteOfANodesWorkflows(workflow: WorkflowName, step: StepKey) async throws {
        try await withWorkshop { lab in
            let before = try await lab.netbox.device(id: 1)
            let loopback = try #require(try await lab.netbox.interfaces(deviceID: 1, name: "Loopback0").first)
            var node: SubscriptionModel?
            if workflow != "create_node" { node = try await lab.enrolledNode(1) }
            var input: State = ["device_id": 1]
            if let node { input = lab.input(node, workflow == "modify_node" ? ["description": "Spare", "node_status": "offline"] : State()) }
            let done = try await lab.runThroughACrash(after: step, workflow, input: .merged(input))
            let id = try node?.subscriptionID ?? Self.subscriptionID(done)
            let entries = try await lab.store.ledger(LedgerQuery(subscriptionID: id))
            let addresses = try await lab.netbox.ipAddresses(interfaceID: loopback.id).map { "ipam.ip-address:\($0.id)" }
            #expect(Set(entries.living.keys) == Set(addresses), "the ledger's loopbacks are Loopback0's")
            let device = try await lab.netbox.device(id: 1)
            if workflow == "terminate_node" {
                #expect(device.status == before.status)
                #expect(device.description == before.description)
            } else {
                // The device's fields are those of the ledger's last update of each.
                var last: [String: JSONValue] = [:]
                for entry in entries where entry.action == .update && entry.objectRef == "dcim.device:1" && entry.outcome == .done {
                    for (field, value) in entry.sent.objectValue ?? [:] { last[field] = value }
                }
                #expect(last["status"]?.stringValue == device.status.value)
                #expect(last["description"]?.stringValue == device.description)
                #expect(last["primary_ip4"]?.intValue == device.primaryIP4?.id)
            }
        }
    }

    // MARK: - What we did not make

    @Test func aHandMadeAddressOnAPortIsRefusedNamedAndNeverDeleted() async throws {
        try await withWorkshop { lab in
            let a = try await lab.enrolledNode(1)
            let b = try await lab.enrolledNode(2)
            let crashing = lab.crashingEngine(after: ["construct_circuit_model"])
            await #expect(throws: CrashingStore.Crash.self) {
                try await crashing.start("create_circuit", input: Self.circuitInput(a, b), user: "alice")
            }
            // Someone puts an address on the A port by hand while the process is between steps.
            let handMade = try await lab.netbox.createIPAddress("198.51.100.1/24", interface: WorkshopLab.portA, description: "by hand")
            let failed = try #require(try await lab.recoverAfterCrash().first)
            #expect(failed.status == .failed)
            let reason = failed.failedReason ?? ""
            #expect(reason.contains("198.51.100.1/24") && reason.contains("ipam.ip-address \(handMade.id)"), "\(reason)")
            #expect(reason.contains("did not create"))
            #expect(try await lab.netbox.prefixes(within: "10.0.0.0/16", description: "circuit").isEmpty, "nothing allocated")

            // The form no longer offers that port.
            let session = lab.engine.makeFormSession(try #require(lab.engine.registry["create_circuit"]?.initialForm))
            let ids = [a, b].map { JSONValue.string($0.subscriptionID.uuidString.lowercased()) }
            let ports = try await session.page(2, answers: ["product": "Circuit 10G", "node_a": ids[0], "node_b": ids[1]])
            let offered = try #require(ports.fields.first?.choices).compactMap(\.value.intValue)
            #expect(!offered.contains(WorkshopLab.portA))
            #expect(!offered.isEmpty)

            // Aborted, and a circuit on other ports terminated: the hand-made address stays.
            _ = try await lab.engine.abort(failed.processID, user: "alice")
            let circuit = try await lab.createdCircuit(a, b, ports: (2, 13))
            #expect(try await lab.engine.start("terminate_circuit", input: lab.input(circuit), user: "carol").status == .completed)
            #expect(try await lab.netbox.ipAddress(id: handMade.id).address == "198.51.100.1/24")
        }
    }

    @Test func loopbacksADeviceHadBeforeEnrolmentSurviveItsTermination() async throws {
        try await withWorkshop { lab in
            let loopback = try #require(try await lab.netbox.interfaces(deviceID: 3, name: "Loopback0").first)
            let v4 = try await lab.netbox.createIPAddress("10.0.127.200/32", interface: loopback.id, description: "set up by hand")
            let v6 = try await lab.netbox.createIPAddress("fc00:0:0:127::200/128", interface: loopback.id, description: "set up by hand")
            _ = try await lab.netbox.updateDevice(id: 3, .init(primaryIP4: v4.id, primaryIP6: v6.id))
            let node = try await lab.enrolledNode(3)
            #expect(try await lab.node(node.subscriptionID).ipv4Loopback == "10.0.127.200/32", "the device's own loopbacks are used")

            let ended = try await lab.engine.start("terminate_node", input: lab.input(node), user: "carol")
            #expect(ended.status == .completed, "\(ended.failedReason ?? "")")
            let device = try await lab.netbox.device(id: 3)
            #expect(device.status.value == "planned", "set back to what it was")
            #expect(device.primaryIP4?.id == v4.id)
            #expect(device.primaryIP6?.id == v6.id)
            #expect(try await lab.netbox.ipAddresses(interfaceID: loopback.id).map(\.id).sorted() == [v4.id, v6.id].sorted())
        }
    }

    @Test func aLoopbackAddressTheOrchestratorDidNotMakeIsRefusedNotAdopted() async throws {
        try await withWorkshop { lab in
            let loopback = try #require(try await lab.netbox.interfaces(deviceID: 3, name: "Loopback0").first)
            let stray = try await lab.netbox.createIPAddress("10.0.127.201/32", interface: loopback.id, description: "someone's")
            let outcome = try await lab.enrol(3)
            #expect(outcome.status == .failed)
            #expect(outcome.failedReason?.contains("10.0.127.201/32 (ipam.ip-address \(stray.id))") == true, "\(outcome.failedReason ?? "")")
            #expect(try await lab.netbox.device(id: 3).primaryIP4 == nil, "the device is not changed")
        }
    }

    @Test func validateListsObjectsTheLedgerSaysAreTheCircuitsButItDoesNotName() async throws {
        try await withWorkshop { lab in
            let (_, _, circuit) = try await lab.nodesAndCircuit()
            #expect(try await lab.engine.start("validate_circuit", input: lab.input(circuit), user: "carol").status == .completed)
            // A run that was replaced made a /31 and could not release it (NetBox was down).
            let stray = try await lab.netbox.allocatePrefix(
                in: try #require(try await lab.netbox.prefix("10.0.0.0/16")), .init(prefixLength: 31, description: "left behind"))
            let processID = try #require(try await lab.store.processes(of: circuit.subscriptionID).first)
            let entry = LedgerEntry(
                entryID: UUID(), processID: processID, step: "reserve_ips_in_ipam", execution: UUID(), attempt: 1, runner: "gone",
                subscriptionID: circuit.subscriptionID, action: .create, objectType: "ipam.prefix", objectID: stray.id, label: stray.prefix,
                key: "v4 block", outcome: .done, startedAt: lab.clock.now)
            #expect(try await lab.store.recordIntent(entry, fence: nil))

            let failed = try await lab.engine.start("validate_circuit", input: lab.input(circuit), user: "carol")
            #expect(failed.status == .failed)
            let reason = failed.failedReason ?? ""
            #expect(reason.contains("netbox.orphans") && reason.contains("ipam.prefix \(stray.prefix) (id \(stray.id))"), "\(reason)")
            #expect(!reason.contains("dcim.cable"), "what the Circuit names is not an orphan")
        }
    }

    @Test func aNodesLifecycleLeavesTheDeviceAsItFoundIt() async throws {
        try await withWorkshop { lab in
            let before = try await lab.netbox.device(id: 1)
            let node = try await lab.enrolledNode(1)
            let entries = try await lab.store.ledger(LedgerQuery(subscriptionID: node.subscriptionID))
            let living = entries.living.values.sorted { $0.startedAt < $1.startedAt }
            #expect(living.map(\.objectType) == ["ipam.ip-address", "ipam.ip-address"])
            let addresses = try await lab.netbox.ipAddresses(
                interfaceID: try #require(try await lab.netbox.interfaces(deviceID: 1, name: "Loopback0").first).id)
            #expect(Set(addresses.map(\.id)) == Set(living.compactMap(\.objectID)), "the ledger's loopbacks are NetBox's")
            let deviceUpdates = entries.filter { $0.action == .update && $0.objectType == "dcim.device" }
            let replacedStatuses: [JSONValue?] = deviceUpdates.map { $0.replaced?.objectValue?["status"] }
            #expect(replacedStatuses.contains(.string("planned")), "create_node recorded the status it replaced")

            let modified = try await lab.engine.start(
                "modify_node", input: lab.input(node, ["description": "Spare", "node_status": "active"]), user: "bob")
            if modified.status == .suspended {
                _ = try await lab.engine.resume(modified.processID, input: ["confirmed": true], user: "bob")
            }
            #expect(try await lab.engine.start("terminate_node", input: lab.input(node), user: "carol").status == .completed)
            let after = try await lab.netbox.device(id: 1)
            #expect(after.status == before.status)
            #expect(after.description == before.description)
            #expect(after.primaryIP4 == nil)
            #expect(after.primaryIP6 == nil)
            #expect(try await lab.store.ledger(LedgerQuery(subscriptionID: node.subscriptionID)).living.isEmpty)
        }
    }
}

/// Compares what the ledger says a subscription made with what NetBox holds.
enum LedgerCheck {
    /// The Circuit's living ledger objects are exactly its prefixes, the addresses on its
    /// ports and its cable in NetBox, and each exists.
    static func circuitMatchesNetBox(_ lab: WorkshopLab, _ circuitID: UUID) async throws {
        let living = try await lab.store.ledger(LedgerQuery(subscriptionID: circuitID)).living
        let model = try #require(try await lab.store.subscription(circuitID))
        let ports = try model.root.decode(CircuitBlock.self).members.compactMap { $0.port?.portID }
        var inNetBox: Set<String> = Set(try await lab.prefixes(of: model).map { "ipam.prefix:\($0.id)" })
        for port in ports {
            inNetBox.formUnion(try await lab.netbox.ipAddresses(interfaceID: port).map { "ipam.ip-address:\($0.id)" })
        }
        inNetBox.formUnion(try await lab.cables(on: ports).map { "dcim.cable:\($0.id)" })
        #expect(Set(living.keys) == inNetBox, "ledger \(living.keys.sorted()) vs NetBox \(inNetBox.sorted())")
    }

    /// Every port of devices 1 and 2: what create_circuit writes and terminate sets back.
    static func ports(_ lab: WorkshopLab) async throws -> [NetBoxInterface] {
        try await lab.netbox.interfaces(deviceID: 1) + lab.netbox.interfaces(deviceID: 2)
    }
}

/// Holds a runner at one point until the test opens it, as a SIGSTOP would.
actor Gate {
    private var arrived = false
    private var isOpen = false
    private var arrivals: [CheckedContinuation<Void, Never>] = []
    private var waiting: [CheckedContinuation<Void, Never>] = []

    /// Called by the runner: says it got here, then waits for `open`.
    func pass() async {
        arrived = true
        arrivals.forEach { $0.resume() }
        arrivals = []
        guard !isOpen else { return }
        await withCheckedContinuation { waiting.append($0) }
    }

    /// Called by the test: returns once the runner is held.
    func reached() async {
        guard !arrived else { return }
        await withCheckedContinuation { arrivals.append($0) }
    }

    func open() {
        isOpen = true
        waiting.forEach { $0.resume() }
        waiting = []
    }
}

extension WorkshopLab {
    /// Runs `workflow` on an engine that loses the commit of `step` once, recovers after the
    /// crash, confirms the config wherever it is asked, and expects the process completed.
    func runThroughACrash(after step: StepKey, _ workflow: WorkflowName, input: FormInput) async throws -> ProcessOutcome {
        let crashing = crashingEngine(after: [step])
        var outcome: ProcessOutcome?
        do {
            outcome = try await crashing.start(workflow, input: input, user: "alice")
            if outcome?.status == .suspended {
                outcome = try await crashing.resume(try #require(outcome).processID, input: ["confirmed": true], user: "alice")
            }
        } catch is CrashingStore.Crash {
            outcome = try await recoverAfterCrash().first
        }
        var done = try #require(outcome)
        if done.status == .suspended {
            done = try await engine.resume(done.processID, input: ["confirmed": true], user: "alice")
        }
        #expect(done.status == .completed, "\(workflow) after a crash at \(step): \(done.failedReason ?? "")")
        return done
    }

    /// An engine like `engine` on `store` under another runner's name.
    func engine(runner: String, store other: any ProcessStore) -> Engine {
        var configuration = engine.configuration
        configuration.runnerID = runner
        return Engine(
            store: other, registry: engine.registry, products: engine.products, subscriptions: store, services: engine.services,
            configuration: configuration, environment: engine.environment, logger: engine.logger)
    }
}

/// True the first time only.
final class Once: Sendable {
    private let fresh = Mutex(true)

    func take() -> Bool {
        fresh.withLock { fresh in
            defer { fresh = false }
            return fresh
        }
    }
}
