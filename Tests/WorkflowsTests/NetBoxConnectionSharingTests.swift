import Foundation
import NetBox
import Synchronization
import Testing
import Workflows

/// `NetBoxConnection` makes its client once, however many callers ask at the same moment.
@Suite("NetBox connection: made once")
struct NetBoxConnectionSharingTests {
    static func client() throws -> NetBoxClient {
        NetBoxClient(NetBoxConfiguration(url: try #require(URL(string: "http://127.0.0.1:1")), token: String(repeating: "a", count: 40)))
    }

    @Test func callersAskingTogetherShareOneMake() async throws {
        let makes = Atomic<Int>(0)
        let made = try Self.client()
        let connection = NetBoxConnection(lazy: {
            makes.add(1, ordering: .relaxed)
            // Long enough that every caller arrives while the first make is still running.
            try await Task.sleep(for: .milliseconds(200))
            return made
        })
        let clients = try await withThrowingTaskGroup(of: NetBoxClient.self) { group in
            for _ in 0..<50 { group.addTask { try await connection.get() } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(makes.load(ordering: .relaxed) == 1, "one embedded NetBoxLite, not one per caller")
        #expect(clients.count == 50)
        #expect(clients.allSatisfy { $0 === made })
    }

    @Test func aFailedMakeIsTriedAgainByTheNextCaller() async throws {
        struct Down: Error {}
        let makes = Atomic<Int>(0)
        let made = try Self.client()
        let connection = NetBoxConnection(lazy: {
            if makes.add(1, ordering: .relaxed).newValue == 1 { throw Down() }
            return made
        })
        await #expect(throws: Down.self) { try await connection.get() }
        #expect(try await connection.get() === made)
        #expect(makes.load(ordering: .relaxed) == 2)
    }
}
