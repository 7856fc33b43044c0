import Foundation
import PostgresNIO
import WorkflowEngine

extension PostgresStore: TokenStore {
    public func createToken(_ token: AccessToken, secretHash: String) async throws {
        // A clash of hashes inserts nothing rather than failing with a constraint violation:
        // the refusal below says what happened, as SQLite's does.
        let inserted =
            try await committed(
                """
                INSERT INTO api_tokens (token_id, user_name, role, workflows, secret_hash, created_at, created_by, expires_at, revoked_at,
                    last_used_at)
                VALUES (\(token.id), \(token.user), \(token.role.rawValue), \(TokenColumns.workflowsText(token.workflows))::jsonb, \(secretHash),
                    \(token.createdAt.milliseconds), \(token.createdBy), \(token.expiresAt?.milliseconds), \(token.revokedAt?.milliseconds),
                    \(token.lastUsedAt?.milliseconds))
                ON CONFLICT (secret_hash) DO NOTHING
                RETURNING 1
                """
            ).count == 1
        guard inserted else { throw TokenColumns.duplicateSecret(database: location.description) }
    }

    public func tokens() async throws -> [AccessToken] {
        try await rows("\(unescaped: Self.selectToken) ORDER BY created_at DESC, seq DESC").map(Self.accessToken)
    }

    public func revokeToken(_ id: UUID, at time: Date) async throws -> Bool {
        try await committed(
            "UPDATE api_tokens SET revoked_at = \(time.milliseconds) WHERE token_id = \(id) AND revoked_at IS NULL RETURNING 1"
        ).count == 1
    }

    public func token(secretHash: String, usedAt: Date) async throws -> AccessToken? {
        // One statement: the update when the recorded use is stale (see `recordsUse(at:)`), else the row as it is.
        let stale = usedAt.addingTimeInterval(-AccessToken.usageGranularity)
        return try await rows(
            """
            WITH touched AS (
                UPDATE api_tokens SET last_used_at = \(usedAt.milliseconds)
                WHERE secret_hash = \(secretHash) AND (last_used_at IS NULL OR last_used_at <= \(stale.milliseconds))
                RETURNING \(unescaped: Self.tokenColumns)
            )
            SELECT * FROM touched
            UNION ALL SELECT \(unescaped: Self.tokenColumns) FROM api_tokens WHERE secret_hash = \(secretHash) AND NOT EXISTS (SELECT 1 FROM touched)
            """
        ).first.map(Self.accessToken)
    }

    public func tokenIDs(withPrefix prefix: String) async throws -> [UUID] {
        let prefix = prefix.lowercased()
        return try await rows(
            "SELECT token_id FROM api_tokens WHERE left(token_id::text, length(\(prefix)::text)) = \(prefix) ORDER BY token_id"
        ).map { try $0["token_id"].decode(UUID.self) }
    }

    private static let tokenColumns = """
        token_id, user_name, role, workflows::text AS workflows, created_at, created_by, expires_at, revoked_at, last_used_at
        """

    private static let selectToken = "SELECT \(tokenColumns) FROM api_tokens"

    static func accessToken(_ row: PostgresRandomAccessRow) throws -> AccessToken {
        let id = try row["token_id"].decode(UUID.self)
        return AccessToken(
            id: id, user: try row.string("user_name"), role: try TokenColumns.role(try row.string("role"), token: id),
            workflows: try TokenColumns.workflows(try row.string("workflows"), token: id), createdAt: try row.date("created_at"),
            createdBy: try row.string("created_by"), expiresAt: try row.optionalDate("expires_at"), revokedAt: try row.optionalDate("revoked_at"),
            lastUsedAt: try row.optionalDate("last_used_at"))
    }
}
