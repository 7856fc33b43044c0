import Foundation
import Hummingbird
import HummingbirdTesting

@testable import NetBoxLite

/// Sends requests to a NetBoxLite through HummingbirdTesting's router client (no socket,
/// Host `localhost`) and parses the answers.
struct ReplayClient {
    let client: any TestClientProtocol
    /// What the server builds its URLs from: the router client sends Host `localhost`.
    static let baseURL = "http://localhost"

    struct Answer {
        let status: Int
        /// By lowercased name.
        let headers: [String: String]
        let body: JSON?
        let text: String
    }

    func send(_ method: String, _ uri: String, authorization: String?, body: JSON? = nil) async throws -> Answer {
        var headers: HTTPFields = [:]
        headers[.accept] = "application/json"
        if let authorization { headers[.authorization] = authorization }
        if body != nil { headers[.contentType] = "application/json" }
        let response = try await client.executeRequest(
            uri: uri, method: HTTPRequest.Method(method) ?? .get, headers: headers, body: body.map { ByteBuffer(string: $0.text) })
        let text = String(buffer: response.body)
        var answerHeaders: [String: String] = [:]
        for field in response.headers {
            answerHeaders[field.name.canonicalName] = field.value  // lowercased
        }
        return Answer(
            status: response.status.code, headers: answerHeaders, body: text.isEmpty ? nil : try JSON.parse(Data(text.utf8)), text: text)
    }
}
