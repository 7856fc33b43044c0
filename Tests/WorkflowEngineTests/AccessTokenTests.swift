import Foundation
import Testing
import WorkflowEngine

/// What a token allows: the workflows its patterns match, while it is neither revoked nor
/// expired, and roles that each include the one before.
struct AccessTokenTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    static func token(workflows: [String] = [], expiresAt: Date? = nil, revokedAt: Date? = nil) -> AccessToken {
        AccessToken(
            id: UUID(), user: "alice", role: .operator, workflows: workflows, createdAt: t0, createdBy: "admin", expiresAt: expiresAt,
            revokedAt: revokedAt)
    }

    @Test(arguments: [
        ("create_*", "create_node"), ("create_*", "create_"), ("*_node", "terminate_node"), ("modify_node", "modify_node"),
        ("*", "anything"), ("*", ""), ("c*e*t", "create_circuit"), ("*circuit*", "validate_circuit_x"), ("a**b", "ab"), ("", ""),
    ])
    func aPatternMatchesWholeNamesWithStarForAnyRun(pattern: String, name: String) {
        #expect(AccessToken.pattern(pattern, matches: name))
    }

    @Test(arguments: [
        ("create_*", "modify_node"), ("*_node", "terminate_node_x"), ("modify_node", "modify_nodes"), ("modify_node", "xmodify_node"),
        ("c*e*t", "create_circuits"), ("Create_*", "create_node"), ("", "create_node"), ("create_node", "create_"),
    ])
    func aPatternMatchesNeitherPartOfANameNorAnotherCase(pattern: String, name: String) {
        #expect(!AccessToken.pattern(pattern, matches: name))
    }

    @Test func aTokenAllowsTheWorkflowsAnyOfItsPatternsMatch() {
        let token = Self.token(workflows: ["create_*", "modify_node"])
        #expect(token.allowsWorkflow("create_circuit"))
        #expect(token.allowsWorkflow("modify_node"))
        #expect(!token.allowsWorkflow("modify_circuit"))
        #expect(!token.allowsWorkflow("terminate_node"))
    }

    @Test func aTokenWithoutPatternsAllowsEveryWorkflow() {
        #expect(Self.token().allowsWorkflow("terminate_circuit"))
    }

    @Test func aTokenIsUsableUntilItExpires() {
        let expiring = Self.token(expiresAt: Self.t0.addingTimeInterval(60))
        #expect(expiring.isUsable(at: Self.t0.addingTimeInterval(59)))
        #expect(!expiring.isUsable(at: Self.t0.addingTimeInterval(60)), "expired at the very moment it expires")
        #expect(!expiring.isUsable(at: Self.t0.addingTimeInterval(3600)))
        #expect(Self.token().isUsable(at: Self.t0.addingTimeInterval(100 * 365 * 86_400)), "no expiry: never expires")
    }

    @Test func aRevokedTokenIsNotUsable() {
        let revoked = Self.token(expiresAt: Self.t0.addingTimeInterval(3600), revokedAt: Self.t0.addingTimeInterval(10))
        #expect(!revoked.isUsable(at: Self.t0.addingTimeInterval(5)), "revocation is final, whatever the time asked about")
        #expect(!revoked.isUsable(at: Self.t0.addingTimeInterval(20)))
    }

    @Test func rolesAreOrderedViewerOperatorAdmin() {
        #expect(AccessRole.viewer < .operator)
        #expect(AccessRole.operator < .admin)
        #expect(AccessRole.allCases.sorted() == [.viewer, .operator, .admin])
        #expect(AccessRole.allCases.map(\.rawValue) == ["viewer", "operator", "admin"], "persisted names")
    }
}
