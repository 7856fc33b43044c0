import Foundation
import Persistence
import Testing
import WorkflowEngine
import WorkflowTestKit

/// What the HTTP API's tokens need from every store: a token stored under its secret's
/// hash only, found by that hash (recording when it was used), revoked once, listed newest
/// first, and named by a prefix of its id.
@Suite("Token store conformance", .storeSlots)
struct TokenStoreConformanceTests {
    /// Stands for the PostgreSQL cases the store tests below drop without a server, so that
    /// the run names them as skipped; with one, checks that a PostgreSQL store opens.
    @Test(.enabled(if: StoreKind.postgresURL != nil, StoreKind.postgresCasesSkipped(6)))
    func postgreSQLCasesRan() async throws {
        #expect(StoreKind.available.contains(.postgres))
        let temporary = try await TemporaryStore(kind: .postgres)
        #expect(try await temporary.store.migrationStatus().allSatisfy { $0.state == .applied })
    }

    typealias F = Fixtures

    static func token(
        _ id: UUID = UUID(), user: String = "alice", role: AccessRole = .operator, workflows: [String] = ["create_*", "modify_node"],
        at seconds: Double = 0, expiresAt: Date? = nil
    ) -> AccessToken {
        AccessToken(id: id, user: user, role: role, workflows: workflows, createdAt: F.at(seconds), createdBy: "admin", expiresAt: expiresAt)
    }

    @Test(arguments: StoreKind.available)
    func aTokenIsFoundByItsSecretHashAndReadBackAsWritten(kind: StoreKind) async throws {
        try await withTokenStore(kind) { store in
            let token = Self.token(expiresAt: F.at(86_400))
            try await store.createToken(token, secretHash: "hash-a")
            let found = try #require(try await store.token(secretHash: "hash-a", usedAt: F.at(5)))
            var expected = token
            expected.lastUsedAt = F.at(5)
            #expect(found == expected)
            #expect(try await store.tokens() == [expected])
        }
    }

    @Test(arguments: StoreKind.available)
    func lookupsRecordWhenTheTokenWasLastUsedToTheMinute(kind: StoreKind) async throws {
        try await withTokenStore(kind) { store in
            try await store.createToken(Self.token(), secretHash: "hash-a")
            #expect(try await store.tokens().first?.lastUsedAt == nil, "never used yet")
            #expect(try await store.token(secretHash: "hash-a", usedAt: F.at(10))?.lastUsedAt == F.at(10))
            #expect(try await store.tokens().first?.lastUsedAt == F.at(10))
            // Within a minute of the recorded use, a lookup writes nothing.
            #expect(try await store.token(secretHash: "hash-a", usedAt: F.at(20))?.lastUsedAt == F.at(10))
            #expect(try await store.tokens().first?.lastUsedAt == F.at(10))
            #expect(try await store.token(secretHash: "hash-a", usedAt: F.at(70))?.lastUsedAt == F.at(70))
            #expect(try await store.tokens().first?.lastUsedAt == F.at(70))
        }
    }

    @Test(arguments: StoreKind.available)
    func anUnknownHashFindsNothingAndChangesNothing(kind: StoreKind) async throws {
        try await withTokenStore(kind) { store in
            try await store.createToken(Self.token(), secretHash: "hash-a")
            #expect(try await store.token(secretHash: "hash-b", usedAt: F.at(10)) == nil)
            #expect(try await store.tokens().first?.lastUsedAt == nil)
        }
    }

    @Test(arguments: StoreKind.available)
    func aTokenIsRevokedOnceAndStaysListed(kind: StoreKind) async throws {
        try await withTokenStore(kind) { store in
            let token = Self.token()
            try await store.createToken(token, secretHash: "hash-a")
            #expect(try await store.revokeToken(token.id, at: F.at(30)))
            #expect(try await !store.revokeToken(token.id, at: F.at(40)), "revoked already: the first revocation stands")
            #expect(try await !store.revokeToken(UUID(), at: F.at(40)), "no such token")
            #expect(try await store.tokens().map(\.revokedAt) == [F.at(30)])
            let found = try #require(try await store.token(secretHash: "hash-a", usedAt: F.at(50)), "still found, to be refused as revoked")
            #expect(found.revokedAt == F.at(30))
            #expect(!found.isUsable(at: F.at(50)))
        }
    }

    @Test(arguments: StoreKind.available)
    func aSecondTokenWithTheSameHashIsRefused(kind: StoreKind) async throws {
        try await withTokenStore(kind) { store in
            let first = Self.token()
            try await store.createToken(first, secretHash: "hash-a")
            let refusal = try await #require(throws: PersistenceError.self) {
                try await store.createToken(Self.token(user: "bob", role: .admin, workflows: []), secretHash: "hash-a")
            }
            #expect(refusal.code == .duplicateToken)
            #expect(try await store.tokens() == [first])
        }
    }

    @Test(arguments: StoreKind.available)
    func tokensAreListedNewestFirstAndNamedByAPrefixOfTheirID(kind: StoreKind) async throws {
        try await withTokenStore(kind) { store in
            let older = Self.token(
                try #require(UUID(uuidString: "1a2b0000-0000-4000-8000-000000000001")), user: "alice", role: .viewer, workflows: [])
            let newer = Self.token(
                try #require(UUID(uuidString: "1a2c0000-0000-4000-8000-000000000002")), user: "bob", role: .admin, workflows: [], at: 10)
            try await store.createToken(older, secretHash: "hash-a")
            try await store.createToken(newer, secretHash: "hash-b")
            #expect(try await store.tokens().map(\.user) == ["bob", "alice"])
            #expect(Set(try await store.tokenIDs(withPrefix: "1a2")) == [older.id, newer.id])
            #expect(try await store.tokenIDs(withPrefix: "1A2B") == [older.id], "an id prefix is matched whatever its case")
            #expect(try await store.tokenIDs(withPrefix: "1a2c0000-0000") == [newer.id], "dashes included")
            #expect(try await store.tokenIDs(withPrefix: "ff").isEmpty)
        }
    }
}

/// Runs `body` on a fresh, migrated store of `kind`; the store lives until `body` returns.
private func withTokenStore(_ kind: StoreKind, _ body: (any WorkflowStore) async throws -> Void) async throws {
    let temporary = try await TemporaryStore(kind: kind)
    defer { withExtendedLifetime(temporary) {} }
    try await body(temporary.store)
}
