import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import NetBoxLite

/// Seeds that carry cables, addresses and the optional fields: read as the API would have
/// written them, refused with a message naming the object when a reference is wrong.
@Suite struct SeedInventoryTests {
    let token = "0123456789abcdef0123456789abcdef01234567"

    @Test func aSeededCableAndAddressReadAsIfMadeThroughTheAPI() async throws {
        let seed = try SeedFile(
            cables:
                #"[{"id": 40, "status": "planned", "type": "", "label": "a-b", "description": "core", "a_terminations": [1], "b_terminations": [4]}]"#,
            addresses:
                #"[{"id": 90, "address": "10.0.0.0/31", "status": "active", "role": "", "description": "a", "dns_name": "a.lab", "interface": 1}]"#,
            deviceFields: #""serial": "SN1", "description": "first", "primary_ip4": 90,"#)
        try await withLab(seed) { lab in
            let a = try await lab.get("/api/dcim/interfaces/1/")
            #expect(a["cable"]?["id"] == 40)
            #expect(a["cable_end"] == "A")
            #expect(a["link_peers"]?.arrayValue?.compactMap { $0["id"]?.intValue } == [4])
            #expect(try await lab.get("/api/dcim/interfaces/4/")["cable_end"] == "B")
            let cable = try await lab.get("/api/dcim/cables/40/")
            #expect(cable["status"]?["value"] == "planned")
            #expect(cable["type"] == .null)
            #expect(cable["b_terminations"]?.arrayValue?.first?["object_id"] == 4)
            let device = try await lab.get("/api/dcim/devices/1/")
            #expect(device["primary_ip4"]?["id"] == 90)
            #expect(device["serial"] == "SN1")
            #expect(device["description"] == "first")
            let address = try await lab.get("/api/ipam/ip-addresses/90/")
            #expect(address["assigned_object_id"] == 1)
            #expect(address["dns_name"] == "a.lab")
            let spare = try await lab.get("/api/dcim/interfaces/3/")
            #expect(spare["mark_connected"] == true)
            #expect(spare["enabled"] == false)
            #expect(spare["description"] == "spare")
        }
    }

    @Test func objectsCreatedThroughTheAPIGetIDsAboveTheSeededOnes() async throws {
        let seed = try SeedFile(
            cables:
                #"[{"id": 40, "status": "connected", "type": "cat6", "label": "", "description": "", "a_terminations": [1], "b_terminations": [4]}]"#,
            addresses: #"[{"id": 90, "address": "10.0.0.0/31", "status": "active", "role": "", "description": "", "dns_name": ""}]"#)
        try await withLab(seed) { lab in
            let cable = try await lab.post(
                "/api/dcim/cables/",
                #"{"a_terminations": [{"object_type": "dcim.interface", "object_id": 2}], "b_terminations": [{"object_type": "dcim.interface", "object_id": 5}]}"#
            )
            #expect(cable["id"] == 41)
            let address = try await lab.post("/api/ipam/ip-addresses/", #"{"address": "192.0.2.1/24"}"#)
            #expect(address["id"] == 91)
            let prefix = try await lab.post("/api/ipam/prefixes/", #"{"prefix": "192.0.2.0/24"}"#)
            #expect(prefix["id"] == 8)
        }
    }

    @Test(arguments: [
        (
            #"[{"id": 7, "status": "connected", "a_terminations": [1], "b_terminations": [999]}]"#, "[]",
            "seed cable 7 ends on interface 999 (side B), which the seed does not define"
        ),
        (
            #"[{"id": 7, "status": "connected", "a_terminations": [1], "b_terminations": [1]}]"#, "[]",
            "seed cable 7 ends on interface 1, which already holds an end of cable 7"
        ),
        (
            #"[{"id": 7, "status": "linked", "a_terminations": [1], "b_terminations": [4]}]"#, "[]",
            "cable 7 status \"linked\" is not one of NetBox's choices"
        ),
        (
            "[]", #"[{"id": 9, "address": "10.0.0.1/31", "status": "active", "interface": 999}]"#,
            "seed IP address 9 (10.0.0.1/31) is assigned to interface 999, which the seed does not define"
        ),
        (
            "[]", #"[{"id": 9, "address": "10.0.0.300/31", "status": "active"}]"#,
            "seed IP address 9 is not an address with a mask, such as 10.0.0.1/31: 10.0.0.300/31"
        ),
    ])
    func refusesASeedWithABadReference(cables: String, addresses: String, message: String) async throws {
        let seed = try SeedFile(cables: cables, addresses: addresses)
        defer { seed.remove() }
        let error = await #expect(throws: NetBoxLiteError.self) {
            _ = try await buildApplication(NetBoxLiteConfiguration(token: token, seed: seed.url))
        }
        #expect(error?.code == .badSeed)
        #expect(error?.message == message)
    }

    @Test func refusesAPrimaryAddressTheSeedDoesNotHold() async throws {
        let seed = try SeedFile(cables: "[]", addresses: "[]", deviceFields: #""primary_ip6": 90,"#)
        defer { seed.remove() }
        let error = await #expect(throws: NetBoxLiteError.self) {
            _ = try await buildApplication(NetBoxLiteConfiguration(token: token, seed: seed.url))
        }
        #expect(error?.message == "seed device 1 names IP address 90 as its primary IPv6 address, and the seed has no such IPv6 address")
    }

    /// Runs `body` against a NetBoxLite seeded with `seed`, through the router.
    private func withLab(_ seed: SeedFile, _ body: @escaping @Sendable (SeededLab) async throws -> Void) async throws {
        defer { seed.remove() }
        let app = try await buildApplication(NetBoxLiteConfiguration(token: token, seed: seed.url))
        try await app.test(.router) { client in
            try await body(SeededLab(client: ReplayClient(client: client), token: token))
        }
    }
}

/// A seeded NetBoxLite behind the router client; answers other than 2xx fail the call.
private struct SeededLab {
    let client: ReplayClient
    let token: String

    func get(_ path: String) async throws -> JSON {
        try body(of: try await client.send("GET", path, authorization: "Token \(token)"))
    }

    func post(_ path: String, _ text: String) async throws -> JSON {
        try body(of: try await client.send("POST", path, authorization: "Token \(token)", body: try JSON.parse(Data(text.utf8))))
    }

    private func body(of answer: ReplayClient.Answer) throws -> JSON {
        try #require((200..<300).contains(answer.status), "\(answer.status): \(answer.text)")
        return try #require(answer.body)
    }
}

/// A small seed in a temporary file: one site, type and role, two devices of three
/// interfaces (1–3 and 4–6; interface 3 disabled, marked connected, described "spare"),
/// prefix 7, and the cables and addresses given.
private struct SeedFile {
    let url: URL

    init(cables: String, addresses: String, deviceFields: String = "") throws {
        url = FileManager.default.temporaryDirectory.appending(path: "seed-\(UUID().uuidString).json")
        let text = """
            {
              "sites": [{"id": 1, "name": "Lab", "slug": "lab", "status": "active"}],
              "manufacturers": [{"id": 1, "name": "Nokia", "slug": "nokia"}],
              "device_types": [{"id": 1, "model": "7220", "slug": "7220", "manufacturer": "nokia"}],
              "interface_templates": [],
              "device_roles": [{"id": 1, "name": "router", "slug": "router", "color": "2196f3"}],
              "devices": [
                {"id": 1, "name": "a", "status": "active", "site": "lab", "role": "router", "device_type": "7220", \(deviceFields)
                 "interfaces": [
                   {"id": 1, "name": "e1", "type": "10gbase-x-sfpp", "enabled": true, "mgmt_only": false},
                   {"id": 2, "name": "e2", "type": "10gbase-x-sfpp", "enabled": true, "mgmt_only": false},
                   {"id": 3, "name": "e3", "type": "10gbase-x-sfpp", "enabled": false, "mgmt_only": false, "mark_connected": true,
                    "description": "spare"}]},
                {"id": 2, "name": "b", "status": "planned", "site": "lab", "role": "router", "device_type": "7220",
                 "interfaces": [
                   {"id": 4, "name": "e1", "type": "10gbase-x-sfpp", "enabled": true, "mgmt_only": false},
                   {"id": 5, "name": "e2", "type": "10gbase-x-sfpp", "enabled": true, "mgmt_only": false},
                   {"id": 6, "name": "e3", "type": "10gbase-x-sfpp", "enabled": true, "mgmt_only": false}]}
              ],
              "prefixes": [{"id": 7, "prefix": "10.0.0.0/16", "status": "container", "is_pool": false, "description": "links"}],
              "cables": \(cables),
              "ip_addresses": \(addresses)
            }
            """
        try Data(text.utf8).write(to: url)
    }

    func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}
