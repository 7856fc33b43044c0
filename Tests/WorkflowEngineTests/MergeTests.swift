import Foundation
import Testing
import WorkflowEngine
import WorkflowTestKit

@Suite("Merging step results into the state", .storeSlots)
struct MergeTests {
    static let initial: State = [
        "kept": 1,
        "replaced": "old",
        "nested": ["a": 1, "b": ["deep": true]],
        "nulled": 5,
    ]

    static let updates: State = [
        "added": true,
        "replaced": "new",
        "nested": ["c": 3],
        "nulled": nil,
    ]

    @Test func mergeIsShallow() {
        let merged = Self.initial.merging(Self.updates)
        #expect(
            merged
                == [
                    "kept": 1,
                    "replaced": "new",
                    "nested": ["c": 3],
                    "nulled": nil,
                    "added": true,
                ])
    }

    @Test func successUpdatesAreMergedShallowlyIntoTheProcessState() async throws {
        let seen = Recorder<State>()
        let flow = workflow(
            begin
                >>> Step("update") { _ in .success(Self.updates) }
                >>> Step("look") { context in
                    seen.record(context.state)
                    return .success
                }
                >>> done)
        let harness = try await Harness([flow])

        let outcome = try await harness.engine.start(flow.name, input: Self.initial, user: "alice")

        #expect(outcome.status == .completed)
        let state = try await harness.process(outcome.processID).state
        #expect(state[raw: "added"] == true, "new keys are added")
        #expect(state[raw: "replaced"] == "new", "existing keys are replaced")
        #expect(state[raw: "nested"] == ["c": 3], "nested objects are replaced, not deep-merged")
        #expect(state[raw: "nulled"] == JSONValue.null, "a null update stores null")
        #expect(state.keys.contains("nulled"), "a null update does not delete the key")
        #expect(state[raw: "kept"] == 1, "keys not mentioned stay")
        #expect(state[raw: "reporter"] == "alice")
        #expect(seen.values == [state], "the next step sees the merged state")
        let updateRow = try #require(try await harness.steps(outcome.processID).first { $0.key == "update" })
        #expect(updateRow.state == state, "the log row holds the state after the step")
    }

    @Test(arguments: ["process_id", "workflow_name", "reporter", "workflow_target"])
    func stepChangingAReservedKeyFailsTheProcessNamingTheKey(key: String) async throws {
        let after = CallCounter()
        let flow = workflow(
            begin >>> Step("meddle") { _ in .success(State([key: "hijacked", "other": 1])) }
                >>> Step("after") { _ in
                    _ = after.next()
                    return .success
                } >>> done)
        let harness = try await Harness([flow])

        let outcome = try await harness.engine.start(flow.name, user: "alice")

        #expect(outcome.status == .failed)
        let reason = try #require(outcome.failedReason)
        #expect(reason.contains(key))
        #expect(reason.contains("meddle"))
        #expect(after.value == 0)
        let stored = try await harness.process(outcome.processID)
        #expect(stored.status == .failed)
        #expect(stored.state[raw: key] != "hijacked")
        #expect(stored.state[raw: "other"] == nil, "none of the step's updates are kept")
        #expect(try await harness.log(outcome.processID) == ["meddle: failed"])
    }

    @Test func initialInputMayNotSetReservedKeys() async throws {
        let flow = workflow(begin >>> succeed("a") >>> done)
        let harness = try await Harness([flow])
        let error = await #expect(throws: WorkflowError.self) {
            try await harness.engine.start(flow.name, input: ["reporter": "mallory"], user: "alice")
        }
        #expect(error?.code == .invalidInput)
        #expect(error?.message.contains("reporter") == true)
        #expect(try await harness.store.processes(ProcessFilter()).isEmpty)
    }
}
