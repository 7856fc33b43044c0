import Foundation
import GRDB
import WorkflowEngine

extension SQLiteStore: TokenStore {
    public func createToken(_ token: AccessToken, secretHash: String) async throws {
        let inserted = try await pool.write { db in
            // A clash of hashes inserts nothing rather than failing in SQLite's words: the
            // refusal below says what happened, as PostgreSQL's does.
            try db.execute(
                sql: """
                    INSERT INTO api_tokens (token_id, user_name, role, workflows, secret_hash, created_at, created_by, expires_at, revoked_at,
                        last_used_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (secret_hash) DO NOTHING
                    """,
                arguments: [
                    token.id.uuidString.lowercased(), token.user, token.role.rawValue, TokenColumns.workflowsText(token.workflows), secretHash,
                    SQLiteTime.text(token.createdAt), token.createdBy, SQLiteTime.text(token.expiresAt), SQLiteTime.text(token.revokedAt),
                    SQLiteTime.text(token.lastUsedAt),
                ])
            return db.changesCount == 1
        }
        guard inserted else { throw TokenColumns.duplicateSecret(database: path) }
    }

    public func tokens() async throws -> [AccessToken] {
        try await pool.read { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM api_tokens ORDER BY created_at DESC, rowid DESC")).map(Self.accessToken)
        }
    }

    public func revokeToken(_ id: UUID, at time: Date) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE api_tokens SET revoked_at = ? WHERE token_id = ? AND revoked_at IS NULL",
                arguments: [SQLiteTime.text(time), id.uuidString.lowercased()])
            return db.changesCount == 1
        }
    }

    public func token(secretHash: String, usedAt: Date) async throws -> AccessToken? {
        let select = "SELECT * FROM api_tokens WHERE secret_hash = ?"
        let read = try await pool.read { db in try Row.fetchOne(db.cachedStatement(sql: select), arguments: [secretHash]).map(Self.accessToken) }
        guard var token = read, token.recordsUse(at: usedAt) else { return read }
        // Another request may have recorded a use meanwhile: the later time stands.
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE api_tokens SET last_used_at = max(coalesce(last_used_at, ''), ?) WHERE secret_hash = ?",
                arguments: [SQLiteTime.text(usedAt), secretHash])
        }
        token.lastUsedAt = usedAt
        return token
    }

    public func tokenIDs(withPrefix prefix: String) async throws -> [UUID] {
        let prefix = prefix.lowercased()
        return try await pool.read { db in
            try String.fetchAll(
                db.cachedStatement(sql: "SELECT token_id FROM api_tokens WHERE substr(token_id, 1, length(?)) = ? ORDER BY token_id"),
                arguments: [prefix, prefix]
            ).map { text in
                guard let id = UUID(uuidString: text) else { throw PersistenceError(.corruptRow, "token id '\(text)' is no UUID") }
                return id
            }
        }
    }

    static func accessToken(_ row: Row) throws -> AccessToken {
        let text: String = row["token_id"]
        guard let id = UUID(uuidString: text) else { throw PersistenceError(.corruptRow, "token id '\(text)' is no UUID") }
        return AccessToken(
            id: id, user: row["user_name"], role: try TokenColumns.role(row["role"], token: id),
            workflows: try TokenColumns.workflows(row["workflows"], token: id), createdAt: row["created_at"], createdBy: row["created_by"],
            expiresAt: row["expires_at"], revokedAt: row["revoked_at"], lastUsedAt: row["last_used_at"])
    }
}

/// How both stores keep a token's role and workflows, and what they say when a secret's
/// hash is taken (shared with `PostgresStore+Tokens.swift`).
enum TokenColumns {
    /// The workflow patterns as a JSON array of strings.
    static func workflowsText(_ workflows: [String]) -> String {
        JSONValue.array(workflows.map(JSONValue.string)).jsonText
    }

    /// The patterns `workflowsText` wrote; anything else is a corrupt row.
    static func workflows(_ text: String, token: UUID) throws -> [String] {
        guard case .array(let items) = try? JSONValue.parse(text) else {
            throw PersistenceError(.corruptRow, "token \(token) has workflows '\(text)', not a JSON array")
        }
        return try items.map { item in
            guard case .string(let pattern) = item else {
                throw PersistenceError(.corruptRow, "token \(token) has workflows '\(text)', not a JSON array of strings")
            }
            return pattern
        }
    }

    static func role(_ text: String, token: UUID) throws -> AccessRole {
        guard let role = AccessRole(rawValue: text) else { throw PersistenceError(.corruptRow, "token \(token) has unknown role '\(text)'") }
        return role
    }

    /// A new token whose secret hashes as an existing one's: a secret made twice, which 32
    /// random bytes make practically impossible, so the caller should make another.
    static func duplicateSecret(database: String) -> PersistenceError {
        PersistenceError(.duplicateToken, "a token with this secret already exists; make a new secret and try again", database: database)
    }
}

extension PersistenceError.Code {
    /// A token whose secret hash another token has.
    public static let duplicateToken = PersistenceError.Code("duplicate_token")
}
