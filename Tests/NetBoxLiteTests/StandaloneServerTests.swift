import Foundation
import Testing

@testable import NetBoxLite

/// NetBoxLite as `wf` runs it: listening on a real socket in the background.
@Suite struct StandaloneServerTests {
    @Test func servesTheAPIOnAFreePortAndStops() async throws {
        let server = try await NetBoxLiteServer.start(NetBoxLiteConfiguration())
        #expect(server.url.host == "127.0.0.1")
        #expect((server.url.port ?? 0) > 0)
        #expect(server.token.count == 40 && server.token.allSatisfy(\.isHexDigit))

        let status = try await HTTP.get(server.url.appending(path: "api/status/"), token: server.token)
        #expect(status.status == 200)
        #expect(try JSON.parse(status.body)["netbox-version"] == "4.7.3")

        let refused = try await HTTP.get(server.url.appending(path: "api/status/"), token: nil)
        #expect(refused.status == 403)
        #expect(try JSON.parse(refused.body)["detail"] == "Authentication credentials were not provided.")

        // URLs in bodies are built from the Host the client used.
        let device = try JSON.parse(try await HTTP.get(server.url.appending(path: "api/dcim/devices/1/"), token: server.token).body)
        #expect(device["url"] == .string(server.url.absoluteString + "/api/dcim/devices/1/"))

        await server.stop()
        await #expect(throws: (any Error).self) { _ = try await HTTP.get(server.url.appending(path: "api/status/"), token: server.token, timeout: 2) }
        await server.stop()
    }

    @Test func keepsItsStateInTheDataFileAcrossRestarts() async throws {
        let directory = FileManager.default.temporaryDirectory.appending(path: "netboxlite-test-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let configuration = NetBoxLiteConfiguration(dataPath: directory.appending(path: "lab.sqlite").path)

        let first = try await NetBoxLiteServer.start(configuration)
        let patched = try await HTTP.send(
            "PATCH", first.url.appending(path: "api/dcim/devices/3/"), token: first.token, body: Data(#"{"status": "active"}"#.utf8))
        #expect(patched.status == 200)
        await first.stop()

        let second = try await NetBoxLiteServer.start(configuration)
        let device = try JSON.parse(try await HTTP.get(second.url.appending(path: "api/dcim/devices/3/"), token: second.token).body)
        #expect(device["status"]?["value"] == "active", "seeded once, not again on the second start")
        await second.stop()
    }

    @Test func aTakenPortIsAnErrorNotAHang() async throws {
        let first = try await NetBoxLiteServer.start(NetBoxLiteConfiguration())
        let error = await #expect(throws: NetBoxLiteError.self) {
            _ = try await NetBoxLiteServer.start(NetBoxLiteConfiguration(port: first.url.port ?? 0))
        }
        #expect(error?.code == .cannotListen)
        await first.stop()
    }

    @Test func refusesAMalformedV2Token() async throws {
        await #expect(throws: NetBoxLiteError.self) {
            _ = try await NetBoxLiteServer.start(NetBoxLiteConfiguration(v2Token: "nbt_without-secret"))
        }
    }
}
