import Foundation
import NetBox
import NetBoxLite
import Products
import Testing
import WorkflowEngine
import WorkflowTestKit
import Workflows

/// modify_node against NetBoxLite: the subscription and the device change together.
@Suite("modify_node", .serialized)
struct ModifyNodeTests {
    @Test func changesTheDescriptionAndStatusInTheSubscriptionAndInNetBox() async throws {
        try await withWorkshop { lab in
            let node = try await lab.enrolledNode(1)
            let done = try await lab.engine.start(
                "modify_node", input: lab.input(node, ["description": "Core router, hall 2", "node_status": "offline"]), user: "bob")
            #expect(done.status == .completed, "\(done.failedReason ?? "")")

            let stored = try #require(try await lab.store.subscription(node.subscriptionID))
            #expect(stored.description == "Core router, hall 2", "kept by every save after the change, resync included")
            #expect(try stored.root.decode(NodeBlock.self).nodeStatus == "offline")
            #expect(stored.status == .active)
            let summary = try await lab.summary(node.subscriptionID)
            #expect(summary.insync && summary.lockedBy == nil)
            let device = try await lab.netbox.device(id: 1)
            #expect(device.status.value == "offline")
            #expect(device.description == "Core router, hall 2")
            let changed = try await lab.store.versions(of: node.subscriptionID).last { $0.step == "update_subscription" }
            let paths = Set(try #require(changed).changes.map(\.path))
            #expect(paths.isSuperset(of: ["description", "root.node_status"]))
            #expect(changed?.user == "bob")

            // Later processes keep the chosen description, and NetBox agrees with the subscription.
            #expect(try await lab.engine.start("modify_note", input: lab.input(node, ["note": "rack B3"]), user: "bob").status == .completed)
            #expect(try await lab.store.subscription(node.subscriptionID)?.description == "Core router, hall 2")
            #expect(try await lab.engine.start("validate_node", input: lab.input(node), user: "bob").status == .completed)
        }
    }

    @Test func theFormOffersTheCurrentValuesSoAnAnswerMayChangeOneOnly() async throws {
        try await withWorkshop { lab in
            let node = try await lab.enrolledNode(2)
            let session = lab.engine.makeFormSession(try #require(lab.engine.registry["modify_node"]?.initialForm))
            let page = try await session.page(1, answers: lab.input(node))
            #expect(page.fields.first { $0.name == "description" }?.defaultValue == "Node loc2-core")
            #expect(page.fields.first { $0.name == "node_status" }?.defaultValue == "active")

            let done = try await lab.engine.start("modify_node", input: lab.input(node, ["node_status": "failed"]), user: "bob")
            #expect(done.status == .completed)
            #expect(try await lab.store.subscription(node.subscriptionID)?.description == "Node loc2-core")
            #expect(try await lab.node(node.subscriptionID).nodeStatus == "failed")
            #expect(try await lab.netbox.device(id: 2).status.value == "failed")
        }
    }

    @Test func aStatusThatSaysTheDeviceIsNotDeployedIsRefused() async throws {
        try await withWorkshop { lab in
            let node = try await lab.enrolledNode(1)
            let error = try await #require(throws: WorkflowError.self) {
                try await lab.engine.start("modify_node", input: lab.input(node, ["node_status": "planned"]), user: "bob")
            }
            #expect(error.code == .invalidInput)
            #expect(error.problems.map(\.field) == ["node.node_status"])
            #expect(try await lab.summary(node.subscriptionID).lockedBy == nil, "nothing started, nothing locked")
        }
    }

    @Test func aSubscriptionThatIsNoNodeIsRefusedBeforeAnythingIsLocked() async throws {
        try await withWorkshop { lab in
            let circuit = try await lab.seedCircuit(try await lab.enrolledNode(1), try await lab.enrolledNode(2))
            let error = try await #require(throws: WorkflowError.self) {
                try await lab.engine.start("modify_node", input: lab.input(circuit, ["description": "x"]), user: "bob")
            }
            #expect(error.code == .invalidInput)
            #expect(error.problems.first?.field == "subscription.subscription_id")
            #expect(error.problems.first?.reason.contains("is a Circuit 10G subscription; modify_node takes Node") == true)
            #expect(try await lab.summary(circuit.subscriptionID).lockedBy == nil)
            #expect(try await lab.store.processes(ProcessFilter(workflow: "modify_node")).isEmpty)
        }
    }

    @Test func aCrashAfterTheDeviceWasUpdatedUpdatesItAgainHarmlessly() async throws {
        try await withWorkshop { lab in
            let node = try await lab.enrolledNode(3)
            let crashing = lab.crashingEngine(after: ["update_node_in_netbox"])
            await #expect(throws: CrashingStore.Crash.self) {
                try await crashing.start("modify_node", input: lab.input(node, ["description": "Spare", "node_status": "offline"]), user: "bob")
            }
            // NetBox has the change, the store has not recorded the step: it runs again.
            #expect(try await lab.netbox.device(id: 3).status.value == "offline")
            #expect(try await lab.summary(node.subscriptionID).lockedBy != nil)

            let recovered = try await lab.recoverAfterCrash()
            #expect(recovered.map(\.status) == [.completed])
            let device = try await lab.netbox.device(id: 3)
            #expect(device.status.value == "offline")
            #expect(device.description == "Spare")
            #expect(try await lab.netbox.devices(name: "loc3-core").count == 1)
            let summary = try await lab.summary(node.subscriptionID)
            #expect(summary.insync && summary.lockedBy == nil)
        }
    }

    @Test func netBoxFailingMidWorkflowParksTheProcessAndARetryCompletesIt() async throws {
        try await withWorkshop { lab in
            let node = try await lab.enrolledNode(4)
            lab.server.injectFaults([.status(503, count: 1, pathPrefix: "/api/dcim/devices/")])
            let parked = try await lab.engine.start(
                "modify_node", input: lab.input(node, ["description": "Node loc4-core", "node_status": "offline"]), user: "bob")
            #expect(parked.status == .waiting)
            #expect(parked.lastStep == "update_node_in_netbox")
            #expect(try await lab.summary(node.subscriptionID).lockedBy == parked.processID, "the lock is held while it waits")

            lab.clock.advance(by: .seconds(11))
            let retried = try await lab.engine.recover(user: "alice")
            #expect(retried.map(\.status) == [.completed])
            #expect(try await lab.netbox.device(id: 4).status.value == "offline")
            #expect(try await lab.summary(node.subscriptionID).insync)
        }
    }
}
