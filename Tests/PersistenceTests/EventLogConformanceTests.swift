import Foundation
import Products
import Synchronization
import Testing
import WorkflowEngine
import WorkflowTestKit

@testable import Persistence

/// What the event log promises on every store: one event per process created, step
/// committed, status changed and subscription version saved, written with the change (so a
/// refused change leaves none), in order, readable by process and by subscription, and
/// signalled to followers in other processes.
@Suite("Event log conformance", .storeSlots, .timeLimit(.minutes(5)))
struct EventLogConformanceTests {
    /// Stands for the PostgreSQL cases the store tests below drop without a server, so that
    /// the run names them as skipped; with one, checks that a PostgreSQL store opens.
    @Test(.enabled(if: StoreKind.postgresURL != nil, StoreKind.postgresCasesSkipped(7)))
    func postgreSQLCasesRan() async throws {
        #expect(StoreKind.available.contains(.postgres))
        let temporary = try await TemporaryStore(kind: .postgres)
        #expect(try await temporary.store.lastEventID() == 0)
    }

    typealias F = Fixtures

    @Test(arguments: StoreKind.available)
    func aRunRecordsEachStepStatusAndSubscriptionVersionOnceInOrder(kind: StoreKind) async throws {
        let lab = try await EventLab(kind)
        let start = try await lab.store.lastEventID()
        let id = try await lab.start("n1", node: 7, user: "alice")
        #expect(try await lab.store.process(id)?.status == .suspended)
        _ = try await lab.engine.resume(id, input: ["note": "looks good"], user: "bob")
        let events = try await lab.store.events(after: start, matching: EventFilter(processID: id), limit: 100)
        let all = try await lab.store.events(after: start, matching: .all, limit: 100)
        #expect(events == all, "one process ran: the filter keeps all of its events")
        #expect(zip(events, events.dropFirst()).allSatisfy { $0.id < $1.id }, "ids increase")
        #expect(events.allSatisfy { $0.processID == id })

        let steps = try await lab.store.steps(of: id)
        #expect(events.first?.kind == .processCreated)
        #expect(events.first?.data == ["workflow": "events_create_node", "status": "running", "user": "alice"])
        let logged = events.filter { $0.kind == .stepCommitted }
        #expect(logged.map { $0.data.objectValue?["step"]?.stringValue } == steps.map(\.key.rawValue), "one event per log row, in order")
        #expect(logged.map { $0.data.objectValue?["status"]?.stringValue } == steps.map(\.status.rawValue))
        #expect(logged.map { $0.data.objectValue?["user"]?.stringValue } == steps.map(\.createdBy))
        let statuses = events.filter { $0.kind == .processStatus }.map { event in
            "\(event.data.objectValue?["from"]?.stringValue ?? "?")>\(event.data.objectValue?["to"]?.stringValue ?? "?")"
        }
        #expect(statuses == ["running>suspended", "suspended>running", "running>completed"])
        #expect(events.last?.kind == .processStatus, "the final status comes after everything its step did")
        #expect(events.last?.data.objectValue?["workflow"] == "events_create_node")

        let subscription = try #require(try await lab.subscriptionID(of: id))
        let versions = try await lab.store.versions(of: subscription)
        let changed = events.filter { $0.kind == .subscriptionChanged }
        #expect(changed.map { $0.data.objectValue?["version"] } == versions.map { JSONValue.int($0.version) }, "one event per version saved")
        #expect(changed.allSatisfy { $0.subscriptionID == subscription })
        #expect(changed.last?.data.objectValue?["status"] == .string(Lifecycle.active.rawValue))
        #expect(changed.first?.data.objectValue?["insync"] == false, "held by the process that saves it")
        let bySubscription = try await lab.store.events(after: start, matching: EventFilter(subscriptionID: subscription), limit: 100)
        #expect(bySubscription == changed)
        #expect(!events.contains { $0.data.jsonText.contains("looks good") }, "answers stay out of the log")
    }

    @Test(arguments: StoreKind.available)
    func eventsAreReadAfterAnIDForOneProcessOrAllPageByPage(kind: StoreKind) async throws {
        let lab = try await EventLab(kind)
        let first = try await lab.start("n1", node: 7, user: "alice")
        let middle = try await lab.store.lastEventID()
        let second = try await lab.start("n2", node: 8, user: "carol")
        let last = try await lab.store.lastEventID()
        #expect(middle > 0 && last > middle)
        let ofSecond = try await lab.store.events(after: 0, matching: EventFilter(processID: second), limit: 100)
        #expect(!ofSecond.isEmpty && ofSecond.allSatisfy { $0.processID == second && $0.id > middle })
        #expect(try await lab.store.events(after: middle, matching: EventFilter(processID: first), limit: 100).isEmpty)
        #expect(try await lab.store.events(after: last, matching: .all, limit: 100).isEmpty)
        #expect(try await lab.store.events(after: 0, matching: .all, limit: 100).last?.id == last)
        var paged: [EngineEvent] = []
        var cursor: Int64 = 0
        while true {
            let page = try await lab.store.events(after: cursor, matching: .all, limit: 3)
            #expect(page.count <= 3)
            guard let end = page.last else { break }
            paged += page
            cursor = end.id
        }
        #expect(paged == (try await lab.store.events(after: 0, matching: .all, limit: 100)))
    }

    @Test(arguments: StoreKind.available)
    func aRefusedChangeLeavesNoEvent(kind: StoreKind) async throws {
        try await withLog(kind) { store in
            let process = try await store.insert(F.process(status: .running, leaseOwner: "runner-a", leaseExpiresAt: F.at(30)))
            let before = try await store.lastEventID()
            for status in [ProcessStatus.running, .completed] {
                await #expect(throws: WorkflowError.self) {
                    try await store.commitStep(F.commit(F.row(process, "lost"), owner: "runner-b", status: status))
                }
            }
            let refusedLease = F.lease(process, owner: "runner-b", now: F.at(10), from: [.running], log: F.row(process, "answered"))
            #expect(try await store.acquire(refusedLease) == nil)
            #expect(try await store.events(after: before, matching: .all, limit: 10).isEmpty, "a commit refused for a lost lease writes no event")

            _ = try await store.abort(process.processID, reason: "stop", log: F.row(process, "abort", status: .abort, by: "dave"))
            let aborted = try await store.events(after: before, matching: .all, limit: 10)
            #expect(aborted.map(\.kind) == [.stepCommitted, .processStatus])
            #expect(aborted.last?.data == ["from": "running", "to": "aborted", "user": "dave", "reason": "stop", "workflow": "store_flow"])
            let settled = try await store.lastEventID()
            #expect(try await store.abort(process.processID, reason: "again", log: F.row(process, "abort", status: .abort)) == nil)
            #expect(try await store.events(after: settled, matching: .all, limit: 10).isEmpty, "an abort of a final process writes nothing")
        }
    }

    @Test(arguments: StoreKind.available)
    func aClaimRecordsTheChangeToRunningButATakeoverOfARunningProcessDoesNot(kind: StoreKind) async throws {
        try await withLog(kind) { store in
            let created = try await store.insert(F.process(status: .created))
            let waiting = try await store.insert(F.process(status: .waiting, startedAt: F.at(1), nextRetryAt: F.at(5)))
            let stranded = try await store.insert(
                F.process(status: .running, startedAt: F.at(2), leaseOwner: "dead", leaseExpiresAt: F.at(3)))
            let before = try await store.lastEventID()
            let claimed = try await store.claimRunnable(owner: "worker-1", now: F.at(10), leaseExpiresAt: F.at(40), limit: 10)
            #expect(claimed.count == 3)
            let events = try await store.events(after: before, matching: .all, limit: 10)
            #expect(Set(events.compactMap(\.processID)) == [created.processID, waiting.processID], "not the takeover of \(stranded.processID)")
            let ofCreated = try #require(events.first { $0.processID == created.processID })
            #expect(ofCreated.kind == .processStatus)
            #expect(ofCreated.at == F.at(10))
            #expect(ofCreated.data == ["from": "created", "to": "running", "workflow": "store_flow", "user": "alice", "runner": "worker-1"])
        }
    }

    @Test(arguments: StoreKind.available)
    func subscriptionChangesOutsideProcessesAreRecordedToo(kind: StoreKind) async throws {
        let lab = try await EventLab(kind)
        let before = try await lab.store.lastEventID()
        let node = try Subscriptions.node("edge", id: 9)
        let seeded = try await lab.store.seed(node, product: NodeProduct.definition, user: "import", now: F.at(1))
        try await lab.store.setInSync(seeded.subscriptionID, user: "erin", reason: "checked by hand", now: F.at(2))
        _ = try await lab.store.forceUnlock(seeded.subscriptionID, user: "erin", reason: "stuck", now: F.at(3))
        let events = try await lab.store.events(after: before, matching: EventFilter(subscriptionID: seeded.subscriptionID), limit: 10)
        #expect(events.map(\.kind) == [.subscriptionChanged, .subscriptionChanged, .subscriptionChanged])
        #expect(events.allSatisfy { $0.processID == nil })
        #expect(events.first?.data.objectValue?["version"] == 1)
        #expect(events.first?.data.objectValue?["user"] == "import")
        #expect(events.first?.data.objectValue?["insync"] == true)
        #expect(events.dropFirst().map { $0.data.objectValue?["change"] } == ["set_in_sync", "force_unlock"])
        #expect(events.map(\.at) == [F.at(1), F.at(2), F.at(3)])
        let saved = try await lab.store.lastEventID()
        _ = try await lab.store.seed(seeded, product: NodeProduct.definition, now: F.at(4))
        #expect(try await lab.store.events(after: saved, matching: .all, limit: 10).isEmpty, "a save that changes nothing makes no version")
    }

    @Test(arguments: StoreKind.available)
    func signalsFireForWritesOfAnotherStoreOnTheSameDatabaseAndEndWithTheirConsumer(kind: StoreKind) async throws {
        let temporary = try await TemporaryStore(kind: kind, workflows: [F.flow])
        let other = try await temporary.reopen()
        let signals = Counter()
        let ended = Counter()
        let following = Task {
            for await _ in temporary.store.eventSignals() { signals.add() }
            ended.add()
        }
        #expect(await eventually { signals.value >= 1 }, "a stream signals once at the start")
        // Twice: the second write comes after a signal, so it is known that the listener listens.
        for round in 1...2 {
            let seen = signals.value
            try await other.insert(F.process(status: .created, createdBy: "round-\(round)"))
            #expect(await eventually { signals.value > seen }, "round \(round): a write through another store signals")
        }
        let created = try await temporary.store.events(after: 0, matching: .all, limit: 10)
        #expect(created.map { $0.data.objectValue?["user"] } == ["round-1", "round-2"])
        following.cancel()
        #expect(await eventually { ended.value == 1 }, "the stream ends when its consumer is cancelled")
    }

    /// PostgreSQL gives ids when rows are inserted but commits transactions in their own
    /// order: a reader must wait for an earlier id still in flight rather than pass it.
    @Test(.enabled(if: StoreKind.postgresURL != nil, "WF_TEST_POSTGRES_URL is not set: PostgreSQL is not available"))
    func aReaderWaitsForAnEarlierEventWhoseTransactionIsStillOpen() async throws {
        let temporary = try await TemporaryStore(kind: .postgres, workflows: [F.flow])
        let postgres = try #require(temporary.postgres)
        let other = try await temporary.reopen()
        let (gate, opener) = AsyncStream.makeStream(of: Void.self)
        let inserted = Counter()
        let slow = Task {
            try await postgres.transaction { tx in
                let held = EventDraft.subscriptionChange("slow", of: UUID(), insync: false, user: "slow", at: F.at(1))
                try await PostgresStore.insert([held], channel: postgres.eventChannel, tx)
                inserted.add()
                for await _ in gate {}
            }
        }
        #expect(await eventually { inserted.value == 1 })
        try await other.insert(F.process(status: .created, createdBy: "fast"))
        let read = Counter()
        let reader = Task {
            defer { read.add() }
            return try await temporary.store.events(after: 0, matching: .all, limit: 10)
        }
        try await Task.sleep(for: .milliseconds(300))
        #expect(read.value == 0, "the later id is committed, but the earlier one is still in flight: the reader waits")
        opener.finish()
        try await slow.value
        let events = try await reader.value
        #expect(events.map(\.kind) == [.subscriptionChanged, .processCreated], "both, in id order")
    }

    @Test(arguments: StoreKind.available)
    func anEventRendersAsJSONWithSnakeCaseKeys(kind: StoreKind) async throws {
        try await withLog(kind) { store in
            let process = try await store.insert(F.process(status: .created, startedAt: Date(timeIntervalSince1970: 1_800_000_000.25)))
            let event = try #require(try await store.events(after: 0, matching: .all, limit: 1).first)
            #expect(
                event.json
                    == [
                        "id": .int(Int(event.id)), "at": "2027-01-15T08:00:00.250Z", "kind": "process_created",
                        "process_id": .string(process.processID.description), "subscription_id": nil,
                        "data": ["workflow": "store_flow", "status": "created", "user": "alice"],
                    ])
        }
    }
}

/// A store with the Node catalog, and an engine running a create workflow that saves a
/// subscription, suspends for a confirmation, then makes it active.
private struct EventLab {
    let temporary: TemporaryStore
    let engine: Engine
    var store: any WorkflowStore { temporary.store }

    static let nameForm = Form(name: "node", title: "Node", fields: [.text("node_name", "Node name"), .integer("node_id", "NetBox id")])
    static let confirm = Form(name: "confirm", title: "Confirm", fields: [.text("note", "Note")])

    static let construct = Step("construct_node_model", retry: .never) { context in
        let id = try context.state.value(for: StateKey<Int>("node_id"))
        let node = NodeBlock(
            nodeID: id, nodeName: try context.state.value(for: StateKey<String>("node_name")), nodeStatus: "active",
            ipv4Loopback: "10.255.0.\(id)/32", ipv6Loopback: "2001:db8::\(id)/128")
        let model = SubscriptionModel(
            subscriptionID: context.makeID(), productName: NodeProduct.definition.name, customerID: "acme", description: "new node",
            status: .initial, insync: false, root: try JSONValue(encoding: node))
        return .success(try context.save(model))
    }

    static let flow = WorkflowFrames.create(
        "events_create_node", description: "Create a node, confirming first", initialForm: FormFlow(nameForm),
        begin >>> construct >>> StandardSteps.storeProcessSubscription
            >>> Step.inputStep("confirm") { _ in confirm } >>> StandardSteps.setStatus(.provisioning))

    init(_ kind: StoreKind) async throws {
        let clock = ManualClock()
        let products = try ProductRegistry(ProductCatalog.all)
        temporary = try await TemporaryStore(kind: kind, workflows: [Self.flow], products: products.products, now: clock.now)
        engine = try Engine.testing(store: temporary.store, workflows: [Self.flow], products: products, clock: clock, runner: "runner-a")
    }

    /// Starts a process that runs until it asks for confirmation.
    func start(_ name: String, node: Int, user: String) async throws -> ProcessID {
        try await engine.start(Self.flow.name, input: ["node_name": .string(name), "node_id": .int(node)], user: user).processID
    }

    func subscriptionID(of id: ProcessID) async throws -> UUID? {
        try await store.process(id)?.state[raw: "subscription"]?.objectValue?["subscription_id"]?.stringValue.flatMap(UUID.init(uuidString:))
    }
}

/// Runs `body` on a fresh, migrated store of `kind` that knows the fixture workflows.
private func withLog(_ kind: StoreKind, _ body: (any WorkflowStore) async throws -> Void) async throws {
    let temporary = try await TemporaryStore(kind: kind, workflows: [Fixtures.flow, Fixtures.task])
    try await body(temporary.store)
}

/// Counts signals received on another task.
private final class Counter: Sendable {
    private let count = Mutex(0)

    func add() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}

/// Whether `condition` holds within ten seconds, looking every 10 ms.
private func eventually(_ condition: @Sendable () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + .seconds(10)
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}
