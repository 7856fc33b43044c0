import Hummingbird
import HummingbirdTesting
import Testing

@testable import NetBoxLite

/// What the create_node and create_circuit workflows do to NetBox, and their terminate,
/// beyond the recordings: each answer computed from the lab's state.
@Suite struct WorkflowScenarioTests {
    let token = "0123456789abcdef0123456789abcdef01234567"

    private func withLab(_ body: @Sendable (Lab) async throws -> Void) async throws {
        let app = try await buildApplication(NetBoxLiteConfiguration(token: token))
        try await app.test(.router) { client in try await body(Lab(client: ReplayClient(client: client), token: token)) }
    }

    struct Lab {
        let client: ReplayClient
        let token: String

        func call(_ method: String, _ uri: String, _ body: JSON? = nil, expect status: Int = 200) async throws -> JSON {
            let answer = try await client.send(method, uri, authorization: "Token \(token)", body: body)
            #expect(answer.status == status, "\(method) \(uri): \(answer.text)")
            return answer.body ?? .null
        }
    }

    @Test func createNodeGivesTheDeviceItsLoopbacksAndMakesItActive() async throws {
        try await withLab { lab in
            let loopback = try await lab.call("GET", "/api/dcim/interfaces/?device_id=3&name=Loopback0")["results"]?.arrayValue?.first
            #expect(loopback?["id"] == 33)
            let v4 = try await lab.call(
                "POST", "/api/ipam/prefixes/1/available-ips/",
                ["prefix_length": 32, "assigned_object_type": "dcim.interface", "assigned_object_id": 33, "role": "loopback"], expect: 201)
            let v6 = try await lab.call(
                "POST", "/api/ipam/prefixes/2/available-ips/",
                ["prefix_length": 128, "assigned_object_type": "dcim.interface", "assigned_object_id": 33, "role": "loopback"], expect: 201)
            #expect(v4["address"] == "10.0.127.1/32")
            #expect(v6["address"] == "fc00:0:0:127::1/128")

            let device = try await lab.call(
                "PATCH", "/api/dcim/devices/3/", ["status": "active", "primary_ip4": v4["id"] ?? nil, "primary_ip6": v6["id"] ?? nil])
            #expect(device["status"]?["value"] == "active")
            #expect(device["primary_ip"]?["address"] == "fc00:0:0:127::1/128", "NetBox prefers IPv6 for primary_ip")
            #expect(device["primary_ip4"]?["address"] == "10.0.127.1/32")

            // A re-run step looks before it allocates.
            #expect(try await lab.call("GET", "/api/ipam/ip-addresses/?address=10.0.127.1")["count"] == 1)
            #expect(try await lab.call("GET", "/api/ipam/ip-addresses/?interface_id=33")["count"] == 2)
            #expect(try await lab.call("GET", "/api/dcim/interfaces/33/")["count_ipaddresses"] == 2)

            // Another device's address cannot be this one's primary.
            let error = try await lab.call("PATCH", "/api/dcim/devices/4/", ["primary_ip4": v4["id"] ?? nil], expect: 400)
            #expect(error["primary_ip4"] == ["The specified IP address (10.0.127.1/32) is not assigned to this device."])

            // Deleting the address clears the device's primary IP, as NetBox's SET_NULL does.
            _ = try await lab.call("DELETE", "/api/ipam/ip-addresses/\(v4["id"]?.intValue ?? 0)/", expect: 204)
            #expect(try await lab.call("GET", "/api/dcim/devices/3/")["primary_ip4"] == .null)
        }
    }

    @Test func createCircuitCablesTwoFreePortsAndAddressesThem() async throws {
        try await withLab { lab in
            let free = "/api/dcim/interfaces/?device_id=3&cabled=false&mark_connected=false&mgmt_only=false&kind=physical"
            #expect(try await lab.call("GET", free)["count"] == 9)

            let cable = try await lab.call(
                "POST", "/api/dcim/cables/",
                [
                    "a_terminations": [["object_type": "dcim.interface", "object_id": 23]],
                    "b_terminations": [["object_type": "dcim.interface", "object_id": 34]], "status": "planned",
                ], expect: 201)
            #expect(cable["display"] == "#1", "an unlabelled cable reads #<id>")
            #expect(try await lab.call("GET", free)["count"] == 8)
            #expect(try await lab.call("GET", "/api/dcim/cables/?interface_id=34")["count"] == 1)
            #expect(try await lab.call("GET", "/api/dcim/cables/?device_id=5")["count"] == 0)

            let p2p = try await lab.call("POST", "/api/ipam/prefixes/3/available-prefixes/", ["prefix_length": 31], expect: 201)
            let addresses = try await lab.call(
                "POST", "/api/ipam/prefixes/\(p2p["id"]?.intValue ?? 0)/available-ips/",
                [
                    ["assigned_object_type": "dcim.interface", "assigned_object_id": 23],
                    ["assigned_object_type": "dcim.interface", "assigned_object_id": 34],
                ], expect: 201)
            #expect(addresses.arrayValue?.compactMap { $0["address"]?.stringValue } == ["10.0.0.0/31", "10.0.0.1/31"])

            // Nothing half-done: a bulk request the prefix cannot fill creates nothing.
            let full = try await lab.call(
                "POST", "/api/ipam/prefixes/3/available-prefixes/", [["prefix_length": 17], ["prefix_length": 17]], expect: 409)
            #expect(full["detail"] == "Insufficient resources are available to satisfy the request")
            #expect(try await lab.call("GET", "/api/ipam/prefixes/?within=10.0.0.0/16")["count"] == 2)

            let marked = try await lab.call("PATCH", "/api/dcim/interfaces/23/", ["mark_connected": true], expect: 400)
            #expect(marked["mark_connected"] == ["Cannot mark as connected with a cable attached."])

            _ = try await lab.call("PATCH", "/api/dcim/cables/1/", ["status": "connected"])
            let port = try await lab.call("GET", "/api/dcim/interfaces/34/")
            #expect(port["cable_end"] == "B")
            #expect(port["connected_endpoints_reachable"] == true)
            #expect(port["link_peers"]?.arrayValue?.first?["id"] == 23)

            // Terminate: the cable goes, the ports are free again.
            _ = try await lab.call("DELETE", "/api/dcim/cables/1/", expect: 204)
            #expect(try await lab.call("GET", free)["count"] == 9)
            #expect(try await lab.call("GET", "/api/dcim/interfaces/23/trace/") == [])
        }
    }

    @Test func aNewDeviceGetsItsTypesInterfaces() async throws {
        try await withLab { lab in
            let device = try await lab.call("POST", "/api/dcim/devices/", ["name": "loc7-core", "device_type": 1, "role": 1, "site": 1], expect: 201)
            #expect(device["status"]?["value"] == "active")
            #expect(device["interface_count"] == 10)
            let interfaces = try await lab.call("GET", "/api/dcim/interfaces/?device=loc7-core&limit=0&brief=true")
            #expect(interfaces["count"] == 10)
            let duplicate = try await lab.call(
                "POST", "/api/dcim/devices/", ["name": "LOC7-core", "device_type": 1, "role": 1, "site": 1], expect: 400)
            #expect(duplicate["__all__"] == ["Device name must be unique per site and tenant."])
            let unknown = try await lab.call("POST", "/api/dcim/devices/", ["name": "x", "device_type": 9, "role": 1, "site": 1], expect: 400)
            #expect(unknown["device_type"] == ["Related object not found using the provided numeric ID: 9"])
        }
    }
}
