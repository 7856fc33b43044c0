import Foundation
import NetBox
import NetBoxPayloads
import Products
import Testing
import WorkflowEngine

/// The single-dispatch payload builder: the block's type picks the payload.
@Suite("NetBox payload builder")
struct PayloadBuilderTests {
    let subscription = SubscriptionModel(
        subscriptionID: UUID(), productName: "Node", customerID: "lab", description: "Node loc1-core", root: .object([:]))

    @Test func nodeBlockBecomesADeviceUpdateWithItsStatus() throws {
        let node = NodeBlock(nodeID: 1, nodeName: "loc1-core", nodeStatus: "active")
        let payload = try buildPayload(node, subscription: subscription)
        #expect(payload == .device(id: 1, NetBoxClient.DevicePatch(status: "active", description: "Node loc1-core")))
    }

    @Test func portAndLayer3InterfaceBlocksBecomeInterfaceUpdates() throws {
        let port = PortBlock(portID: 12, portName: "ethernet-1/1", portDescription: "to loc2-core")
        #expect(try buildPayload(port, subscription: subscription) == .interface(id: 12, .init(description: "to loc2-core", enabled: true)))
        let side = Layer3InterfaceBlock(port: port, v6IPAddress: "fc00::/127", v4IPAddress: "10.0.0.0/31")
        #expect(try buildPayload(side, subscription: subscription) == .interface(id: 12, .init(description: "to loc2-core", enabled: true)))
    }

    @Test func circuitBlockBecomesACableBetweenItsTwoPorts() throws {
        let circuit = CircuitBlock(
            members: [Layer3InterfaceBlock(port: PortBlock(portID: 1)), Layer3InterfaceBlock(port: PortBlock(portID: 12))],
            circuitStatus: "planned", circuitDescription: "core link")
        let payload = try buildPayload(circuit, subscription: subscription)
        #expect(payload == .cable(id: nil, .init(aSide: 1, bSide: 12, status: "planned", description: "core link")))
        var existing = circuit
        existing.circuitID = 5
        existing.circuitStatus = "connected"
        guard case .cable(let id, let request) = try buildPayload(existing, subscription: subscription) else {
            Issue.record("a circuit must become a cable")
            return
        }
        #expect(id == 5)
        #expect(request.status == "connected")
    }

    // A block type that maps to no NetBox object has no `NetBoxMapped` conformance, so
    // `buildPayload(OtherBlock(), …)` does not compile: there is no runtime refusal to test.

    @Test func blockWithoutItsNetBoxIDIsRefusedNamingTheField() {
        #expect {
            try buildPayload(NodeBlock(nodeName: "loc1-core"), subscription: subscription)
        } throws: { error in
            (error as? NetBoxPayloadError)
                == NetBoxPayloadError(
                    block: "NodeBlock", field: "node_id", reason: "is not set, so it has no NetBox object to update")
        }
    }
}
