import Foundation
import Testing
import WorkflowTestKit

@testable import Persistence

/// A PostgreSQL call the driver lost (one that never returns, not even when cancelled)
/// fails after its limit instead of holding its caller forever.
@Suite("Bounded calls", .storeSlots)
struct BoundedCallTests {
    @Test func anAnswerWithinTheLimitIsReturned() async throws {
        #expect(try await BoundedCall.run(.seconds(5), what: { "a query" }) { 42 } == 42)
    }

    @Test func anErrorWithinTheLimitIsThrownAsItCame() async throws {
        struct Refused: Error {}
        await #expect(throws: Refused.self) {
            try await BoundedCall.run(.seconds(5), what: { "a query" }) { () async throws -> Int in throw Refused() }
        }
    }

    @Test func aCallThatNeverReturnsFailsAfterItsLimitNamingIt() async throws {
        let error = try await #require(throws: BoundedCall.TimedOut.self) {
            try await BoundedCall.run(.milliseconds(200), what: { "the claim" }) { () async throws -> Int in
                // A lost call: ignores cancellation and never answers.
                await withCheckedContinuation { (_: CheckedContinuation<Void, Never>) in }
                return 0
            }
        }
        #expect(error.description.hasPrefix("PostgreSQL did not answer the claim within"))
    }

    @Test func cancellingTheCallerEndsTheWait() async throws {
        let waiting = Task {
            try await BoundedCall.run(.seconds(600), what: { "a query" }) { () async throws -> Int in
                await withCheckedContinuation { (_: CheckedContinuation<Void, Never>) in }
                return 0
            }
        }
        try await Task.sleep(for: .milliseconds(100))
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
    }
}
