import Foundation

/// How to run a NetBoxLite: where to listen, which tokens to accept, where to keep state and
/// what to seed it with.
public struct NetBoxLiteConfiguration: Sendable {
    /// The address to listen on.
    public var host: String
    /// The port to listen on; 0 picks a free one (read it from `NetBoxLiteServer.url`).
    public var port: Int
    /// The token clients send: a v1 token (`Authorization: Token <token>`, or `Bearer <token>`),
    /// or a v2 token `nbt_<key>.<secret>`.
    public var token: String
    /// A v2 token `nbt_<key>.<secret>` accepted as well (`Authorization: Bearer nbt_<key>.<secret>`).
    public var v2Token: String?
    /// The SQLite file holding the state; it is seeded on first start and kept across
    /// restarts. Nil: a temporary file, removed when the server is gone.
    public var dataPath: String?
    /// The seed inventory (the format of `seed-inventory.json`); nil for the default lab.
    public var seed: URL?

    /// A configuration; without a `token`, a new random one is made (see `generateToken()`).
    public init(
        host: String = "127.0.0.1", port: Int = 0, token: String? = nil, v2Token: String? = nil, dataPath: String? = nil, seed: URL? = nil
    ) {
        self.host = host
        self.port = port
        self.token = token ?? Self.generateToken()
        self.v2Token = v2Token
        self.dataPath = dataPath
        self.seed = seed
    }

    /// A new v1 token: 40 random hexadecimal characters, as NetBox makes them.
    public static func generateToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<40).map { _ in String(Int.random(in: 0..<16, using: &generator), radix: 16) }.joined()
    }

    /// The token checker for this configuration; fails for a malformed v2 token.
    func makeAuthenticator() throws -> Authenticator {
        var v1: Set<String> = []
        var v2: [String: String] = [:]
        for token in [token] + (v2Token.map { [$0] } ?? []) {
            if token.hasPrefix(Authenticator.v2Prefix) {
                guard let (key, secret) = Authenticator.splitV2(token) else {
                    throw NetBoxLiteError(.badConfiguration, "the v2 token must read nbt_<key>.<secret>")
                }
                v2[key] = secret
            } else if token == v2Token {
                throw NetBoxLiteError(.badConfiguration, "the v2 token must read nbt_<key>.<secret>")
            } else {
                guard !token.isEmpty, !token.contains(where: \.isWhitespace) else {
                    throw NetBoxLiteError(.badConfiguration, "the token must be one word, without spaces")
                }
                v1.insert(token)
            }
        }
        return Authenticator(v1Tokens: v1, v2Secrets: v2)
    }
}
