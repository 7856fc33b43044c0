import Foundation
import NetBox
import Products
import Testing
import WorkflowEngine
import WorkflowTestKit
import Workflows

/// create_node against NetBoxLite, through the same engine and code paths as `wf`.
@Suite("create_node", .serialized)
struct CreateNodeTests {
    @Test func enrolsAPlannedDeviceWithLoopbacksAndMakesItActive() async throws {
        try await withWorkshop { lab in
            let started = try await lab.engine.start("create_node", input: ["device_id": 1], user: "alice")
            #expect(started.status == .suspended)
            let config = try #require(started.form?.fields.first { $0.kind == .display }?.text)
            #expect(config.contains("host-name loc1-core"))
            #expect(config.contains("address 10.0.127.1/32"))
            #expect(config.contains("address fc00:0:0:127::1/128"))

            let done = try await lab.engine.resume(started.processID, input: ["confirmed": true], user: "alice")
            #expect(done.status == .completed)
            let model = try SubscriptionModel(json: try #require(done.state[raw: "subscription"]))
            let stored = try #require(try await lab.store.subscription(model.subscriptionID))
            #expect(stored.status == .active)
            #expect(stored.insync)
            #expect(stored.description == "Node loc1-core")
            let node = try stored.root.decode(NodeBlock.self)
            #expect(
                node
                    == NodeBlock(
                        instanceID: node.instanceID, nodeID: 1, nodeName: "loc1-core", nodeStatus: "active", ipv4Loopback: "10.0.127.1/32",
                        ipv6Loopback: "fc00:0:0:127::1/128"))

            let device = try await lab.netbox.device(id: 1)
            #expect(device.status.value == "active")
            #expect(device.primaryIP4?.address == "10.0.127.1/32")
            #expect(device.primaryIP6?.address == "fc00:0:0:127::1/128")
            #expect(try await lab.netbox.ipAddresses(interfaceID: 11).map(\.address).sorted() == ["10.0.127.1/32", "fc00:0:0:127::1/128"])
        }
    }

    @Test func theSameDeviceCannotBeEnrolledTwice() async throws {
        try await withWorkshop { lab in
            #expect(try await lab.enrol(1).status == .completed)
            let session = lab.engine.makeFormSession(try #require(lab.engine.registry["create_node"]?.initialForm))
            let page = try await session.page(0, answers: State())
            let offered = page.fields.first { $0.name == "device_id" }?.choices?.compactMap(\.value.intValue)
            #expect(offered == [2, 3, 4, 5, 6], "the form no longer offers the enrolled device")
            let error = try await #require(throws: WorkflowError.self) {
                try await lab.engine.start("create_node", input: ["device_id": 1], user: "bob")
            }
            #expect(error.code == .invalidInput)
            #expect(error.problems.first?.field == "device.device_id")
            #expect(try await lab.store.processes(ProcessFilter(workflow: "create_node")).count == 1)
        }
    }

    @Test func aCrashAfterTheAddressesWereAllocatedDoesNotAllocateThemTwice() async throws {
        try await withWorkshop(store: { CrashingStore($0, crashingAfter: ["fetch_ip_address_information"]) }) { lab in
            await #expect(throws: CrashingStore.Crash.self) {
                try await lab.engine.start("create_node", input: ["device_id": 3], user: "alice")
            }
            // NetBox holds the addresses, the store does not know: the step runs again after the lease.
            #expect(try await lab.netbox.ipAddresses(interfaceID: 33).count == 2)
            lab.clock.advance(by: .seconds(60))
            let recovered = try await lab.engine.recover(user: "alice")
            #expect(recovered.map(\.status) == [.suspended])
            #expect(try await lab.netbox.ipAddresses(interfaceID: 33).map(\.address).sorted() == ["10.0.127.1/32", "fc00:0:0:127::1/128"])
            let done = try await lab.engine.resume(try #require(recovered.first).processID, input: ["confirmed": true], user: "alice")
            #expect(done.status == .completed)
        }
    }

    @Test func netBoxFailingMidWorkflowParksTheProcessAndARetryCompletesIt() async throws {
        try await withWorkshop { lab in
            lab.server.injectFaults([.status(503, count: 1, pathPrefix: "/api/ipam/")])
            let parked = try await lab.engine.start("create_node", input: ["device_id": 4], user: "alice")
            #expect(parked.status == .waiting)
            #expect(parked.lastStep == "fetch_ip_address_information")
            lab.clock.advance(by: .seconds(11))
            let retried = try await lab.engine.recover(user: "alice")
            #expect(retried.map(\.status) == [.suspended])
            #expect(try await lab.netbox.ipAddresses(interfaceID: 44).count == 2, "no duplicate addresses")
        }
    }
}

@Suite("create_node races", .serialized)
struct CreateNodeRaceTests {
    @Test func twoEnrolmentsOfOneDeviceRacingLetOnlyOneThrough() async throws {
        try await withWorkshop { lab in
            // Both operators filled in the form before either started: both were offered device 5.
            let flow = try #require(lab.engine.registry["create_node"]?.initialForm)
            let first = lab.engine.makeFormSession(flow)
            let second = lab.engine.makeFormSession(flow)
            for session in [first, second] {
                #expect(try await session.page(0, answers: State()).fields.first?.choices?.contains { $0.value == 5 } == true)
            }
            let winner = try await lab.engine.start("create_node", input: .pages([["device_id": 5]]), session: first, user: "alice")
            #expect(winner.status == .suspended)
            let loser = try await lab.engine.start("create_node", input: .pages([["device_id": 5]]), session: second, user: "bob")
            #expect(loser.status == .failed)
            #expect(loser.lastStep == "store_process_subscription")
            #expect(loser.failedReason?.contains("node.node_id = 5 is already held by subscription") == true)
            let nodes = try await lab.store.subscriptions(SubscriptionFilter(product: "Node"))
            #expect(nodes.count == 1, "one device, one Node")
        }
    }
}
