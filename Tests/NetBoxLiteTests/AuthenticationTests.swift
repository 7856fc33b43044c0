import Testing

@testable import NetBoxLite

/// NetBox 4.7's token rules: the token's form picks its version, every failure is a 403 text.
@Suite struct AuthenticationTests {
    let v1 = "0123456789abcdef0123456789abcdef01234567"
    let authenticator: Authenticator

    init() throws {
        authenticator = try NetBoxLiteConfiguration(token: v1, v2Token: "nbt_key000000001.secret").makeAuthenticator()
    }

    @Test func acceptsBothTokenFormsUnderEitherKeyword() {
        #expect(authenticator.failure(for: "Token \(v1)") == nil)
        #expect(authenticator.failure(for: "Bearer \(v1)") == nil)
        #expect(authenticator.failure(for: "Bearer nbt_key000000001.secret") == nil)
        #expect(authenticator.failure(for: "Token nbt_key000000001.secret") == nil)
        #expect(authenticator.failure(for: "token   \(v1)") == nil)
    }

    @Test func refusesWithNetBoxsWords() {
        #expect(authenticator.failure(for: nil) == "Authentication credentials were not provided.")
        #expect(authenticator.failure(for: "Basic dXNlcjpwYXNz") == "Authentication credentials were not provided.")
        #expect(authenticator.failure(for: "Token \(String(repeating: "0", count: 40))") == "Invalid v1 token")
        #expect(authenticator.failure(for: "Bearer nbt_key000000001.wrong") == "Invalid v2 token")
        #expect(authenticator.failure(for: "Bearer nbt_nodot") == "Invalid v2 token")
        #expect(
            authenticator.failure(for: "Token") == "Invalid authorization header: Must be in the form \"Bearer <key>.<token>\" or \"Token <token>\"")
        #expect(
            authenticator.failure(for: "Token a b")
                == "Invalid authorization header: Must be in the form \"Bearer <key>.<token>\" or \"Token <token>\"")
    }

    @Test func generatedTokensAreFortyHexCharacters() {
        let tokens = Set((0..<20).map { _ in NetBoxLiteConfiguration.generateToken() })
        #expect(tokens.count == 20)
        #expect(tokens.allSatisfy { $0.count == 40 && $0.allSatisfy(\.isHexDigit) })
    }
}
