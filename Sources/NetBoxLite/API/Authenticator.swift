/// NetBox's token authentication (4.7): `Authorization: Token <key>` or `Bearer <key>`; the
/// token's form, not the keyword, picks its version (`nbt_<key>.<secret>` is v2, anything
/// else v1). Every failure is a 403 with one of NetBox's `detail` texts, never a 401.
struct Authenticator: Sendable {
    /// The accepted v1 tokens (40 characters).
    let v1Tokens: Set<String>
    /// The accepted v2 tokens: secret by key.
    let v2Secrets: [String: String]

    /// Why a request is refused, as NetBox words it; nil when the header is accepted.
    func failure(for header: String?) -> String? {
        // Python's bytes.split(): runs of whitespace separate words.
        let words = (header ?? "").split(whereSeparator: \.isWhitespace).map(String.init)
        guard let keyword = words.first?.lowercased(), keyword == "token" || keyword == "bearer" else {
            // No header, or not a token scheme: the request is simply unauthenticated.
            return "Authentication credentials were not provided."
        }
        guard words.count == 2 else {
            return "Invalid authorization header: Must be in the form \"Bearer <key>.<token>\" or \"Token <token>\""
        }
        let token = words[1]
        if token.hasPrefix(Self.v2Prefix) {
            let parts = token.dropFirst(Self.v2Prefix.count).split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, let secret = v2Secrets[String(parts[0])], secret == parts[1] else {
                return "Invalid v2 token"
            }
            return nil
        }
        return v1Tokens.contains(token) ? nil : "Invalid v1 token"
    }

    static let v2Prefix = "nbt_"

    /// Splits a configured v2 token `nbt_<key>.<secret>` into key and secret.
    static func splitV2(_ token: String) -> (key: String, secret: String)? {
        guard token.hasPrefix(v2Prefix) else { return nil }
        let parts = token.dropFirst(v2Prefix.count).split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        return (String(parts[0]), String(parts[1]))
    }
}
