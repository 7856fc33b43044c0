import Foundation
import NetBox
import NetBoxLite
import Products
import Testing
import WorkflowEngine
import WorkflowTestKit
import Workflows

/// The validate_subscriptions task against NetBoxLite: every active subscription, read only.
@Suite("validate_subscriptions", .serialized)
struct ValidateSubscriptionsTests {
    @Test func completesWhenEveryActiveNodeAgreesWithNetBox() async throws {
        try await withWorkshop { lab in
            let nodes = [try await lab.enrolledNode(1), try await lab.enrolledNode(2), try await lab.enrolledNode(3)]
            let done = try await lab.engine.start("validate_subscriptions", user: "system")
            #expect(done.status == .completed, "\(done.failedReason ?? "")")
            let validated = try #require(done.state[raw: "validated"]?.arrayValue).compactMap(\.stringValue)
            #expect(validated.count == 3)
            for node in nodes {
                #expect(validated.contains { $0.hasPrefix("Node \(node.subscriptionID.uuidString.lowercased().prefix(8)) (") })
            }
            #expect(done.state[raw: "not_validated"] == .array([]))
        }
    }

    @Test func failsListingTheDriftOfEveryNodeAndChangesNoSubscription() async throws {
        try await withWorkshop { lab in
            let nodes = [try await lab.enrolledNode(1), try await lab.enrolledNode(2), try await lab.enrolledNode(3)]
            _ = try await lab.netbox.updateDevice(id: 1, .init(status: "planned"))
            _ = try await lab.netbox.updateDevice(id: 3, .init(description: "spare"))
            let versionsBefore = try await lab.store.versions(of: nodes[0].subscriptionID).count

            let failed = try await lab.engine.start("validate_subscriptions", user: "system")
            #expect(failed.status == .inconsistentData)
            let reason = try #require(failed.failedReason)
            #expect(reason.contains("2 of 3 validated subscriptions differ from NetBox"), "\(reason)")
            #expect(reason.contains("(Node loc1-core): node.node_status: subscription says active, NetBox says planned"), "\(reason)")
            #expect(reason.contains(#"(Node loc3-core): description: subscription says "Node loc3-core", NetBox says "spare""#), "\(reason)")
            #expect(!reason.contains("loc2-core"), "the Node that agrees is not listed")

            // A task locks nothing and changes nothing: every Node is as it was.
            for node in nodes {
                let summary = try await lab.summary(node.subscriptionID)
                #expect(summary.insync && summary.lockedBy == nil)
            }
            #expect(try await lab.store.versions(of: nodes[0].subscriptionID).count == versionsBefore)
        }
    }

    /// Every shipped product has a check now, so a fixture product (a type no check knows)
    /// stands for the next product added without one.
    @Test func saysPlainlyWhichProductsItCannotValidateYet() async throws {
        try await withWorkshop(products: [Lamp.product]) { lab in
            let (_, _, circuit) = try await lab.nodesAndCircuit()
            let lamp = try await lab.store.seed(
                SubscriptionModel(
                    subscriptionID: UUID(), productName: "Lamp", customerID: "lab", description: "Lamp on the desk", status: .active,
                    insync: true, root: try JSONValue(encoding: Lamp(colour: "green"))),
                product: Lamp.product, now: lab.clock.now)
            let done = try await lab.engine.start("validate_subscriptions", user: "system")
            #expect(done.status == .completed, "\(done.failedReason ?? "")")
            let validated = try #require(done.state[raw: "validated"]?.arrayValue).compactMap(\.stringValue)
            #expect(validated.count == 3, "the Nodes and the Circuit, not the Lamp")
            #expect(validated.contains("Circuit 10G \(circuit.subscriptionID.uuidString.lowercased().prefix(8)) (\(circuit.description))"))
            let label = "Lamp \(lamp.subscriptionID.uuidString.lowercased().prefix(8)) (Lamp on the desk)"
            #expect(done.state[raw: "not_validated"] == .array([.string("\(label): no validation for Lamp subscriptions yet")]))
        }
    }

    @Test func aCircuitThatDriftedIsListedWithItsFields() async throws {
        try await withWorkshop { lab in
            let (a, _, circuit) = try await lab.nodesAndCircuit()
            let cable = try #require(try await lab.circuit(circuit.subscriptionID).circuitID)
            _ = try await lab.netbox.updateCable(id: cable, .init(status: "planned"))

            let failed = try await lab.engine.start("validate_subscriptions", user: "system")
            #expect(failed.status == .inconsistentData)
            let reason = try #require(failed.failedReason)
            #expect(reason.contains("1 of 3 validated subscriptions differ from NetBox"), "\(reason)")
            #expect(
                reason.contains("(\(circuit.description)): circuit.circuit_status: subscription says connected, NetBox says planned"), "\(reason)")
            #expect(!reason.contains("(Node loc1-core)"), "the Nodes agree")
            for subscription in [a, circuit] {
                let summary = try await lab.summary(subscription.subscriptionID)
                #expect(summary.insync && summary.lockedBy == nil, "a task changes nothing")
            }
        }
    }

    @Test func terminatedNodesAreNotValidated() async throws {
        try await withWorkshop { lab in
            let kept = try await lab.enrolledNode(1)
            let gone = try await lab.enrolledNode(2)
            #expect(try await lab.engine.start("terminate_node", input: lab.input(gone), user: "carol").status == .completed)
            let done = try await lab.engine.start("validate_subscriptions", user: "system")
            #expect(done.status == .completed)
            let validated = try #require(done.state[raw: "validated"]?.arrayValue).compactMap(\.stringValue)
            #expect(validated == ["Node \(kept.subscriptionID.uuidString.lowercased().prefix(8)) (Node loc1-core)"])
        }
    }

    @Test func netBoxFailingParksTheTaskAndARetryCompletesIt() async throws {
        try await withWorkshop { lab in
            _ = try await lab.enrolledNode(1)
            _ = try await lab.enrolledNode(2)
            lab.server.injectFaults([.status(503, count: 1, pathPrefix: "/api/dcim/devices/")])
            let parked = try await lab.engine.start("validate_subscriptions", user: "system")
            #expect(parked.status == .waiting)
            lab.clock.advance(by: .seconds(11))
            let retried = try await lab.engine.recover(user: "system")
            #expect(retried.map(\.status) == [.completed])
            #expect(retried.first?.state[raw: "validated"]?.arrayValue?.count == 2)
        }
    }
}

/// A product no workflow and no check knows: what validate_subscriptions reports as not validated.
struct Lamp: ProductBlock {
    static let blockName = "LampBlock"
    static let fields: [BlockField] = [.value("colour")]
    static let product = ProductDefinition(name: "Lamp", type: "Lamp", description: "A fixture product", rootAttribute: "lamp", root: Lamp.self)

    var instanceID: UUID?
    var colour: String?

    init(colour: String) { self.colour = colour }

    enum CodingKeys: String, CodingKey {
        case instanceID = "subscription_instance_id"
        case colour
    }
}
