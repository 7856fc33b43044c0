import Foundation
import Products
import Testing
import WorkflowEngine
import WorkflowTestKit

/// What the Node workflow tests share: enrolled Nodes by subscription id, their stored state,
/// and a second engine on the same store that loses one step's commit.
extension WorkshopLab {
    /// Enrols `deviceID` through create_node and returns its Node subscription, as stored.
    func enrolledNode(_ deviceID: Int) async throws -> SubscriptionModel {
        let outcome = try await enrol(deviceID)
        #expect(outcome.status == .completed, "create_node of device \(deviceID): \(outcome.failedReason ?? "")")
        let carried = try SubscriptionModel(json: try #require(outcome.state[raw: "subscription"]))
        return try #require(try await store.subscription(carried.subscriptionID))
    }

    /// The answer naming a subscription on the first page of a modify, terminate or validate form.
    func input(_ subscription: SubscriptionModel, _ more: State = State()) -> State {
        State(["subscription_id": .string(subscription.subscriptionID.uuidString.lowercased())]).merging(more)
    }

    func node(_ id: UUID) async throws -> NodeBlock {
        try #require(try await store.subscription(id)).root.decode(NodeBlock.self)
    }

    func summary(_ id: UUID) async throws -> SubscriptionSummary {
        try #require(try await store.subscriptions(SubscriptionFilter(limit: 1000)).first { $0.subscriptionID == id })
    }

    /// An engine like `engine` whose store loses the commit of each step in `steps` once, as if
    /// `wf` died right after the step's NetBox calls. Enrolling through `engine` first keeps
    /// create_node's steps of the same name out of it.
    func crashingEngine(after steps: Set<StepKey>) -> Engine {
        Engine(
            store: CrashingStore(store, crashingAfter: steps), registry: engine.registry, products: engine.products, subscriptions: store,
            services: engine.services, configuration: engine.configuration, environment: engine.environment, logger: engine.logger)
    }

    /// Lets the crashed process's lease expire and has `engine` take it over.
    func recoverAfterCrash() async throws -> [ProcessOutcome] {
        clock.advance(by: .seconds(60))
        return try await engine.recover(user: "alice")
    }

    /// A Circuit 10G between `a` and `b` (the first ports of devices 1 and 2), saved outside any
    /// process: it makes both Nodes "in use".
    @discardableResult
    func seedCircuit(_ a: SubscriptionModel, _ b: SubscriptionModel) async throws -> SubscriptionModel {
        func side(_ node: SubscriptionModel, port: Int, v4: String, v6: String) throws -> Layer3InterfaceBlock {
            Layer3InterfaceBlock(
                port: PortBlock(portID: port, portName: "ethernet-1/1", node: try node.root.decode(NodeBlock.self)), v6IPAddress: v6,
                v4IPAddress: v4)
        }
        let circuit = CircuitBlock(
            members: [
                try side(a, port: 1, v4: "10.0.0.0/31", v6: "fc00:0:0:10::/127"), try side(b, port: 12, v4: "10.0.0.1/31", v6: "fc00:0:0:10::1/127"),
            ],
            circuitID: 1, circuitStatus: "connected", underMaintenance: false)
        let model = SubscriptionModel(
            subscriptionID: UUID(), productName: "Circuit 10G", customerID: "lab", description: circuit.subscriptionDescription ?? "Circuit",
            status: .active, insync: true, startDate: clock.now, root: try JSONValue(encoding: circuit))
        return try await store.seed(model, product: try engine.products.product(named: "Circuit 10G"), now: clock.now)
    }
}
