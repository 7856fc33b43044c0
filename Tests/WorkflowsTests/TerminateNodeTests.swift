import Foundation
import NetBox
import NetBoxLite
import Products
import Testing
import WorkflowEngine
import WorkflowTestKit
import Workflows

/// terminate_node against NetBoxLite: the device back to planned, its loopbacks released.
@Suite("terminate_node", .serialized)
struct TerminateNodeTests {
    /// Device 1's Loopback0, where create_node puts the loopbacks.
    static let loopback0 = 11

    @Test func returnsTheDeviceToPlannedAndReleasesItsLoopbacks() async throws {
        try await withWorkshop { lab in
            let node = try await lab.enrolledNode(1)
            #expect(try await lab.netbox.ipAddresses(interfaceID: Self.loopback0).count == 2)

            let done = try await lab.engine.start("terminate_node", input: lab.input(node), user: "carol")
            #expect(done.status == .completed, "\(done.failedReason ?? "")")

            let stored = try #require(try await lab.store.subscription(node.subscriptionID))
            #expect(stored.status == .terminated)
            #expect(abs(try #require(stored.endDate).timeIntervalSince(lab.clock.now)) < 0.001, "the store keeps milliseconds")
            let block = try stored.root.decode(NodeBlock.self)
            #expect(block.nodeStatus == "planned", "the status the device was left in")
            #expect(block.ipv4Loopback == "10.0.127.1/32", "the record keeps what the Node held")
            #expect(try await lab.summary(node.subscriptionID).lockedBy == nil)

            let device = try await lab.netbox.device(id: 1)
            #expect(device.status.value == "planned")
            #expect(device.description == "")
            #expect(device.primaryIP4 == nil && device.primaryIP6 == nil)
            #expect(try await lab.netbox.ipAddresses(interfaceID: Self.loopback0).isEmpty)
        }
    }

    @Test func theReleasedDeviceCanBeEnrolledAgain() async throws {
        try await withWorkshop { lab in
            let first = try await lab.enrolledNode(1)
            #expect(try await lab.engine.start("terminate_node", input: lab.input(first), user: "carol").status == .completed)

            let session = lab.engine.makeFormSession(try #require(lab.engine.registry["create_node"]?.initialForm))
            let offered = try await session.page(0, answers: State()).fields.first { $0.name == "device_id" }?.choices
            #expect(offered?.compactMap(\.value.intValue).contains(1) == true, "planned, and no live Node owns it")
            let second = try await lab.enrolledNode(1)
            #expect(second.subscriptionID != first.subscriptionID)
            #expect(try second.root.decode(NodeBlock.self).ipv4Loopback == "10.0.127.1/32", "allocated afresh, the first free again")
            #expect(try await lab.netbox.ipAddresses(interfaceID: Self.loopback0).count == 2)
        }
    }

    @Test func isRefusedWhileACircuitUsesTheNode() async throws {
        try await withWorkshop { lab in
            let a = try await lab.enrolledNode(1)
            let b = try await lab.enrolledNode(2)
            let circuit = try await lab.seedCircuit(a, b)

            let error = try await #require(throws: WorkflowError.self) {
                try await lab.engine.start("terminate_node", input: lab.input(a), user: "carol")
            }
            #expect(error.code == .subscriptionInUse)
            #expect(error.message.contains(String(circuit.subscriptionID.uuidString.lowercased().prefix(8))))
            #expect(try await lab.store.subscription(a.subscriptionID)?.status == .active)
            #expect(try await lab.summary(a.subscriptionID).lockedBy == nil)
            #expect(try await lab.netbox.device(id: 1).status.value == "active", "NetBox untouched")
            #expect(try await lab.netbox.ipAddresses(interfaceID: Self.loopback0).count == 2)
        }
    }

    @Test func aCircuitCreatedAfterTheStartStopsItBeforeNetBoxChanges() async throws {
        try await withWorkshop { lab in
            let a = try await lab.enrolledNode(1)
            let b = try await lab.enrolledNode(2)
            // The process exists (and holds the lock) before the Circuit appears: a crash right
            // after it was created leaves it for `recover` to run.
            let crashing = lab.crashingEngine(after: ["unsync"])
            await #expect(throws: CrashingStore.Crash.self) {
                try await crashing.start("terminate_node", input: lab.input(a), user: "carol")
            }
            try await lab.seedCircuit(a, b)

            let stopped = try await lab.recoverAfterCrash()
            #expect(stopped.map(\.status) == [.failed])
            #expect(stopped.first?.lastStep == "check_node_is_unused")
            #expect(stopped.first?.failedReason?.contains("in use by") == true)
            #expect(try await lab.netbox.device(id: 1).status.value == "active", "NetBox untouched")
            #expect(try await lab.store.subscription(a.subscriptionID)?.status == .active)
        }
    }

    @Test(arguments: ["release_node_in_netbox", "release_loopbacks_in_netbox"] as [StepKey])
    func aCrashAfterANetBoxStepRunsItAgainWithoutHarm(step: StepKey) async throws {
        try await withWorkshop { lab in
            let node = try await lab.enrolledNode(3)
            let crashing = lab.crashingEngine(after: [step])
            await #expect(throws: CrashingStore.Crash.self) {
                try await crashing.start("terminate_node", input: lab.input(node), user: "carol")
            }
            #expect(try await lab.netbox.device(id: 3).status.value == "planned", "NetBox changed before the crash")

            let recovered = try await lab.recoverAfterCrash()
            #expect(recovered.map(\.status) == [.completed], "\(recovered.first?.failedReason ?? "")")
            #expect(try await lab.store.subscription(node.subscriptionID)?.status == .terminated)
            #expect(try await lab.netbox.device(id: 3).status.value == "planned")
            #expect(try await lab.netbox.ipAddresses(interfaceID: 33).isEmpty)
            #expect(try await lab.netbox.devices(name: "loc3-core").count == 1)
        }
    }

    @Test func netBoxFailingMidWorkflowParksTheProcessAndARetryCompletesIt() async throws {
        try await withWorkshop { lab in
            let node = try await lab.enrolledNode(4)
            lab.server.injectFaults([.status(503, count: 1, pathPrefix: "/api/ipam/")])
            let parked = try await lab.engine.start("terminate_node", input: lab.input(node), user: "carol")
            #expect(parked.status == .waiting)
            #expect(parked.lastStep == "release_loopbacks_in_netbox")
            #expect(try await lab.netbox.device(id: 4).status.value == "planned", "the step before it went through")

            lab.clock.advance(by: .seconds(11))
            let retried = try await lab.engine.recover(user: "alice")
            #expect(retried.map(\.status) == [.completed])
            #expect(try await lab.netbox.ipAddresses(interfaceID: 44).isEmpty)
            #expect(try await lab.store.subscription(node.subscriptionID)?.status == .terminated)
        }
    }
}
