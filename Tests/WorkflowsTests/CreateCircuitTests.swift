import Foundation
import NetBox
import Products
import Testing
import WorkflowEngine
import WorkflowTestKit
import Workflows

/// create_circuit against NetBoxLite: two enrolled nodes, their first free ports.
@Suite("create_circuit", .serialized)
struct CreateCircuitTests {
    /// Enrols devices 1 and 2 and returns their subscription ids.
    private func twoNodes(_ lab: WorkshopLab) async throws -> (String, String) {
        func id(_ outcome: ProcessOutcome) throws -> String {
            try SubscriptionModel(json: try #require(outcome.state[raw: "subscription"])).subscriptionID.uuidString.lowercased()
        }
        return (try id(try await lab.enrol(1)), try id(try await lab.enrol(2)))
    }

    private func answers(_ a: String, _ b: String, portA: Int = 1, portB: Int = 12) -> FormInput {
        .pages([["product": "Circuit 10G", "node_a": .string(a)], ["node_b": .string(b)], ["port_a": .int(portA)], ["port_b": .int(portB)]])
    }

    @Test func connectsTwoNodesWithAddressesAndACableAndConfirmsTheConfig() async throws {
        try await withWorkshop { lab in
            let (a, b) = try await twoNodes(lab)
            let started = try await lab.engine.start("create_circuit", input: answers(a, b), user: "alice")
            #expect(started.status == .suspended, "\(started.failedReason ?? "")")
            let config = try #require(started.form?.fields.first { $0.kind == .display }?.text)
            #expect(config.contains("# loc1-core"))
            #expect(config.contains("address 10.0.0.0/31"))
            #expect(config.contains("address fc00:0:0:10::1/127"))
            #expect(config.contains("level 2 metric 15000000"), "a new circuit starts under maintenance")

            let done = try await lab.engine.resume(started.processID, input: ["confirmed": true], user: "alice")
            #expect(done.status == .completed)
            let model = try SubscriptionModel(json: try #require(done.state[raw: "subscription"]))
            let stored = try #require(try await lab.store.subscription(model.subscriptionID))
            #expect(stored.status == .active)
            #expect(stored.productName == "Circuit 10G")
            #expect(stored.description == "Circuit ID 1: loc1-core:ethernet-1/1 <--> loc2-core:ethernet-1/1")
            let circuit = try stored.root.decode(CircuitBlock.self)
            #expect(circuit.circuitID == 1)
            #expect(circuit.circuitStatus == "connected")
            #expect(circuit.underMaintenance == true)
            #expect(circuit.members.map(\.v4IPAddress) == ["10.0.0.0/31", "10.0.0.1/31"])

            let cable = try await lab.netbox.cable(id: 1)
            #expect(cable.status.value == "connected")
            #expect(try await lab.netbox.interface(id: 12).description == "core link to loc1-core ethernet-1/1")
            // Both nodes are now in use by the circuit.
            let users = try await lab.store.usedBy(try #require(UUID(uuidString: a)))
            #expect(users.map(\.subscriptionID) == [model.subscriptionID])
        }
    }

    @Test func theCustomerIsAskedDefaultingToTheASideNodesCustomer() async throws {
        try await withWorkshop { lab in
            let enrolled = try await lab.engine.start("create_node", input: ["device_id": 1, "customer_id": "acme"], user: "alice")
            let a = try SubscriptionModel(json: try #require(enrolled.state[raw: "subscription"])).subscriptionID.uuidString.lowercased()
            _ = try await lab.engine.resume(enrolled.processID, input: ["confirmed": true], user: "alice")
            let b = try SubscriptionModel(json: try #require(try await lab.enrol(2).state[raw: "subscription"])).subscriptionID.uuidString
                .lowercased()
            let session = lab.engine.makeFormSession(try #require(lab.engine.registry["create_circuit"]?.initialForm))
            let page = try await session.page(1, answers: ["product": "Circuit 10G", "node_a": .string(a)])
            #expect(page.fields.first { $0.name == "customer_id" }?.defaultValue == "acme")

            let started = try await lab.engine.start("create_circuit", input: answers(a, b), user: "alice")
            let circuit = try SubscriptionModel(json: try #require(started.state[raw: "subscription"]))
            #expect(circuit.customerID == "acme", "not \"lab\" whatever the node's organisation")
            var chosen = answers(b, a, portA: 13, portB: 2)
            if case .pages(var pages) = chosen {
                pages[1][raw: "customer_id"] = "globex"
                chosen = .pages(pages)
            }
            let other = try await lab.engine.start("create_circuit", input: chosen, user: "alice")
            #expect(try SubscriptionModel(json: try #require(other.state[raw: "subscription"])).customerID == "globex")
        }
    }

    @Test func portPagesListOnlyTheFreePortsOfTheChosenNode() async throws {
        try await withWorkshop { lab in
            let (a, b) = try await twoNodes(lab)
            let session = lab.engine.makeFormSession(try #require(lab.engine.registry["create_circuit"]?.initialForm))
            let first = try await session.page(0, answers: State())
            #expect(first.fields.first { $0.name == "node_a" }?.choices?.map(\.label) == ["loc1-core", "loc2-core"])
            let bPage = try await session.page(1, answers: ["product": "Circuit 10G", "node_a": .string(a)])
            #expect(bPage.fields.first?.choices?.map(\.label) == ["loc2-core"])
            let ports = try await session.page(2, answers: ["product": "Circuit 10G", "node_a": .string(a), "node_b": .string(b)])
            #expect(ports.fields.first?.choices?.map(\.label) == (1...9).map { "ethernet-1/\($0)" })
            let none = try await session.page(2, answers: ["product": "Circuit 100G", "node_a": .string(a), "node_b": .string(b)])
            #expect(none.fields.first?.choices?.isEmpty == true, "the lab has no 100G ports")
        }
    }

    @Test func theNodeListIsReadOnceForEverySessionUntilASubscriptionChanges() async throws {
        try await withWorkshop { lab in
            let (a, _) = try await twoNodes(lab)
            let flow = try #require(lab.engine.registry["create_circuit"]?.initialForm)
            func offered() async throws -> (labels: [String]?, fetches: Int) {
                let session = lab.engine.makeFormSession(flow)
                let page = try await session.page(0, answers: State())
                return (page.fields.first { $0.name == "node_a" }?.choices?.map(\.label), session.fetchCount)
            }
            let first = try await offered()
            #expect(first.labels == ["loc1-core", "loc2-core"])
            #expect(first.fetches == 1)
            // Another person's session: the same list, from the engine's cache.
            let second = try await offered()
            #expect(second.labels == first.labels)

            // Changes to the subscriptions: the next session sees each at once.
            let terminated = try await lab.engine.start("terminate_node", input: ["subscription_id": .string(a)], user: "bob")
            #expect(terminated.status == .completed, "\(terminated.failedReason ?? "")")
            #expect(try await offered().labels == ["loc2-core"])
            #expect(try await lab.enrol(3).status == .completed)
            let third = try await offered()
            #expect(third.labels?.count == 2)
            #expect(third.labels?.contains("loc2-core") == true)
            #expect(third.labels?.contains("loc1-core") == false)
        }
    }

    @Test func aCrashAfterEachNetBoxWriteMakesNoSecondPrefixAddressOrCable() async throws {
        let crashing: Set<StepKey> = ["reserve_ips_in_ipam", "create_circuit_in_netbox", "update_circuit_description"]
        try await withWorkshop(store: { CrashingStore($0, crashingAfter: crashing) }) { lab in
            let (a, b) = try await twoNodes(lab)
            var outcome: ProcessOutcome?
            await #expect(throws: CrashingStore.Crash.self) {
                outcome = try await lab.engine.start("create_circuit", input: answers(a, b), user: "alice")
            }
            for _ in 0..<crashing.count + 1 where outcome?.status != .suspended {
                lab.clock.advance(by: .seconds(60))
                do {
                    outcome = try await lab.engine.recover(user: "alice").first
                } catch is CrashingStore.Crash {
                    continue
                }
            }
            let suspended = try #require(outcome)
            #expect(suspended.status == .suspended)
            #expect(try await lab.netbox.ipAddresses(interfaceID: 1).count == 2)
            #expect(try await lab.netbox.ipAddresses(interfaceID: 12).count == 2)
            let blocks = try await lab.netbox.prefixes(
                within: "10.0.0.0/16",
                description:
                    "circuit \(try SubscriptionModel(json: try #require(suspended.state[raw: "subscription"])).subscriptionID.uuidString.lowercased()) v4"
            )
            #expect(blocks.count == 1)
            #expect(try await lab.netbox.cable(onInterface: 1)?.id == 1)
            #expect(try await lab.engine.resume(suspended.processID, input: ["confirmed": true], user: "alice").status == .completed)
        }
    }

    @Test func theBSideCannotBeTheASide() async throws {
        try await withWorkshop { lab in
            let (a, _) = try await twoNodes(lab)
            let error = try await #require(throws: WorkflowError.self) {
                try await lab.engine.start("create_circuit", input: answers(a, a), user: "alice")
            }
            #expect(error.code == .invalidInput)
            #expect(error.problems.map(\.field) == ["b_side.node_b"])
        }
    }

    @Test func anExhaustedCoreLinkPrefixFailsTheProcessClearly() async throws {
        try await withWorkshop(plan: IPAMPlan(coreLinkV4: "10.0.0.0/30")) { lab in
            // A core-link prefix with room for exactly two point-to-point blocks.
            let links = try #require(try await lab.netbox.prefix("10.0.0.0/16"))
            _ = try await lab.netbox.allocatePrefix(in: links, .init(prefixLength: 30, description: "a small core-link prefix"))
            var nodes: [String] = []
            for device in 1...6 {
                let outcome = try await lab.enrol(device)
                nodes.append(try SubscriptionModel(json: try #require(outcome.state[raw: "subscription"])).subscriptionID.uuidString.lowercased())
            }
            for (a, b, portA, portB) in [(0, 1, 1, 12), (2, 3, 23, 34)] {
                let fits = try await lab.engine.start("create_circuit", input: answers(nodes[a], nodes[b], portA: portA, portB: portB), user: "alice")
                #expect(fits.status == .suspended, "\(fits.failedReason ?? "")")
            }
            let third = try await lab.engine.start("create_circuit", input: answers(nodes[4], nodes[5], portA: 45, portB: 56), user: "alice")
            #expect(third.status == .failed)
            #expect(third.lastStep == "reserve_ips_in_ipam")
            #expect(third.failedReason?.contains("no free /31 left in 10.0.0.0/30") == true, "\(third.failedReason ?? "")")
        }
    }
}
