import Foundation
import Testing
import WorkflowEngine
import WorkflowTestKit

private struct Port: Codable, Sendable, Hashable {
    var name: String
    var speed: Int
}

private let nodeID = StateKey<Int>("node_id")
private let hostname = StateKey<String>("hostname")
private let port = StateKey<Port>("port")

@Suite("State: typed access", .storeSlots)
struct StateTests {
    @Test func typedKeysReadBackWhatWasStored() throws {
        var state = State()
        try state.set(nodeID, to: 7)
        try state.set(hostname, to: "core-1")
        try state.set(port, to: Port(name: "et-0/0/1", speed: 100))

        #expect(try state[nodeID] == 7)
        #expect(try state.value(for: hostname) == "core-1")
        #expect(try state[port] == Port(name: "et-0/0/1", speed: 100))
        #expect(state[raw: "node_id"] == .int(7))
        #expect(state[raw: "port"] == ["name": "et-0/0/1", "speed": 100])
        #expect(try State().setting(nodeID, 9)[nodeID] == 9)
    }

    @Test func missingKeyThrowsNamingTheKey() throws {
        let error = try #require(throws: WorkflowError.self) { try State(["other": 1])[nodeID] }
        #expect(error.code == .missingStateKey)
        #expect(error.message.contains("node_id"))
    }

    @Test func mistypedKeyThrowsNamingTheKey() throws {
        let state: State = ["node_id": "seven", "port": ["name": "x"]]
        let error = try #require(throws: WorkflowError.self) { try state[nodeID] }
        #expect(error.code == .mistypedStateKey)
        #expect(error.message.contains("node_id"))
        #expect(error.message.contains("a string"))

        let nested = try #require(throws: WorkflowError.self) { try state[port] }
        #expect(nested.code == .mistypedStateKey)
        #expect(nested.message.contains("port"))
    }

    @Test func optionalValueIsNilForAbsentOrNullButStillRefusesTheWrongType() throws {
        let state: State = ["node_id": nil, "hostname": 3]
        #expect(try state.optionalValue(for: nodeID) == nil)
        #expect(try state.optionalValue(for: port) == nil)
        #expect(throws: WorkflowError.self) { try state.optionalValue(for: hostname) }
    }

    @Test func stepReadingAMissingKeyFailsTheProcessNamingKeyAndStep() async throws {
        let reads = Step.updating("read_node") { context in
            ["seen": .int(try context[nodeID])]
        }
        let after = CallCounter()
        let flow = workflow(
            begin >>> succeed("prepare") >>> reads
                >>> Step("after") { _ in
                    _ = after.next(); return .success
                } >>> done)
        let harness = try await Harness([flow])

        let outcome = try await harness.engine.start(flow.name, user: "alice")

        #expect(outcome.status == .failed)
        let reason = try #require(outcome.failedReason)
        #expect(reason.contains("node_id"))
        #expect(reason.contains("read_node"))
        #expect(after.value == 0)
        let stored = try await harness.process(outcome.processID)
        #expect(stored.status == .failed)
        #expect(stored.lastStep == "read_node")
        #expect(stored.failedReason == reason)
        let failedRow = try #require(try await harness.steps(outcome.processID).last)
        #expect(failedRow.key == "read_node")
        #expect(failedRow.status == .failed)
        #expect(failedRow.errorType?.contains("WorkflowError") == true)
    }

    @Test func stepReadingAMistypedKeyFailsTheProcessNamingKeyAndStep() async throws {
        let reads = Step.updating("read_node") { context in
            ["seen": .int(try context[nodeID])]
        }
        let flow = workflow(begin >>> reads >>> done)
        let harness = try await Harness([flow])

        let outcome = try await harness.engine.start(flow.name, input: ["node_id": "not a number"], user: "alice")

        #expect(outcome.status == .failed)
        #expect(outcome.failedReason?.contains("node_id") == true)
        #expect(outcome.failedReason?.contains("read_node") == true)
    }
}
