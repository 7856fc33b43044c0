import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import NetBoxLite

/// The HTTP behaviour around the handlers, in NetBox's order: URL, then authentication,
/// then method, then the request itself.
@Suite struct ProtocolTests {
    let token = "0123456789abcdef0123456789abcdef01234567"

    private func withClient(_ body: @Sendable (ReplayClient) async throws -> Void) async throws {
        let app = try await buildApplication(NetBoxLiteConfiguration(token: token))
        try await app.test(.router) { client in try await body(ReplayClient(client: client)) }
    }

    @Test func authenticationComesBeforeTheMethodAndTheObject() async throws {
        try await withClient { client in
            let unknown = try await client.send("GET", "/api/dcim/devices/999/", authorization: nil)
            #expect(unknown.status == 403)
            let wrongMethod = try await client.send("PUT", "/api/dcim/devices/1/", authorization: nil)
            #expect(wrongMethod.status == 403)
            #expect(wrongMethod.headers["allow"] == "GET, PUT, PATCH, DELETE, HEAD, OPTIONS")
        }
    }

    @Test func methodsNetBoxLiteDoesNotServeAre405() async throws {
        try await withClient { client in
            let answer = try await client.send("DELETE", "/api/dcim/devices/1/", authorization: "Token \(token)")
            #expect(answer.status == 405)
            #expect(answer.body?["detail"] == "Method \"DELETE\" not allowed.")
        }
    }

    @Test func pathsWithoutTheirSlashAreRedirectedAndUnknownPathsAre404() async throws {
        try await withClient { client in
            let redirected = try await client.send("GET", "/api/dcim/devices?name=loc1-core", authorization: "Token \(token)")
            #expect(redirected.status == 301)
            #expect(redirected.headers["location"] == "http://localhost/api/dcim/devices/?name=loc1-core")
            let unknown = try await client.send("GET", "/api/dcim/racks/", authorization: "Token \(token)")
            #expect(unknown.status == 404)
            #expect(
                try await client.send("GET", "/api/dcim/devices/abc/", authorization: "Token \(token)").body?["detail"]
                    == "No Device matches the given query.")
        }
    }

    @Test func aBodyThatIsNotJSONIsA400() async throws {
        try await withClient { client in
            let response = try await client.client.executeRequest(
                uri: "/api/dcim/devices/1/", method: .patch, headers: [.authorization: "Token \(token)", .contentType: "application/json"],
                body: ByteBuffer(string: "{status: active"))
            #expect(response.status.code == 400)
            #expect(String(buffer: response.body).contains("JSON parse error"))
            let list = try await client.send("PATCH", "/api/dcim/devices/1/", authorization: "Token \(token)", body: [["status": "active"]])
            #expect(list.body?["non_field_errors"] == ["Invalid data. Expected a dictionary, but got list."])
        }
    }

    @Test func headAnswersWithoutABody() async throws {
        try await withClient { client in
            let answer = try await client.send("HEAD", "/api/dcim/devices/1/", authorization: "Token \(token)")
            #expect(answer.status == 200)
            #expect(answer.text.isEmpty)
        }
    }

    @Test func listsFilterAndPageLikeNetBox() async throws {
        try await withClient { client in
            let page = try await client.send("GET", "/api/dcim/interfaces/?device_id=1&device_id=2&mgmt_only=true", authorization: "Token \(token)")
            #expect(page.body?["count"] == 2)
            let badID = try await client.send("GET", "/api/dcim/devices/?id=x", authorization: "Token \(token)")
            #expect(badID.body?["id"] == ["Enter a number."])
            let badDevice = try await client.send("GET", "/api/dcim/interfaces/?device_id=x", authorization: "Token \(token)")
            #expect(badDevice.body?["device_id"] == ["“x” is not a valid value."])
            let brief = try await client.send("GET", "/api/ipam/prefixes/?brief=true&family=4", authorization: "Token \(token)")
            let keys = brief.body?["results"]?.arrayValue?.map { Set($0.keys) }
            #expect(keys == Array(repeating: ["id", "url", "display", "family", "prefix", "description", "_depth"], count: 2))
        }
    }
}
