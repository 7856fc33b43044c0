import Foundation
import Hummingbird
import WorkflowEngine

/// How a browser stays signed in: the API token it signed in with, in an HttpOnly,
/// SameSite=Strict cookie that scripts cannot read and other sites cannot send; and a
/// CSRF value derived from it that every form posts back. Nothing is kept on the server,
/// so several `wf serve` processes behind one name accept the same browser, and revoking
/// the token (`wf token revoke`) signs every browser using it out at once.
enum WebSession {
    static let cookieName = "wf_session"

    /// The token secret the request's cookie carries, if any.
    static func secret(in request: Request) -> String? {
        guard let header = request.headers[.cookie] else { return nil }
        for part in header.split(separator: ";") {
            let pair = part.trimmingCharacters(in: .whitespaces)
            guard pair.hasPrefix(cookieName + "=") else { continue }
            let value = String(pair.dropFirst(cookieName.count + 1))
            return value.isEmpty ? nil : value
        }
        return nil
    }

    /// The cookie that signs the browser in for as long as it runs (no expiry date: gone
    /// when the browser closes), `Secure` when the page came over HTTPS.
    static func signIn(_ secret: String, secure: Bool) -> String {
        "\(cookieName)=\(secret); Path=/; HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "")
    }

    static func signOut(secure: Bool) -> String {
        "\(cookieName)=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0" + (secure ? "; Secure" : "")
    }

    /// The value every form of a signed-in page carries: a hash of the session's secret,
    /// which a page of another site cannot know. With `--no-auth` (no secret), a value
    /// random per server process.
    static func csrf(for secret: String?) -> String {
        String(TokenSecret.hash("wf-csrf:" + (secret ?? developerKey)).prefix(32))
    }

    private static let developerKey = UUID().uuidString

    /// Whether a posted form carries the CSRF value of the session it came with.
    static func checkCSRF(_ form: WebFormData, context: APIContext) -> Bool {
        guard let sent = form.first("csrf") else { return false }
        return constantTimeEquals(sent, csrf(for: context.sessionSecret))
    }

    private static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let (x, y) = (Array(a.utf8), Array(b.utf8))
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// A posted HTML form (`application/x-www-form-urlencoded`): every value of each name, in order.
struct WebFormData: Sendable {
    private(set) var values: [String: [String]] = [:]

    init(_ body: String) {
        for pair in body.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = Self.decode(parts[0])
            values[name, default: []].append(parts.count > 1 ? Self.decode(parts[1]) : "")
        }
    }

    static func decode(_ text: Substring) -> String {
        String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(text)
    }

    func first(_ name: String) -> String? { values[name]?.first }
    func all(_ name: String) -> [String] { values[name] ?? [] }

    /// Reads a form body of at most `APIContext.maximumBodySize` bytes.
    static func read(_ request: Request, context: APIContext) async throws -> WebFormData {
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        return WebFormData(String(buffer: buffer))
    }
}
