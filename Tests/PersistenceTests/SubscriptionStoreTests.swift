import Foundation
import GRDB
import Products
import Testing
import WorkflowEngine
import WorkflowTestKit

@testable import Persistence

/// Subscriptions in the SQLite store: models written into instances, values and relations
/// and read back as they were, "used by" links, lifecycle checks, versions, plain-SQL search,
/// the forced unlock.
@Suite(.storeSlots)
struct SubscriptionStoreTests {
    /// Stands for the PostgreSQL cases the store tests below drop without a server, so that
    /// the run names them as skipped; with one, checks that a PostgreSQL store opens.
    @Test(.enabled(if: StoreKind.postgresURL != nil, StoreKind.postgresCasesSkipped(19)))
    func postgreSQLCasesRan() async throws {
        #expect(StoreKind.available.contains(.postgres))
        let temporary = try await TemporaryStore(kind: .postgres)
        #expect(try await temporary.store.migrationStatus().allSatisfy { $0.state == .applied })
    }

    // MARK: - Round trips

    @Test(arguments: StoreKind.available) func aNodeReadsBackAsItWasSaved(kind: StoreKind) async throws {
        let temporary = try await Subscriptions.store(kind)
        let saved = try await temporary.store.save(try Subscriptions.node("loc1-core", id: 7))

        let loaded = try #require(try await temporary.store.subscription(saved.subscriptionID))

        #expect(loaded == saved)
        #expect(loaded.root == saved.root)
        #expect(loaded["node_id"] == .int(7))
        #expect(loaded[BlockSchema.instanceIDKey]?.stringValue.flatMap(UUID.init(uuidString:)) != nil, "the save gave the block an id")
    }

    @Test(arguments: StoreKind.available) func aCircuitReadsBackWithItsPortsOnTheNodesBlocks(kind: StoreKind) async throws {
        let temporary = try await Subscriptions.store(kind)
        let store = temporary.store
        let (a, b, saved) = try await store.saveCircuitBetweenTwoNodes()

        let loaded = try #require(try await store.subscription(saved.subscriptionID))

        #expect(loaded == saved)
        #expect(loaded.root == saved.root)
        let members = loaded["members"]?.arrayValue ?? []
        #expect(members.map { $0.objectValue?["port"]?.objectValue?["node"] } == [a.root, b.root], "A side first, each on its node's block")
        #expect(members.map { $0.objectValue?["port"]?.objectValue?["port_id"] } == [.int(101), .int(202)])
        #expect(loaded["circuit_id"] == .int(12))
        #expect(loaded["under_maintenance"] == .bool(false))
        let owned = try await store.plainTexts(
            "SELECT COUNT(*) FROM subscription_instances WHERE subscription_id = '\(saved.subscriptionID.uuidString.lowercased())'")
        #expect(owned == ["5"], "the circuit, its two sides and two ports; the NodeBlocks stay the nodes'")
    }

    @Test(arguments: StoreKind.available) func valuesKeepTheirTypesNullsAbsencesAndListOrder(kind: StoreKind) async throws {
        let temporary = try await Subscriptions.store(kind)
        let root: JSONValue = [
            "label": "sample", "count": 42, "enabled": false, "ratio": 0.25, "tags": ["b", "a", "c", 7, true], "empty_tags": [],
            "cleared": nil, "extra": ["item_name": "nested", "position": 0], "null_extra": nil,
            "items": [["item_name": "third", "position": 3], ["item_name": "first", "position": 1], ["item_name": "second", "position": 2]],
        ]
        let model = SubscriptionModel(
            subscriptionID: UUID(), productName: Subscriptions.sample.name, customerID: "acme", description: "sample", root: root)
        let saved = try await temporary.store.save(model)

        let loaded = try #require(try await temporary.store.subscription(saved.subscriptionID))

        #expect(loaded == saved)
        #expect(loaded["count"] == .int(42))
        #expect(loaded["enabled"] == .bool(false))
        #expect(loaded["ratio"] == .double(0.25))
        #expect(loaded["tags"] == ["b", "a", "c", 7, true])
        #expect(loaded["empty_tags"] == .array([]))
        #expect(loaded["cleared"] == .null)
        #expect(loaded["null_extra"] == .null)
        #expect(loaded["absent"] == nil)
        #expect(loaded["missing_extra"] == nil)
        #expect(loaded["extra"]?.objectValue?["item_name"] == "nested")
        #expect(loaded["items"]?.arrayValue?.map { $0.objectValue?["item_name"] } == ["third", "first", "second"])
    }

    // MARK: - Used by

    @Test(arguments: StoreKind.available) func aCircuitMakesItsNodesUsedByItUntilItIsTerminated(kind: StoreKind) async throws {
        let temporary = try await Subscriptions.store(kind)
        let store = temporary.store
        let (a, b, circuit) = try await store.saveCircuitBetweenTwoNodes()

        let users = try await store.usedBy(a.subscriptionID)
        #expect(users.map(\.subscriptionID) == [circuit.subscriptionID])
        #expect(users.first?.description == circuit.description)
        #expect(try await store.usedBy(b.subscriptionID).map(\.subscriptionID) == [circuit.subscriptionID])
        #expect(try await store.usedBy(circuit.subscriptionID).isEmpty)

        var terminated = circuit
        terminated.status = .terminated
        terminated.endDate = Subscriptions.at(60)
        try await store.save(terminated, at: Subscriptions.at(60))

        #expect(try await store.usedBy(a.subscriptionID).isEmpty)
        #expect(try await store.usedBy(b.subscriptionID).isEmpty)
    }

    // MARK: - Lifecycle

    @Test func checkTransitionRefusesAChangeTheGraphLacks() throws {
        let node = try Subscriptions.node("loc1-core", id: 7, status: .initial)

        let error = try #require(throws: WorkflowError.self) { try NodeProduct.definition.checkTransition(of: node, to: .active) }

        #expect(error.code == .invalidLifecycle)
        #expect(error.message.contains("cannot go from initial to active"))
        #expect(error.problems.isEmpty, "refused for the graph, whatever the fields")
        #expect(throws: Never.self) { try NodeProduct.definition.checkTransition(of: node, to: .provisioning) }
    }

    @Test func checkTransitionListsEveryMissingNodeFieldByPath() throws {
        let node = SubscriptionModel(
            subscriptionID: UUID(), productName: "Node", customerID: "acme", description: "half a node", root: ["node_name": "loc1-core"])

        let error = try #require(throws: WorkflowError.self) { try NodeProduct.definition.checkTransition(of: node, to: .provisioning) }

        #expect(error.code == .invalidLifecycle)
        #expect(error.message.contains("node.ipv4_loopback is required in provisioning"))
        #expect(
            error.problems
                == ["node_id", "node_status", "ipv4_loopback", "ipv6_loopback"].map {
                    FieldProblem(field: "node.\($0)", reason: "is required in provisioning")
                })
    }

    @Test func checkTransitionListsMissingNestedCircuitFieldsAndTheMembersCount() throws {
        let side = Layer3InterfaceBlock(port: PortBlock(portName: "xe-0/0/0"), v4IPAddress: "10.0.0.0/31")
        let circuit = CircuitBlock(members: [side], circuitStatus: "planned", underMaintenance: false)
        let model = SubscriptionModel(
            subscriptionID: UUID(), productName: "Circuit 10G", customerID: "acme", description: "half a circuit", status: .provisioning,
            root: try JSONValue(encoding: circuit))

        let error = try #require(throws: WorkflowError.self) { try CircuitProduct.variants[0].checkTransition(of: model, to: .active) }

        #expect(error.code == .invalidLifecycle)
        #expect(error.message.contains("circuit.members[0].port.port_id is required in active"))
        #expect(
            error.problems == [
                FieldProblem(field: "circuit.members", reason: "needs exactly 2 blocks in active, has 1"),
                FieldProblem(field: "circuit.members[0].port.port_id", reason: "is required in active"),
                FieldProblem(field: "circuit.members[0].port.node", reason: "is required in active"),
                FieldProblem(field: "circuit.members[0].v6_ip_address", reason: "is required in active"),
                FieldProblem(field: "circuit.circuit_id", reason: "is required in active"),
            ])
    }

    // MARK: - Versions

    /// A node saved at t0, saved unchanged at +10, renamed by alice at +20, disabled by carol at +30.
    private static func history(_ store: any WorkflowStore) async throws -> [SubscriptionModel] {
        let first = try await store.save(try Subscriptions.node("loc1-core", id: 7), by: "seed", at: Subscriptions.t0)
        try await store.save(first, by: "bob", at: Subscriptions.at(10))
        let renamed = first.setting("node_name", "loc1-core-new").setting("ipv4_loopback", "10.255.1.7/32")
        try await store.save(renamed, by: "alice", at: Subscriptions.at(20))
        var disabled = renamed
        disabled.status = .disabled
        try await store.save(disabled, by: "carol", at: Subscriptions.at(30))
        return [first, renamed, disabled]
    }

    @Test(arguments: StoreKind.available) func eachChangingSaveAddsAVersionWithItsFieldChanges(kind: StoreKind) async throws {
        let temporary = try await Subscriptions.store(kind)
        let models = try await Self.history(temporary.store)

        let versions = try await temporary.store.versions(of: models[0].subscriptionID)

        #expect(versions.map(\.version) == [1, 2, 3], "oldest first; the unchanged save at +10 added none")
        #expect(versions.map(\.user) == ["seed", "alice", "carol"])
        #expect(versions.map(\.time) == [Subscriptions.t0, Subscriptions.at(20), Subscriptions.at(30)])
        #expect(versions.map(\.model) == models)
        #expect(versions.allSatisfy { $0.processID == nil && $0.step == nil }, "saved outside any process")
        #expect(
            versions[1].changes == [
                FieldChange(path: "root.ipv4_loopback", before: "10.255.0.7/32", after: "10.255.1.7/32"),
                FieldChange(path: "root.node_name", before: "loc1-core", after: "loc1-core-new"),
            ])
        #expect(versions[2].changes == [FieldChange(path: "status", before: "active", after: "disabled")])
    }

    @Test(arguments: StoreKind.available) func aSaveThatChangesNothingAddsNoVersion(kind: StoreKind) async throws {
        let temporary = try await Subscriptions.store(kind)
        let saved = try await temporary.store.save(try Subscriptions.node("loc1-core", id: 7))

        try await temporary.store.save(saved, by: "bob", at: Subscriptions.at(10))
        try await temporary.store.save(saved, by: "carol", at: Subscriptions.at(20))

        #expect(try await temporary.store.versions(of: saved.subscriptionID).map(\.user) == ["seed"])
    }

    @Test(arguments: StoreKind.available) func aChangeDeepInACircuitIsRecordedByItsPath(kind: StoreKind) async throws {
        let temporary = try await Subscriptions.store(kind)
        let store = temporary.store
        let (_, _, circuit) = try await store.saveCircuitBetweenTwoNodes()
        var block = try circuit.root.decode(CircuitBlock.self)
        block.members[1].port?.portName = "xe-0/0/2"
        var moved = circuit
        moved.root = try JSONValue(encoding: block)

        try await store.save(moved, by: "alice", at: Subscriptions.at(10))

        let versions = try await store.versions(of: circuit.subscriptionID)
        #expect(versions.count == 2)
        #expect(versions.last?.changes == [FieldChange(path: "root.members[1].port.port_name", before: "xe-0/0/1", after: "xe-0/0/2")])
    }

    @Test(arguments: StoreKind.available) func subscriptionAtATimeIsTheModelAsOfThatTime(kind: StoreKind) async throws {
        let temporary = try await Subscriptions.store(kind)
        let store = temporary.store
        let models = try await Self.history(store)
        let id = models[0].subscriptionID

        for version in try await store.versions(of: id) {
            #expect(try await store.subscription(id, at: version.time) == version.model, "as of version \(version.version)")
        }
        #expect(try await store.subscription(id, at: Subscriptions.at(-1)) == nil, "before the first save")
        #expect(try await store.subscription(id, at: Subscriptions.at(15)) == models[0], "the unchanged save at +10 is no version")
        #expect(try await store.subscription(id, at: Subscriptions.at(25)) == models[1])
        #expect(try await store.subscription(id, at: Subscriptions.at(99)) == store.subscription(id))
    }

    // MARK: - Many at once

    @Test(arguments: StoreKind.available) func manyAtOnceReadAsEachIsNowAndAsEachWasThen(kind: StoreKind) async throws {
        let temporary = try await Subscriptions.store(kind)
        let store = temporary.store
        let models = try await Self.history(store)
        let a = try await store.save(try Subscriptions.node("loc3-core", id: 17), by: "seed", at: Subscriptions.at(40))
        let b = try await store.save(try Subscriptions.node("loc4-core", id: 18), by: "seed", at: Subscriptions.at(40))
        let circuit = try await store.save(try Subscriptions.circuit(a, b), by: "seed", at: Subscriptions.at(40))
        let held = try await store.save(try Subscriptions.node("loc9-core", id: 9), by: "seed", at: Subscriptions.at(40))
        let holder = Fixtures.process()
        try await store.insertProcess(holder, inputs: [Fixtures.input(holder)], locks: [SubscriptionLock(held.subscriptionID)])
        let missing = UUID()
        let ids = [circuit.subscriptionID, missing, models[0].subscriptionID, a.subscriptionID, held.subscriptionID, b.subscriptionID]

        // Now: each as `subscription(_:)` reads it, in the order asked, the unknown left out.
        var expected: [SubscriptionModel] = []
        for id in ids where id != missing { expected.append(try #require(try await store.subscription(id))) }
        let now = try await store.newestVersions(ids, at: nil)
        #expect(now == expected)
        #expect(now.last(where: { $0.subscriptionID == held.subscriptionID })?.insync == false, "a held subscription is never in sync")

        // Then: as each was at that time; the subscriptions saved later are left out.
        let then = try await store.newestVersions(ids, at: Subscriptions.at(25))
        #expect(then.map(\.subscriptionID) == [models[0].subscriptionID])
        #expect(then.first == models[1])
        #expect(try await store.newestVersions([], at: nil).isEmpty)
    }

    @Test(arguments: StoreKind.available) func blockValuesNameEachSubscriptionsValuesOfAField(kind: StoreKind) async throws {
        let temporary = try await Subscriptions.store(kind)
        let store = temporary.store
        let (a, b, circuit) = try await store.saveCircuitBetweenTwoNodes()
        let names = try await store.blockValues("node_name", of: [a.subscriptionID, b.subscriptionID, circuit.subscriptionID, UUID()])
        #expect(names[a.subscriptionID] == [try #require(a["node_name"]?.stringValue)])
        #expect(names[b.subscriptionID] == [try #require(b["node_name"]?.stringValue)])
        #expect(names[circuit.subscriptionID] == nil, "the circuit's sides sit on the nodes' blocks, which the nodes own")
        let ports = try await store.blockValues("port_name", of: [circuit.subscriptionID])
        #expect(ports[circuit.subscriptionID] == ["xe-0/0/0", "xe-0/0/1"])
        #expect(try await store.blockValues("no_such_field", of: [a.subscriptionID]).isEmpty)
        #expect(try await store.blockValues("node_name", of: []).isEmpty)
    }

    @Test(arguments: StoreKind.available) func ownersNameTheSubscriptionEachBlockBelongsTo(kind: StoreKind) async throws {
        let temporary = try await Subscriptions.store(kind)
        let store = temporary.store
        let (a, _, circuit) = try await store.saveCircuitBetweenTwoNodes()
        let stored = try #require(try await store.subscription(circuit.subscriptionID))
        let nodeBlock = try #require(
            try await store.subscription(a.subscriptionID)?.root.objectValue?["subscription_instance_id"]?.stringValue.flatMap(UUID.init(uuidString:))
        )
        let circuitBlock = try #require(stored.root.objectValue?["subscription_instance_id"]?.stringValue.flatMap(UUID.init(uuidString:)))
        let unknown = UUID()
        let owners = try await store.owners(ofBlocks: [nodeBlock, circuitBlock, unknown])
        #expect(owners == [nodeBlock: a.subscriptionID, circuitBlock: circuit.subscriptionID])
        #expect(try await store.owners(ofBlocks: []).isEmpty)
    }

    // MARK: - Finding by value

    @Test(arguments: StoreKind.available) func plainSQLAndTheFilterFindASubscriptionByAResourceValue(kind: StoreKind) async throws {
        let temporary = try await Subscriptions.store(kind)
        let store = temporary.store
        let (a, _, circuit) = try await store.saveCircuitBetweenTwoNodes()
        func bySQL(_ field: String, _ value: String) async throws -> [String] {
            try await store.plainTexts(
                """
                SELECT DISTINCT s.subscription_id FROM subscriptions s
                JOIN subscription_instances i ON i.subscription_id = s.subscription_id
                JOIN subscription_instance_values v ON v.subscription_instance_id = i.subscription_instance_id
                JOIN resource_types r ON r.resource_type_id = v.resource_type_id
                WHERE r.resource_type = '\(field)' AND v.value = '\(value)'
                """
            ).compactMap { $0 }
        }
        func byFilter(_ field: String, _ value: String) async throws -> [String] {
            try await store.subscriptions(SubscriptionFilter(whereValue: (field, value))).map { $0.subscriptionID.uuidString.lowercased() }
        }

        let node = [a.subscriptionID.uuidString.lowercased()]
        #expect(try await bySQL("node_name", "loc1-core") == node, "the circuit only points at the node's block")
        #expect(try await byFilter("node_name", "loc1-core") == node)
        let ofCircuit = [circuit.subscriptionID.uuidString.lowercased()]
        #expect(try await bySQL("port_id", "202") == ofCircuit, "an int compares as its text")
        #expect(try await byFilter("port_id", "202") == ofCircuit)
        #expect(try await byFilter("node_name", "nowhere").isEmpty)
    }

    @Test(arguments: StoreKind.available) func theFilterFindsSubscriptionsHoldingAnyOfSeveralValues(kind: StoreKind) async throws {
        let temporary = try await Subscriptions.store(kind)
        let store = temporary.store
        let (a, b, _) = try await store.saveCircuitBetweenTwoNodes()
        func byAny(_ values: [String]) async throws -> Set<UUID> {
            Set(
                try await store.subscriptions(SubscriptionFilter(whereAnyValue: ("node_name", values), limit: SubscriptionFilter.all)).map(
                    \.subscriptionID))
        }
        #expect(try await byAny(["loc1-core", "loc2-core", "nowhere"]) == [a.subscriptionID, b.subscriptionID])
        #expect(try await byAny(["loc2-core"]) == [b.subscriptionID])
        #expect(try await byAny(["nowhere"]).isEmpty)
        #expect(try await byAny([]).isEmpty)
    }

    @Test(arguments: StoreKind.available) func theFilterSearchesTextSyncAndCustomerAndPagesInEachOrder(kind: StoreKind) async throws {
        let temporary = try await Subscriptions.store(kind)
        let store = temporary.store
        let (a, b, circuit) = try await store.saveCircuitBetweenTwoNodes()
        func ids(_ filter: SubscriptionFilter) async throws -> [UUID] { try await store.subscriptions(filter).map(\.subscriptionID) }
        let all = try await store.subscriptions(SubscriptionFilter(limit: SubscriptionFilter.all))
        #expect(all.count == 3)
        // Free text: words of the description (any case) or the start of the id.
        let word = try #require(a.description.split(separator: " ").last).uppercased()
        #expect(try await ids(SubscriptionFilter(text: word)).contains(a.subscriptionID))
        #expect(try await ids(SubscriptionFilter(text: String(b.subscriptionID.uuidString.lowercased().prefix(8)))) == [b.subscriptionID])
        #expect(try await ids(SubscriptionFilter(text: "no such words")).isEmpty)
        #expect(Set(try await ids(SubscriptionFilter(insync: all[0].insync))) == Set(all.filter { $0.insync == all[0].insync }.map(\.subscriptionID)))
        #expect(try await ids(SubscriptionFilter(customer: "nobody")).isEmpty)
        #expect(
            try await ids(SubscriptionFilter(limit: SubscriptionFilter.all, customer: all[0].customerID)).count
                == all.filter { $0.customerID == all[0].customerID }.count)
        // Paging: in every order the pages of one cover the list once.
        for order in SubscriptionFilter.Order.allCases {
            let whole = try await ids(SubscriptionFilter(limit: SubscriptionFilter.all, order: order))
            var paged: [UUID] = []
            for offset in 0..<3 { paged += try await ids(SubscriptionFilter(limit: 1, offset: offset, order: order)) }
            #expect(paged == whole, "\(order)")
            #expect(Set(whole) == [a.subscriptionID, b.subscriptionID, circuit.subscriptionID])
        }
    }

    // MARK: - Forced unlock

    @Test(arguments: StoreKind.available) func forceUnlockReleasesTheLockAndRecordsWhoAndWhy(kind: StoreKind) async throws {
        let temporary = try await Subscriptions.store(kind)
        let store = temporary.store
        let node = try await store.save(try Subscriptions.node("loc1-core", id: 7))
        let holder = Fixtures.process()
        try await store.insertProcess(holder, inputs: [Fixtures.input(holder)], locks: [SubscriptionLock(node.subscriptionID)])
        #expect(try await store.summary(of: node.subscriptionID)?.lockedBy == holder.processID)

        let released = try await store.forceUnlock(node.subscriptionID, user: "ops", reason: "runner host lost", now: Subscriptions.at(60))

        #expect(released == holder.processID)
        #expect(try await store.summary(of: node.subscriptionID)?.lockedBy == nil)
        #expect(
            try await store.events(of: node.subscriptionID) == [
                SubscriptionEvent(
                    subscriptionID: node.subscriptionID, event: "force_unlock", user: "ops", time: Subscriptions.at(60),
                    detail: "lock of process \(holder.processID) released: runner host lost")
            ])
        let next = Fixtures.process()
        try await store.insertProcess(next, inputs: [Fixtures.input(next)], locks: [SubscriptionLock(node.subscriptionID)])
        #expect(try await store.summary(of: node.subscriptionID)?.lockedBy == next.processID, "another process can take it")
    }

    // MARK: - Change stamp

    @Test(arguments: StoreKind.available) func theChangeStampMovesWithEveryChangeOfASubscriptionAndNotWithReads(kind: StoreKind) async throws {
        let temporary = try await Subscriptions.store(kind)
        let store = temporary.store
        var stamp = try await store.changeStamp()
        func moved(_ what: Comment) async throws {
            let next = try await store.changeStamp()
            #expect(next > stamp, what)
            stamp = next
        }

        let node = try await store.save(try Subscriptions.node("loc1-core", id: 7))
        try await moved("a new subscription")
        _ = try await store.subscription(node.subscriptionID)
        _ = try await store.subscriptions(SubscriptionFilter())
        #expect(try await store.changeStamp() == stamp, "reads change nothing")

        let holder = Fixtures.process()
        try await store.insertProcess(holder, inputs: [Fixtures.input(holder)], locks: [SubscriptionLock(node.subscriptionID)])
        try await moved("taken by a process")
        _ = try await store.forceUnlock(node.subscriptionID, user: "ops", reason: "runner host lost", now: Subscriptions.at(60))
        try await moved("released by hand")
        try await store.setInSync(node.subscriptionID, user: "ops", reason: "checked by hand", now: Subscriptions.at(61))
        try await moved("marked in sync")
        var renamed = node
        renamed.description = "Node loc1-core renamed"
        _ = try await store.save(renamed, by: "ops", at: Subscriptions.at(62))
        try await moved("saved again")
    }

    @Test(arguments: StoreKind.available) func aProductsChangeStampMovesOnlyWithItsOwnSubscriptions(kind: StoreKind) async throws {
        let temporary = try await Subscriptions.store(kind)
        let store = temporary.store
        let (nodes, circuits, all) = (
            try await store.changeStamp(of: ["Node"]), try await store.changeStamp(of: ["Circuit 10G"]), try await store.changeStamp()
        )
        let (_, _, circuit) = try await store.saveCircuitBetweenTwoNodes()
        #expect(try await store.changeStamp(of: ["Node"]) > nodes, "two new Nodes")
        #expect(try await store.changeStamp(of: ["Circuit 10G"]) > circuits, "a new Circuit")
        let nodesNow = try await store.changeStamp(of: ["Node"])
        let circuitsNow = try await store.changeStamp(of: ["Circuit 10G"])

        let holder = Fixtures.process()
        try await store.insertProcess(holder, inputs: [Fixtures.input(holder)], locks: [SubscriptionLock(circuit.subscriptionID)])
        #expect(try await store.changeStamp(of: ["Node"]) == nodesNow, "a Circuit taken by a process leaves the Nodes' stamp")
        #expect(try await store.changeStamp(of: ["Circuit 10G"]) > circuitsNow)
        #expect(try await store.changeStamp() > all)
        #expect(try await store.changeStamp(of: []) == 0, "no product, no change")
    }

    // MARK: - Catalog sync

    @Test(arguments: StoreKind.available) func catalogSyncIsIdempotent(kind: StoreKind) async throws {
        let temporary = try await Subscriptions.emptyCatalogStore(kind)
        let store = temporary.store

        let first = try await store.syncProducts(ProductCatalog.all, now: Subscriptions.t0)
        let tables = try await Self.catalogTables(store)
        let second = try await store.syncProducts(ProductCatalog.all, now: Subscriptions.at(60))

        #expect(
            first.created.sorted() == [
                "product Circuit 100G", "product Circuit 10G", "product Node", "product block CircuitBlock",
                "product block Layer3InterfaceBlock", "product block NodeBlock", "product block PortBlock",
            ])
        #expect(second == CatalogSyncReport(), "nothing created, updated or orphaned the second time")
        #expect(try await Self.catalogTables(store) == tables)
    }

    @Test(arguments: StoreKind.available) func catalogSyncReportsAChangedDescriptionAsUpdated(kind: StoreKind) async throws {
        let temporary = try await Subscriptions.emptyCatalogStore(kind)
        let store = temporary.store
        _ = try await store.syncProducts(ProductCatalog.all, now: Subscriptions.t0)
        let renamed = ProductDefinition(name: "Node", type: "Node", description: "A router", rootAttribute: "node", root: NodeBlock.self)

        let report = try await store.syncProducts([renamed] + CircuitProduct.variants, now: Subscriptions.at(60))

        #expect(report.updated == ["product Node"])
        #expect(report.created.isEmpty)
        #expect(report.orphans.isEmpty)
        #expect(try await store.productRows().first { $0.name == "Node" }?.description == "A router")
    }

    @Test(arguments: StoreKind.available) func catalogSyncReportsRowsNotInCodeAsOrphansAndKeepsThem(kind: StoreKind) async throws {
        let temporary = try await Subscriptions.emptyCatalogStore(kind)
        let store = temporary.store
        _ = try await store.syncProducts(Subscriptions.products, now: Subscriptions.t0)
        let tables = try await Self.catalogTables(store)

        let report = try await store.syncProducts([NodeProduct.definition], now: Subscriptions.at(60))

        #expect(report.created.isEmpty)
        #expect(report.updated.isEmpty)
        #expect(
            report.orphans.filter { $0.hasPrefix("product ") } == [
                "product Circuit 100G (not in code)", "product Circuit 10G (not in code)", "product Sample (not in code)",
                "product block CircuitBlock (not in code)", "product block Layer3InterfaceBlock (not in code)",
                "product block PortBlock (not in code)", "product block SampleBlock (not in code)", "product block SampleItemBlock (not in code)",
            ])
        let allFields = Set(Subscriptions.products.flatMap(\.root.allSchemas).flatMap(\.fields).map(\.name))
        let orphanFields = allFields.subtracting(NodeBlock.fields.map(\.name))
        #expect(Set(report.orphans.filter { $0.hasPrefix("resource type ") }) == Set(orphanFields.map { "resource type \($0) (not in code)" }))
        #expect(try await Self.catalogTables(store) == tables, "orphans are reported, never deleted")
    }

    @Test(arguments: StoreKind.available) func catalogSyncWritesTheCatalogTables(kind: StoreKind) async throws {
        let temporary = try await Subscriptions.emptyCatalogStore(kind)
        let store = temporary.store

        _ = try await store.syncProducts(ProductCatalog.all, now: Subscriptions.t0)

        let tables = try await Self.catalogTables(store)
        #expect(tables.products == ["Circuit 100G (Circuit, CIRCUIT)", "Circuit 10G (Circuit, CIRCUIT)", "Node (Node, NODE)"])
        #expect(tables.fixedInputs == ["Circuit 100G: speed=100000", "Circuit 10G: speed=10000"])
        #expect(tables.productBlocks == ["Circuit 100G -> CircuitBlock", "Circuit 10G -> CircuitBlock", "Node -> NodeBlock"])
        #expect(tables.blocks == ["CircuitBlock", "Layer3InterfaceBlock", "NodeBlock", "PortBlock"])
        #expect(
            tables.relations == [
                "CircuitBlock -> Layer3InterfaceBlock min 2 max 2", "Layer3InterfaceBlock -> PortBlock min 1 max 1",
                "PortBlock -> NodeBlock min 1 max 1",
            ])
        let fields = ProductCatalog.all.flatMap(\.root.allSchemas).flatMap(\.fields)
        #expect(tables.resourceTypes == Set(fields.map { "\($0.name): \($0.description)" }))
        #expect(tables.resourceTypes.contains("node_name: the device's name"))
        #expect(tables.blockResources.filter { $0.hasPrefix("NodeBlock.") } == NodeBlock.fields.map { "NodeBlock.\($0.name)" }.sorted())
        #expect(tables.productWorkflows == ProductCatalog.all.flatMap { product in product.workflows.map { "\(product.name) -> \($0)" } }.sorted())
    }

    /// The catalog tables as readable lines, sorted.
    struct CatalogTables: Equatable {
        var products: [String] = []
        var blocks: [String] = []
        var fixedInputs: [String] = []
        var productBlocks: [String] = []
        var relations: [String] = []
        var resourceTypes: Set<String> = []
        var blockResources: [String] = []
        var productWorkflows: [String] = []
    }

    static func catalogTables(_ store: any WorkflowStore) async throws -> CatalogTables {
        do {
            // Sorted here: the two databases may collate text differently.
            func lines(_ sql: String) async throws -> [String] { try await store.plainTexts(sql).compactMap { $0 }.sorted() }
            return CatalogTables(
                products: try await lines("SELECT name || ' (' || product_type || ', ' || tag || ')' FROM products ORDER BY name"),
                blocks: try await lines("SELECT name FROM product_blocks ORDER BY name"),
                fixedInputs: try await lines(
                    "SELECT p.name || ': ' || f.name || '=' || f.value FROM fixed_inputs f JOIN products p USING (product_id) ORDER BY 1"),
                productBlocks: try await lines(
                    """
                    SELECT p.name || ' -> ' || b.name FROM product_product_blocks x JOIN products p USING (product_id)
                    JOIN product_blocks b USING (product_block_id) ORDER BY 1
                    """),
                relations: try await lines(
                    """
                    SELECT parent.name || ' -> ' || child.name || ' min ' || COALESCE(CAST(r.min AS TEXT), 'none') || ' max ' || COALESCE(CAST(r.max AS TEXT), 'none')
                    FROM product_block_relations r JOIN product_blocks parent ON parent.product_block_id = r.in_use_by_id
                    JOIN product_blocks child ON child.product_block_id = r.depends_on_id ORDER BY 1
                    """),
                resourceTypes: Set(try await lines("SELECT resource_type || ': ' || description FROM resource_types")),
                blockResources: try await lines(
                    """
                    SELECT b.name || '.' || r.resource_type FROM product_block_resource_types x JOIN product_blocks b USING (product_block_id)
                    JOIN resource_types r USING (resource_type_id) ORDER BY 1
                    """),
                productWorkflows: try await lines(
                    """
                    SELECT p.name || ' -> ' || w.name FROM products_workflows x JOIN products p USING (product_id)
                    JOIN workflows w USING (workflow_id) ORDER BY 1
                    """))
        }
    }
}
