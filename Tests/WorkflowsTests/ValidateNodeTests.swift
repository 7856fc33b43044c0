import Foundation
import NetBox
import NetBoxLite
import Products
import Testing
import WorkflowEngine
import WorkflowTestKit
import Workflows

/// validate_node against NetBoxLite: clean completes, drift fails naming each field.
@Suite("validate_node", .serialized)
struct ValidateNodeTests {
    @Test func aNodeThatAgreesWithNetBoxValidatesAndIsInSyncAgain() async throws {
        try await withWorkshop { lab in
            let node = try await lab.enrolledNode(1)
            let done = try await lab.engine.start("validate_node", input: lab.input(node), user: "dave")
            #expect(done.status == .completed, "\(done.failedReason ?? "")")
            let summary = try await lab.summary(node.subscriptionID)
            #expect(summary.insync && summary.lockedBy == nil)
            #expect(try await lab.store.subscription(node.subscriptionID)?.root == node.root, "validating changes nothing")
        }
    }

    @Test func driftInNetBoxFailsNamingTheFieldAndLeavesTheSubscriptionOutOfSync() async throws {
        try await withWorkshop { lab in
            let node = try await lab.enrolledNode(1)
            _ = try await lab.netbox.updateDevice(id: 1, .init(status: "planned"))

            let failed = try await lab.engine.start("validate_node", input: lab.input(node), user: "dave")
            #expect(failed.status == .failed)
            #expect(failed.lastStep == "compare_node_with_netbox")
            #expect(
                failed.failedReason
                    == "step 'compare_node_with_netbox': the Node differs from NetBox: node.node_status: subscription says active, NetBox says planned"
            )
            // As orchestrator-core leaves it: failed, locked by the validate, out of sync.
            let summary = try await lab.summary(node.subscriptionID)
            #expect(!summary.insync)
            #expect(summary.lockedBy == failed.processID)
            let refused = try await #require(throws: WorkflowError.self) {
                try await lab.engine.start("modify_node", input: lab.input(node, ["node_status": "active"]), user: "erin")
            }
            #expect(refused.code == .subscriptionLocked)

            // Repaired in NetBox, a retry compares again and puts the subscription back in sync.
            _ = try await lab.netbox.updateDevice(id: 1, .init(status: "active"))
            let retried = try await lab.engine.retry(failed.processID, user: "dave")
            #expect(retried.status == .completed)
            let after = try await lab.summary(node.subscriptionID)
            #expect(after.insync && after.lockedBy == nil)
        }
    }

    @Test func everyDifferentFieldIsNamed() async throws {
        try await withWorkshop { lab in
            let node = try await lab.enrolledNode(2)
            let addresses = try await lab.netbox.ipAddresses(interfaceID: 22)
            for address in addresses { try await lab.netbox.deleteIPAddress(id: address.id) }
            _ = try await lab.netbox.updateDevice(id: 2, .init(status: "offline", description: "moved to hall 3"))

            let failed = try await lab.engine.start("validate_node", input: lab.input(node), user: "dave")
            #expect(failed.status == .failed)
            let reason = try #require(failed.failedReason)
            for difference in [
                "node.node_status: subscription says active, NetBox says offline",
                "node.ipv4_loopback: subscription says 10.0.127.1/32, NetBox says nothing",
                "node.ipv6_loopback: subscription says fc00:0:0:127::1/128, NetBox says nothing",
                #"description: subscription says "Node loc2-core", NetBox says "moved to hall 3""#,
            ] {
                #expect(reason.contains(difference), "\(reason)")
            }
            #expect(!reason.contains("node.node_name"), "the name agrees")
        }
    }

    @Test func aDeviceIdNetBoxDoesNotKnowIsReportedWithTheDeviceOfThatName() async throws {
        try await withWorkshop { lab in
            let block = NodeBlock(
                nodeID: 99, nodeName: "loc1-core", nodeStatus: "active", ipv4Loopback: "10.0.127.9/32", ipv6Loopback: "fc00:0:0:127::9/128")
            let imported = try await lab.store.seed(
                SubscriptionModel(
                    subscriptionID: UUID(), productName: "Node", customerID: "lab", description: "Node loc1-core", status: .active, insync: true,
                    root: try JSONValue(encoding: block)),
                product: NodeProduct.definition, now: lab.clock.now)

            let failed = try await lab.engine.start("validate_node", input: lab.input(imported), user: "dave")
            #expect(failed.status == .failed)
            #expect(failed.failedReason?.hasSuffix("node.node_id: subscription says 99, NetBox says 1 (the device named loc1-core)") == true)
        }
    }

    @Test func abortingAFailedValidationUnlocksTheSubscriptionStillOutOfSync() async throws {
        try await withWorkshop { lab in
            let node = try await lab.enrolledNode(1)
            _ = try await lab.netbox.updateDevice(id: 1, .init(status: "failed"))
            let failed = try await lab.engine.start("validate_node", input: lab.input(node), user: "dave")
            #expect(failed.status == .failed)

            _ = try await lab.engine.abort(failed.processID, user: "dave", reason: "will repair with modify_node")
            let summary = try await lab.summary(node.subscriptionID)
            #expect(summary.lockedBy == nil)
            #expect(!summary.insync, "the drift is not forgotten")
        }
    }

    @Test func netBoxFailingMidWorkflowParksTheProcessAndARetryCompletesIt() async throws {
        try await withWorkshop { lab in
            let node = try await lab.enrolledNode(3)
            lab.server.injectFaults([.status(503, count: 1, pathPrefix: "/api/dcim/devices/")])
            let parked = try await lab.engine.start("validate_node", input: lab.input(node), user: "dave")
            #expect(parked.status == .waiting)
            #expect(parked.lastStep == "compare_node_with_netbox")

            lab.clock.advance(by: .seconds(11))
            let retried = try await lab.engine.recover(user: "alice")
            #expect(retried.map(\.status) == [.completed])
            #expect(try await lab.summary(node.subscriptionID).insync)
        }
    }
}
