import Foundation
import Persistence
import Testing
import WorkflowEngine
import WorkflowTestKit

/// The process list's filters, which `GET /api/processes` takes: by user, subscription and
/// start time, oldest or newest first, a page at a time.
@Suite("Process list filters", .storeSlots)
struct ProcessFilterTests {
    @Test(arguments: StoreKind.available)
    func filtersByUserSubscriptionAndTimeAndPagesInEitherOrder(kind: StoreKind) async throws {
        let temporary = try await Subscriptions.store(kind)
        let store = temporary.store
        let node = try await store.save(try Subscriptions.node("loc1-core", id: 7))
        var started: [ProcessRecord] = []
        for (index, user) in ["alice", "bob", "alice", "carol"].enumerated() {
            let process = Fixtures.process(createdBy: user, startedAt: Fixtures.at(Double(index) * 60))
            let locks = index == 1 ? [SubscriptionLock(node.subscriptionID)] : []
            try await store.insertProcess(process, inputs: [Fixtures.input(process)], locks: locks)
            started.append(process)
        }
        func ids(_ filter: ProcessFilter) async throws -> [ProcessID] { try await store.processes(filter).map(\.processID) }

        #expect(try await ids(ProcessFilter(createdBy: "alice")) == [started[2].processID, started[0].processID])
        #expect(try await ids(ProcessFilter(subscriptionID: node.subscriptionID)) == [started[1].processID])
        #expect(try await ids(ProcessFilter(subscriptionID: UUID())).isEmpty)
        #expect(
            try await ids(ProcessFilter(startedAfter: Fixtures.at(60), startedBefore: Fixtures.at(180))) == [
                started[2].processID, started[1].processID,
            ], "since is inclusive, until exclusive")
        #expect(try await ids(ProcessFilter(limit: 2, oldestFirst: true)) == [started[0].processID, started[1].processID])
        #expect(try await ids(ProcessFilter(limit: 2, offset: 2, oldestFirst: true)) == [started[2].processID, started[3].processID])
        #expect(try await ids(ProcessFilter(limit: 2, offset: 1)) == [started[2].processID, started[1].processID])
        #expect(try await ids(ProcessFilter(limit: 2, offset: 4)).isEmpty)
    }
}
