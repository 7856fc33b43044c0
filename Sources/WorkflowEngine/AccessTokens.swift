import Foundation

/// What a token of the HTTP API may do. Each role may do everything the one before it may.
///
/// The raw values are persisted (`api_tokens.role`): never rename them.
public enum AccessRole: String, Sendable, CaseIterable, Comparable {
    /// Reads processes, subscriptions, workflows and the audit.
    case viewer
    /// Also starts, resumes, retries and aborts processes of the workflows its token grants.
    case `operator`
    /// Also manages tokens, unlocks subscriptions and changes schedules.
    case admin

    /// Ordered as declared: viewer < operator < admin.
    public static func < (lhs: AccessRole, rhs: AccessRole) -> Bool {
        rank(lhs) < rank(rhs)
    }

    private static func rank(_ role: AccessRole) -> Int {
        allCases.firstIndex(of: role) ?? 0
    }
}

/// A token of the HTTP API: who it acts as, with which role, and its lifetime.
///
/// The secret itself is never part of it: a store keeps only the secret's hash, and the
/// secret is shown once, when the token is made (`wf token create`). So a token may be
/// listed, logged or written to the audit without giving anything away.
public struct AccessToken: Sendable, Equatable {
    /// How stale `lastUsedAt` may get before a lookup records the use again.
    public static let usageGranularity: TimeInterval = 60

    public var id: UUID
    /// The user the token acts as, recorded on everything done with it.
    public var user: String
    public var role: AccessRole
    /// The workflows an operator may run, as patterns (`create_*`, `modify_node`); empty
    /// grants every workflow. Ignored for the other roles.
    public var workflows: [String]
    public var createdAt: Date
    /// Who made the token.
    public var createdBy: String
    /// Whether a lookup at `time` records the use (see `usageGranularity`).
    public func recordsUse(at time: Date) -> Bool {
        lastUsedAt.map { time.timeIntervalSince($0) >= Self.usageGranularity } ?? true
    }

    /// Nil: the token does not expire.
    public var expiresAt: Date?
    public var revokedAt: Date?
    /// When a request last came with the token; nil when none has.
    public var lastUsedAt: Date?

    public init(
        id: UUID, user: String, role: AccessRole, workflows: [String] = [], createdAt: Date, createdBy: String, expiresAt: Date? = nil,
        revokedAt: Date? = nil, lastUsedAt: Date? = nil
    ) {
        self.id = id
        self.user = user
        self.role = role
        self.workflows = workflows
        self.createdAt = createdAt
        self.createdBy = createdBy
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
        self.lastUsedAt = lastUsedAt
    }

    /// Whether one of the token's patterns matches the workflow `name` (every workflow when
    /// it has none). Whether the role may run workflows at all is the caller's question.
    public func allowsWorkflow(_ name: String) -> Bool {
        workflows.isEmpty || workflows.contains { Self.pattern($0, matches: name) }
    }

    /// Whether a request may use the token at `time`: not revoked, and not expired by then.
    public func isUsable(at time: Date) -> Bool {
        guard revokedAt == nil else { return false }
        guard let expiresAt else { return true }
        return time < expiresAt
    }

    /// Whether `pattern` matches the whole of `name`, case-sensitively, where `*` stands for
    /// any run of characters (none included) and every other character for itself.
    public static func pattern(_ pattern: String, matches name: String) -> Bool {
        let pattern = Array(pattern)
        let name = Array(name)
        var (p, n) = (0, 0)
        // Where the last `*` was, and the position in `name` it has swallowed up to: on a
        // mismatch, that star takes one character more and matching resumes after it.
        var star: (pattern: Int, name: Int)?
        while n < name.count {
            if p < pattern.count, pattern[p] == "*" {
                star = (p, n)
                p += 1
            } else if p < pattern.count, pattern[p] == name[n] {
                p += 1
                n += 1
            } else if let last = star {
                star = (last.pattern, last.name + 1)
                p = last.pattern + 1
                n = last.name + 1
            } else {
                return false
            }
        }
        return pattern[p...].allSatisfy { $0 == "*" }
    }
}

/// Where the tokens of the HTTP API are kept. Only the hash of a token's secret is ever
/// stored; a request's token is found by the hash of the secret it sent.
public protocol TokenStore: Sendable {
    /// Stores a new token. Fails when a token with the same secret hash exists.
    func createToken(_ token: AccessToken, secretHash: String) async throws
    /// Every token, revoked and expired ones included, newest first.
    func tokens() async throws -> [AccessToken]
    /// Marks the token revoked as of `time`; false when there is no such token or it was
    /// revoked already (its first revocation stands).
    func revokeToken(_ id: UUID, at time: Date) async throws -> Bool
    /// The token whose secret hashes to `secretHash`; nil if unknown. Its `lastUsedAt`
    /// becomes `usedAt` when it was never used or last used `AccessToken.usageGranularity`
    /// or longer before (also for a revoked or expired one: the attempt is worth knowing).
    /// Within that, a lookup is a read: a busy script does not make every request a write.
    func token(secretHash: String, usedAt: Date) async throws -> AccessToken?
    /// The ids of the tokens whose id, as lowercase text, starts with `prefix` (as `wf token
    /// list` shows them), for `wf token revoke <prefix>`.
    func tokenIDs(withPrefix prefix: String) async throws -> [UUID]
}
