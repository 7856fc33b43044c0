import Foundation
import Testing
import WorkflowEngine
import WorkflowTestKit

@Suite("Resolving a process id from a prefix", .storeSlots)
struct ProcessIDResolutionTests {
    static let ids = [
        "abc11111-0000-4000-8000-000000000001",
        "abc22222-0000-4000-8000-000000000002",
        "def33333-0000-4000-8000-000000000003",
    ].map { ProcessID($0)! }

    /// An engine whose processes get `ids`, in order, and three processes created with them.
    static func engineWithProcesses() async throws -> (Harness, Engine) {
        let flow = workflow(begin >>> succeed("a") >>> done)
        let harness = try await Harness([flow])
        let queue = IDQueue(ids.map(\.uuid))
        let engine = Engine(
            store: harness.store, registry: try WorkflowRegistry([flow]), configuration: harness.engine.configuration,
            environment: EngineEnvironment(
                now: { harness.clock.now }, makeID: { queue.next() }, sleep: { _ in }))
        for _ in ids {
            _ = try await engine.enqueue(flow.name, user: "alice")
        }
        return (harness, engine)
    }

    @Test func uniquePrefixResolvesToItsProcess() async throws {
        let (harness, engine) = try await Self.engineWithProcesses()
        #expect(try await harness.store.processes(ProcessFilter()).map(\.processID).sorted() == Self.ids)

        #expect(try await engine.resolve("abc1") == Self.ids[0])
        #expect(try await engine.resolve("ABC2") == Self.ids[1], "case does not matter")
        #expect(try await engine.resolve("d") == Self.ids[2])
        #expect(try await engine.resolve(Self.ids[1].description) == Self.ids[1], "a full id resolves")
    }

    @Test(arguments: ["0", "abc3", "zz", ""])
    func unknownPrefixIsNotFound(prefix: String) async throws {
        let (_, engine) = try await Self.engineWithProcesses()
        let error = try await #require(throws: WorkflowError.self) { try await engine.resolve(prefix) }
        #expect(error.code == .processNotFound)
        #expect(error.message.contains("'\(prefix)'"))
    }

    @Test func ambiguousPrefixNamesTheCandidates() async throws {
        let (_, engine) = try await Self.engineWithProcesses()
        let error = try await #require(throws: WorkflowError.self) { try await engine.resolve("ab") }
        #expect(error.code == .ambiguousProcessID)
        #expect(error.message.contains(Self.ids[0].description))
        #expect(error.message.contains(Self.ids[1].description))
        #expect(!error.message.contains(Self.ids[2].description))
    }
}
