import Foundation
import Persistence
import Products
import Testing
import WorkflowEngine

/// `wf products`, `subscriptions`, `subscription show|history|unlock` and `audit` on a
/// database holding two Nodes and a Circuit between them.
@Suite(.tags(.cli))
struct SubscriptionCommandsTests {
    struct Lab {
        var nodeA: UUID
        var nodeB: UUID
        var circuit: UUID
        var before: Date
    }

    /// Seeds the database through the store, as steps would, with two versions of node A.
    private func seed(_ wf: WFRunner) async throws -> Lab {
        #expect(try wf.run(["db", "migrate"]).status == 0)
        let store = try wf.store()
        let products = try ProductRegistry(ProductCatalog.all)
        func save(_ model: SubscriptionModel) async throws -> SubscriptionModel {
            let product = try products.product(named: model.productName)
            var model = model
            model.root = product.root.assigningInstanceIDs(model.root) { UUID() }
            if let description = product.describe(model.root) { model.description = description }
            try await store.saveSubscription(SubscriptionWrite(model, product: product), user: "seeder", now: Date())
            return model
        }
        func node(_ name: String, _ id: Int) async throws -> SubscriptionModel {
            let block = NodeBlock(nodeID: id, nodeName: name, nodeStatus: "active", ipv4Loopback: "10.0.0.\(id)/32", ipv6Loopback: "fd00::\(id)/128")
            return try await save(
                SubscriptionModel(
                    subscriptionID: UUID(), productName: "Node", customerID: "lab", description: "", status: .active, insync: true,
                    root: try JSONValue(encoding: block)))
        }
        let a = try await node("loc1-core", 1)
        let b = try await node("loc2-core", 2)
        let before = Date()
        try await Task.sleep(for: .milliseconds(20))
        var renamed = a
        var block = try renamed.root.decode(NodeBlock.self)
        block.ipv4Loopback = "10.0.0.11/32"
        renamed.root = try JSONValue(encoding: block)
        _ = try await save(renamed)
        func side(_ node: SubscriptionModel, _ port: String, _ v4: String) throws -> Layer3InterfaceBlock {
            Layer3InterfaceBlock(
                port: PortBlock(portID: 10, portName: port, node: try node.root.decode(NodeBlock.self)), v6IPAddress: "fd01::/127",
                v4IPAddress: v4)
        }
        let circuit = CircuitBlock(
            members: [try side(a, "xe-0/0/0", "10.1.0.0/31"), try side(b, "xe-0/0/1", "10.1.0.1/31")], circuitID: 7,
            circuitStatus: "connected", underMaintenance: false)
        let saved = try await save(
            SubscriptionModel(
                subscriptionID: UUID(), productName: "Circuit 10G", customerID: "lab", description: "", status: .active, insync: true,
                root: try JSONValue(encoding: circuit)))
        return Lab(nodeA: a.subscriptionID, nodeB: b.subscriptionID, circuit: saved.subscriptionID, before: before)
    }

    static func iso8601(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    @Test func productsListsTheCatalogWithFixedInputs() async throws {
        let wf = try WFRunner()
        defer { wf.remove() }
        _ = try await seed(wf)
        let products = try #require(try wf.json(["products"]).arrayValue)
        let circuit = try #require(products.first { $0.objectValue?["name"] == "Circuit 10G" }?.objectValue)
        #expect(circuit["fixed_inputs"]?.objectValue?["speed"] == "10000")
        #expect(circuit["subscriptions"] == 1)
        #expect(products.first { $0.objectValue?["name"] == "Node" }?.objectValue?["subscriptions"] == 2)
    }

    @Test func subscriptionsFiltersByProductStatusAndBlockValue() async throws {
        let wf = try WFRunner()
        defer { wf.remove() }
        let lab = try await seed(wf)
        let found = try #require(try wf.json(["subscriptions", "--where", "node_name=loc2-core"]).arrayValue)
        // loc2-core's own Node, and the Circuit whose B-side port points at it.
        #expect(Set(found.compactMap { $0.objectValue?["subscription_id"]?.stringValue }) == [lab.nodeB.uuidString.lowercased()])
        let nodes = try #require(try wf.json(["subscriptions", "--product", "Node", "--status", "active"]).arrayValue)
        #expect(nodes.count == 2)
        let text = try wf.run(["subscriptions"])
        #expect(text.stdout.contains("Circuit ID 7: loc1-core:xe-0/0/0 <--> loc2-core:xe-0/0/1"))
        #expect(try wf.run(["subscriptions", "--status", "gone"]).status == 64)
    }

    @Test func showGivesTheTreeNowAndAsItWas() async throws {
        let wf = try WFRunner()
        defer { wf.remove() }
        let lab = try await seed(wf)
        let id = String(lab.nodeA.uuidString.lowercased().prefix(8))
        let now = try #require(try wf.json(["subscription", "show", id]).objectValue)
        #expect(now["root"]?.objectValue?["ipv4_loopback"] == "10.0.0.11/32")
        #expect(now["in_use_by"]?.arrayValue == [.string(lab.circuit.uuidString.lowercased())])
        let then = try #require(
            try wf.json(["subscription", "show", id, "--at", Self.iso8601(lab.before)]).objectValue)
        #expect(then["root"]?.objectValue?["ipv4_loopback"] == "10.0.0.1/32")
        let text = try wf.run(["subscription", "show", String(lab.circuit.uuidString.lowercased().prefix(8))])
        #expect(text.stdout.contains("members[0]:"))
        #expect(text.stdout.contains("node_name: \"loc1-core\""))
    }

    @Test func historyListsVersionsWithFieldChanges() async throws {
        let wf = try WFRunner()
        defer { wf.remove() }
        let lab = try await seed(wf)
        let history = try #require(try wf.json(["subscription", "history", lab.nodeA.uuidString]).arrayValue)
        let versions = history.filter { $0.objectValue?["kind"] == "version" }
        #expect(versions.count == 2)
        let change = try #require(versions.last?.objectValue?["changes"]?.arrayValue?.first?.objectValue)
        #expect(change["path"] == "root.ipv4_loopback")
        #expect(change["before"] == "10.0.0.1/32")
        #expect(change["after"] == "10.0.0.11/32")
        #expect(versions.allSatisfy { $0.objectValue?["user"] == "seeder" })
    }

    @Test func unlockNeedsForceAndIsAudited() async throws {
        let wf = try WFRunner()
        defer { wf.remove() }
        let lab = try await seed(wf)
        // A process holding node A's lock (as a modify would).
        let store = try wf.store()
        let processID = ProcessID(UUID())
        let now = Date()
        try await store.insertProcess(
            ProcessRecord(
                processID: processID, workflowName: "task_engine_demo", workflowVersion: "0", isTask: false, status: .suspended, state: [:],
                createdBy: "alice", startedAt: now, lastModifiedAt: now),
            inputs: [], locks: [SubscriptionLock(lab.nodeA)])
        let locked = try #require(try wf.json(["subscriptions", "--where", "node_name=loc1-core"]).arrayValue?.first?.objectValue)
        #expect(locked["locked_by"] == .string(processID.description))
        #expect(locked["insync"] == false)

        let refused = try wf.run(["subscription", "unlock", lab.nodeA.uuidString])
        #expect(refused.status == 64)
        #expect(refused.stderr.contains("--force"))
        let unlocked = try wf.run(["subscription", "unlock", lab.nodeA.uuidString, "--force", "--reason", "stuck process", "--user", "bob"])
        #expect(unlocked.status == 0)
        #expect(unlocked.stdout.contains("released the lock of process \(processID)"))
        let after = try #require(try wf.json(["subscriptions", "--where", "node_name=loc1-core"]).arrayValue?.first?.objectValue)
        #expect(after["locked_by"] == .null)

        let audit = try #require(try wf.json(["audit", "--user", "bob"]).arrayValue)
        #expect(audit.count == 1)
        #expect(audit.first?.objectValue?["action"]?.stringValue?.hasPrefix("force_unlock") == true)
        #expect(audit.first?.objectValue?["status"]?.stringValue?.contains("stuck process") == true)
        let history = try #require(try wf.json(["subscription", "history", lab.nodeA.uuidString]).arrayValue)
        #expect(history.contains { $0.objectValue?["kind"] == "force_unlock" && $0.objectValue?["user"] == "bob" })
    }

    @Test func modifyNoteThroughWfLocksVersionsAndShowsInHistoryAndAudit() async throws {
        let wf = try WFRunner()
        defer { wf.remove() }
        let lab = try await seed(wf)
        let id = lab.circuit.uuidString.lowercased()
        let done = try wf.run(
            ["start", "modify_note", "--input", "-", "--user", "carol"], stdin: #"{"subscription_id": "\#(id)", "note": "fibre swap 26 Nov"}"#)
        #expect(done.status == 0, "\(done.stderr)")
        #expect(done.stdout.contains("completed"))

        let shown = try #require(try wf.json(["subscription", "show", String(id.prefix(8))]).objectValue)
        #expect(shown["note"] == "fibre swap 26 Nov")
        #expect(shown["insync"] == true)
        #expect(shown["locked_by"] == .null, "the lock is released when the process completes")

        let history = try #require(try wf.json(["subscription", "history", id]).arrayValue)
        let process = try #require(history.first { $0.objectValue?["kind"] == "process" }?.objectValue)
        #expect(process["workflow"] == "modify_note")
        #expect(process["user"] == "carol")
        let noteChange = history.compactMap { $0.objectValue?["changes"]?.arrayValue }.joined().first { $0.objectValue?["path"] == "note" }
        #expect(noteChange?.objectValue?["after"] == "fibre swap 26 Nov")

        let audit = try #require(try wf.json(["audit", "--workflow", "modify_note"]).arrayValue)
        #expect(audit.contains { $0.objectValue?["action"] == "update_note" && $0.objectValue?["user"] == "carol" })

        let unknown = try wf.run(["start", "modify_note", "--input", "-"], stdin: #"{"subscription_id": "00000000-0000-0000-0000-000000000000"}"#)
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("does not exist"))
        #expect(try wf.json(["processes", "--workflow", "modify_note"]).arrayValue?.count == 1, "a refused start stores nothing")
    }
}
