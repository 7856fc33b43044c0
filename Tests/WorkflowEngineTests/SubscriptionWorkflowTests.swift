import Foundation
import GRDB
import Products
import Testing
import WorkflowEngine
import WorkflowTestKit

@testable import Persistence

/// Node workflows built with the standard frames.
enum NodeFlows {
    static let nameForm = Form(name: "node", title: "Node", fields: [.text("node_name", "Node name")])

    static func node(_ name: String, id: Int = 7) -> NodeBlock {
        NodeBlock(nodeID: id, nodeName: name, nodeStatus: "active", ipv4Loopback: "10.255.0.\(id)/32", ipv6Loopback: "2001:db8::\(id)/128")
    }

    static func model(_ node: NodeBlock, id: UUID = UUID(), status: Lifecycle = .initial) throws -> SubscriptionModel {
        SubscriptionModel(
            subscriptionID: id, productName: "Node", customerID: "acme", description: "new node", status: status, insync: status == .active,
            root: try JSONValue(encoding: node))
    }

    /// Builds a complete Node (still `initial`) from the answered name and saves it.
    static let construct = Step("construct_node_model", retry: .never) { context in
        let name = try context.state.value(for: StateKey<String>("node_name"))
        return .success(try context.save(try model(node(name), id: context.makeID())))
    }

    static let create = WorkflowFrames.create(
        "create_node", description: "Create a node", initialForm: FormFlow(nameForm),
        begin >>> construct >>> StandardSteps.storeProcessSubscription >>> StandardSteps.setStatus(.provisioning))

    /// Renames the node to the state's `node_name`.
    static let rename = Step("rename_node", retry: .never) { context in
        var node = try context.subscription(NodeBlock.self)
        node.root.nodeName = try context.state.value(for: StateKey<String>("node_name"))
        return .success(try context.save(node))
    }

    /// Lets a second pass, so that the saves before and after it get different times.
    static let settle = Step("settle", retry: .never) { context in
        try await context.sleep(for: .seconds(1))
        return .success
    }

    /// Asks for the new name once started, holding the lock while it waits.
    static let renameAsking = WorkflowFrames.modify(
        "rename_node_asking", description: "Rename a node, asking for the name", begin >>> ask("ask_name", nameForm) >>> rename)
    static let renameNode = WorkflowFrames.modify(
        "rename_node", description: "Rename a node", initialForm: FormFlow(nameForm), begin >>> rename >>> settle)
    static let check = WorkflowFrames.validate("check_node", description: "Check a node", begin >>> succeed("check"))
    static let terminate = WorkflowFrames.terminate("terminate", description: "Terminate a subscription", begin >>> succeed("deprovision"))
}

@Suite("Subscription workflows", .storeSlots, .timeLimit(.minutes(5)))
struct SubscriptionWorkflowTests {
    static func harness(_ workflows: [WorkflowDefinition]) async throws -> Harness {
        try await Harness(workflows, products: try ProductRegistry(ProductCatalog.all))
    }

    /// Saves an active, in-sync subscription outside any process, as an import would.
    static func seed(_ harness: Harness, _ model: SubscriptionModel) async throws -> SubscriptionModel {
        try await harness.temporary.store.seed(model, product: try harness.products.product(named: model.productName), now: harness.clock.now)
    }

    static func seedNode(_ harness: Harness, _ name: String, id: Int = 7) async throws -> SubscriptionModel {
        try await seed(harness, try NodeFlows.model(NodeFlows.node(name, id: id), status: .active))
    }

    static func input(_ subscription: SubscriptionModel, _ more: State = State()) -> State {
        State(["subscription_id": .string(subscription.subscriptionID.uuidString.lowercased())]).merging(more)
    }

    static func summary(_ harness: Harness, _ id: UUID) async throws -> SubscriptionSummary {
        try #require(try await harness.temporary.store.subscriptions(SubscriptionFilter()).first { $0.subscriptionID == id })
    }

    static func outcome(_ body: @Sendable () async throws -> ProcessOutcome) async -> Result<ProcessOutcome, any Error> {
        do { return .success(try await body()) } catch { return .failure(error) }
    }

    // MARK: - Create

    @Test func createEndsWithAnActiveInSyncSubscriptionVersionedByItsSteps() async throws {
        let harness = try await Self.harness([NodeFlows.create])
        let store = harness.temporary.store

        let outcome = try await harness.engine.start(NodeFlows.create.name, input: ["node_name": "loc1-core"], user: "alice")

        #expect(outcome.status == .completed)
        let carried = try #require(try await harness.process(outcome.processID).state[raw: "subscription"])
        let id = try SubscriptionModel(json: carried).subscriptionID
        let model = try #require(try await store.subscription(id))
        #expect(model.status == .active)
        #expect(model.insync)
        #expect(model.startDate == harness.clock.now)
        #expect(model.description == "Node loc1-core", "described by the product")
        #expect(model.root.objectValue?["node_name"] == "loc1-core")
        let versions = try await store.versions(of: id)
        #expect(
            versions.map(\.step) == ["construct_node_model", "set_status_provisioning", "set_status_active", "resync"],
            "store_process_subscription saved nothing new")
        #expect(versions.map(\.model.status) == [.initial, .provisioning, .active, .active])
        #expect(versions.allSatisfy { $0.processID == outcome.processID && $0.user == "alice" })
        #expect(versions.last?.model == model)
        #expect(try await store.processes(of: id) == [outcome.processID])
        #expect(try await Self.summary(harness, id).lockedBy == nil)
    }

    @Test(arguments: [false, true])
    func aStepThatSavesAndThenFailsLeavesNoSubscriptionBehind(throwing: Bool) async throws {
        let id = UUID()
        let saveThenFail = Step("save_then_fail", retry: .never) { context in
            _ = try context.save(try NodeFlows.model(NodeFlows.node("loc1-core"), id: id))
            if throwing { throw StepError("NetBox refused the device") }
            return .failed("NetBox refused the device")
        }
        let flow = WorkflowFrames.create("create_failing", description: "fails after saving", begin >>> saveThenFail)
        let harness = try await Self.harness([flow])
        let store = harness.temporary.store

        let outcome = try await harness.engine.start(flow.name, user: "alice")

        #expect(outcome.status == .failed)
        #expect(try await store.subscription(id) == nil)
        #expect(try await store.versions(of: id).isEmpty)
        #expect(try await store.processes(of: id).isEmpty)
        var rows: [String?] = []
        for table in ["subscriptions", "subscription_instances", "subscription_instance_values", "subscription_versions"] {
            rows += try await store.plainTexts("SELECT COUNT(*) FROM \(table)")
        }
        #expect(rows == ["0", "0", "0", "0"], "subscriptions, instances, values, versions")
    }

    // MARK: - Locks

    @Test func twoModifiesRacingForOneSubscriptionLetExactlyOneIn() async throws {
        let harness = try await Self.harness([NodeFlows.renameAsking])
        let node = try await Self.seedNode(harness, "loc1-core")
        let other = try await harness.engine([NodeFlows.renameAsking], runner: "runner-b", ownConnection: true)
        let name = NodeFlows.renameAsking.name
        let input = Self.input(node)

        async let first = Self.outcome { try await harness.engine.start(name, input: input, user: "alice") }
        async let second = Self.outcome { try await other.start(name, input: input, user: "bob") }
        let results = await [first, second]

        let winners = results.compactMap { try? $0.get() }
        let refusals = results.compactMap { result -> WorkflowError? in
            guard case .failure(let error) = result else { return nil }
            return error as? WorkflowError
        }
        #expect(winners.count == 1)
        #expect(refusals.count == 1)
        let winner = try #require(winners.first)
        let refusal = try #require(refusals.first)
        #expect(winner.status == .suspended)
        #expect(refusal.code == .subscriptionLocked)
        // The loser is refused either by the form's pre-check (the winner already held it:
        // the holder is named on the field) or inside the store's transaction (in the message).
        let said = ([refusal.message] + refusal.problems.map(\.reason)).joined(separator: "\n")
        #expect(said.contains(winner.processID.description), "names the process holding the lock")
        #expect(try await Self.summary(harness, node.subscriptionID).lockedBy == winner.processID)
        #expect(try await harness.store.processes(ProcessFilter()).map(\.processID) == [winner.processID], "nothing stored for the loser")
    }

    @Test func theLockIsReleasedWhenTheModifyCompletes() async throws {
        let harness = try await Self.harness([NodeFlows.renameAsking])
        let node = try await Self.seedNode(harness, "loc1-core")
        let name = NodeFlows.renameAsking.name
        let started = try await harness.engine.start(name, input: Self.input(node), user: "alice")
        let refused = try await #require(throws: WorkflowError.self) {
            try await harness.engine.start(name, input: Self.input(node), user: "bob")
        }
        #expect(refused.code == .subscriptionLocked)

        let finished = try await harness.engine.resume(started.processID, input: ["node_name": "loc1-core-new"], user: "alice")

        #expect(finished.status == .completed)
        let summary = try await Self.summary(harness, node.subscriptionID)
        #expect(summary.lockedBy == nil)
        #expect(summary.insync)
        #expect(try await harness.temporary.store.subscription(node.subscriptionID)?.root.objectValue?["node_name"] == "loc1-core-new")
        let next = try await harness.engine.start(name, input: Self.input(node), user: "bob")
        #expect(next.status == .suspended)
        #expect(try await Self.summary(harness, node.subscriptionID).lockedBy == next.processID)
    }

    @Test func theLockIsReleasedWhenTheModifyIsAborted() async throws {
        let harness = try await Self.harness([NodeFlows.renameAsking])
        let node = try await Self.seedNode(harness, "loc1-core")
        let name = NodeFlows.renameAsking.name
        let started = try await harness.engine.start(name, input: Self.input(node), user: "alice")
        #expect(try await Self.summary(harness, node.subscriptionID).lockedBy == started.processID)

        _ = try await harness.engine.abort(started.processID, user: "alice", reason: "wrong node")

        let summary = try await Self.summary(harness, node.subscriptionID)
        #expect(summary.lockedBy == nil)
        #expect(!summary.insync, "an aborted modify leaves the subscription out of sync")
        let refused = try await #require(throws: WorkflowError.self) {
            try await harness.engine.start(name, input: Self.input(node), user: "bob")
        }
        #expect(refused.code == .subscriptionOutOfSync, "a modify takes only an in-sync subscription")
        #expect(refused.problems.first?.reason.contains("set-in-sync") == true, "says what to do")

        try await harness.temporary.store.setInSync(node.subscriptionID, user: "alice", reason: "checked by hand", now: Date())
        #expect(try await Self.summary(harness, node.subscriptionID).insync)
        #expect(try await harness.temporary.store.events(of: node.subscriptionID).last?.event == SubscriptionEvent.setInSync)
        let next = try await harness.engine.start(name, input: Self.input(node), user: "bob")
        #expect(next.status == .suspended)
        #expect(try await Self.summary(harness, node.subscriptionID).lockedBy == next.processID)
    }

    @Test func terminateOfANodeUsedByAnActiveCircuitIsRefusedAtStart() async throws {
        let harness = try await Self.harness([NodeFlows.terminate])
        let store = harness.temporary.store
        let a = try await Self.seedNode(harness, "loc1-core", id: 7)
        let b = try await Self.seedNode(harness, "loc2-core", id: 8)
        let sides = try [a, b].enumerated().map { index, node in
            Layer3InterfaceBlock(
                port: PortBlock(portID: 100 + index, portName: "xe-0/0/\(index)", node: try node.root.decode(NodeBlock.self)),
                v6IPAddress: "2001:db8:1::\(index)/127", v4IPAddress: "10.0.0.\(index)/31")
        }
        let block = CircuitBlock(members: sides, circuitID: 12, circuitStatus: "connected", underMaintenance: false)
        let circuit = try await Self.seed(
            harness,
            SubscriptionModel(
                subscriptionID: UUID(), productName: "Circuit 10G", customerID: "acme", description: block.subscriptionDescription ?? "",
                status: .active, insync: true, root: try JSONValue(encoding: block)))
        let versionsBefore = try await store.versions(of: a.subscriptionID)

        let error = try await #require(throws: WorkflowError.self) {
            try await harness.engine.start(NodeFlows.terminate.name, input: Self.input(a), user: "alice")
        }

        #expect(error.code == .subscriptionInUse)
        #expect(error.message.contains(circuit.subscriptionID.uuidString.lowercased().prefix(8)))
        #expect(error.message.contains(circuit.description))
        #expect(try await harness.store.processes(ProcessFilter()).isEmpty)
        #expect(try await store.processes(of: a.subscriptionID).isEmpty)
        #expect(try await store.versions(of: a.subscriptionID) == versionsBefore)
        let summary = try await Self.summary(harness, a.subscriptionID)
        #expect(summary.lockedBy == nil)
        #expect(summary.insync, "the refused start did not mark it out of sync")
        #expect(summary.status == .active)

        // Once the circuit is gone, the node can go too.
        #expect(try await harness.engine.start(NodeFlows.terminate.name, input: Self.input(circuit), user: "alice").status == .completed)
        #expect(try await harness.engine.start(NodeFlows.terminate.name, input: Self.input(a), user: "alice").status == .completed)
        #expect(try await store.subscription(a.subscriptionID)?.status == .terminated)
    }

    // MARK: - Versions

    @Test func severalModifiesLeaveOneVersionPerChangingSave() async throws {
        let harness = try await Self.harness([NodeFlows.renameNode, NodeFlows.check])
        let store = harness.temporary.store
        let node = try await Self.seedNode(harness, "loc1-core")
        var processes: [ProcessID] = []
        for (workflow, user, name) in [
            (NodeFlows.renameNode, "alice", "loc1-core-b"), (NodeFlows.check, "bob", nil), (NodeFlows.renameNode, "carol", "loc1-core-c"),
        ] {
            harness.clock.advance(by: .seconds(60))
            let more: State = name.map { ["node_name": .string($0)] } ?? State()
            let outcome = try await harness.engine.start(workflow.name, input: Self.input(node, more), user: user)
            #expect(outcome.status == .completed)
            processes.append(outcome.processID)
        }

        let versions = try await store.versions(of: node.subscriptionID)

        #expect(versions.map(\.version) == [1, 2, 3, 4, 5], "the seed, then a rename and a resync per rename; the check changed nothing")
        #expect(versions.map(\.user) == ["import", "alice", "alice", "carol", "carol"])
        #expect(versions.map(\.processID) == [nil, processes[0], processes[0], processes[2], processes[2]])
        #expect(versions.map(\.step) == [nil, "rename_node", "resync", "rename_node", "resync"])
        // The seed's description ("new node") is not the product's own, so it is kept (see `StepContext.save`).
        #expect(versions[1].changes.map(\.path) == ["insync", "root.node_name"])
        #expect(versions[2].changes == [FieldChange(path: "insync", before: false, after: true)])
        #expect(
            versions[3].changes.first { $0.path == "root.node_name" }
                == FieldChange(path: "root.node_name", before: "loc1-core-b", after: "loc1-core-c"))
        for version in versions {
            #expect(try await store.subscription(node.subscriptionID, at: version.time) == version.model, "as of version \(version.version)")
        }
        #expect(try await store.processes(of: node.subscriptionID) == processes)
    }
}
