import Crypto
import Foundation

/// The secret of an API token: what a client sends as `Authorization: Bearer <secret>`.
///
/// It is printed once, by `wf token create`, and never stored: the store keeps `hash(_:)` of
/// it and finds a request's token by the hash of what the request sent. A plain SHA-256 is
/// enough (no salt, no slow hash) because the secret is 256 random bits, not a password
/// someone chose: there is nothing to guess from a dictionary.
enum TokenSecret {
    /// Marks a string as a `wf` token, so that one pasted somewhere it should not be is
    /// recognised (by secret scanners too).
    static let prefix = "wft_"

    /// A new secret: `prefix` (`wft_` for a token; hooks and the NetBox webhook have their
    /// own) and 32 random bytes from the system's generator, base64url without padding (43
    /// characters).
    static func generate(prefix: String = prefix) -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return prefix + base64URL(Data(bytes))
    }

    /// The SHA-256 of `secret`'s UTF-8 bytes, as lowercase hex: what the store keeps.
    static func hash(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    /// Base64 with the URL- and header-safe alphabet (`-` and `_`), without `=` padding.
    private static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
