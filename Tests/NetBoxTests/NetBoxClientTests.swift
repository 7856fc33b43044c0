import Foundation
import NetBox
import NetBoxLite
import Testing

/// The client against NetBoxLite on a real socket: the same code talks to a real NetBox.
@Suite("NetBox client", .serialized)
struct NetBoxClientTests {
    @Test func listsPlannedDevicesFollowingPagination() async throws {
        try await withLab(pageSize: 2) { client, _ in
            let planned = try await client.devices(status: ["planned"])
            #expect(planned.map(\.name) == ["loc1-core", "loc2-core", "loc3-core", "loc4-core", "loc5-core", "loc6-core"])
            #expect(planned.allSatisfy { $0.status.value == "planned" })
            #expect(try await client.device(named: "loc3-core")?.id == 3)
            #expect(try await client.device(named: "nope") == nil)
        }
    }

    @Test func patchesADeviceStatus() async throws {
        try await withLab { client, _ in
            let device = try await client.updateDevice(id: 2, .init(status: "active", description: "Node loc2-core"))
            #expect(device.status == NetBoxChoice(value: "active", label: "Active"))
            #expect(try await client.device(id: 2).description == "Node loc2-core")
            #expect(try await client.devices(status: ["planned"]).count == 5)
        }
    }

    @Test func freeInterfacesAreThePhysicalPortsNothingUses() async throws {
        try await withLab { client, _ in
            let free = try await client.freeInterfaces(deviceID: 1, speed: 10_000)
            #expect(free.map(\.name) == (1...9).map { "ethernet-1/\($0)" })
            #expect(try await client.freeInterfaces(deviceID: 1, speed: 100_000).isEmpty)
            #expect(try await client.freeInterfaces(deviceID: 1, type: "10gbase-x-sfpp").count == 9)
            #expect(try await client.freeInterfaces(deviceID: 1, type: "1000base-t").isEmpty, "mgmt0 is management")
            #expect(try await client.interfaces(deviceID: 1, name: "Loopback0").map(\.id) == [11])
        }
    }

    @Test func cableLifecycleBetweenTwoInterfaces() async throws {
        try await withLab { client, _ in
            let cable = try await client.createCable(.init(aSide: 1, bSide: 12, status: "planned", description: "core link"))
            #expect(cable.status.value == "planned")
            #expect(cable.aTerminations.map(\.objectID) == [1])
            #expect(cable.bTerminations.map(\.objectID) == [12])
            #expect(try await client.cable(onInterface: 12)?.id == cable.id, "a re-run step finds the cable on its port")
            #expect(!(try await client.freeInterfaces(deviceID: 1)).contains { $0.id == 1 })

            let connected = try await client.updateCable(id: cable.id, .init(status: "connected"))
            #expect(connected.status.value == "connected")
            try await client.deleteCable(id: cable.id)
            #expect(try await client.cable(onInterface: 1) == nil)
            #expect(try await client.freeInterfaces(deviceID: 1).contains { $0.id == 1 })
        }
    }

    @Test func allocatesAPointToPointPrefixAndAnAddressOnAnInterface() async throws {
        try await withLab { client, _ in
            let links = try #require(try await client.prefix("10.0.0.0/16"))
            let p2p = try await client.allocatePrefix(in: links, .init(prefixLength: 31, description: "loc1-core <-> loc2-core"))
            #expect(p2p.prefix == "10.0.0.0/31")
            let address = try await client.allocateAddress(in: p2p, .init(interface: 1, description: "loc1-core ethernet-1/1"))
            #expect(address.address == "10.0.0.0/31")
            #expect(address.assignedObjectID == 1)
            #expect(try await client.ipAddresses(interfaceID: 1).map(\.address) == ["10.0.0.0/31"])
            try await client.deleteIPAddress(id: address.id)
            #expect(try await client.ipAddresses(interfaceID: 1).isEmpty)
            try await client.deletePrefix(id: p2p.id)
        }
    }

    @Test func exhaustedPrefixSaysNoFreeBlockIsLeft() async throws {
        try await withLab { client, _ in
            let links = try #require(try await client.prefix("10.0.0.0/16"))
            let p2p = try await client.allocatePrefix(in: links, .init(prefixLength: 31))
            _ = try await client.allocateAddress(in: p2p, .init(interface: 1))
            _ = try await client.allocateAddress(in: p2p, .init(interface: 12))
            let error = try await #require(throws: NetBoxError.self) {
                try await client.allocateAddress(in: p2p, .init(interface: 2))
            }
            #expect(error.code == .exhausted)
            #expect(error.message == "no free address left in 10.0.0.0/31")
            #expect(!error.isRetryable)
        }
    }

    @Test func unknownObjectIsNotFoundNamingIt() async throws {
        try await withLab { client, _ in
            let error = try await #require(throws: NetBoxError.self) { try await client.device(id: 999_999) }
            #expect(error.code == .notFound)
            #expect(error.message == "device 999999 not found in NetBox")
        }
    }

    @Test func refusedDataIsAValidationErrorWithNetBoxsFieldMessages() async throws {
        try await withLab { client, _ in
            let error = try await #require(throws: NetBoxError.self) {
                try await client.createCable(.init(aSide: 1, bSide: 12, status: "bogus"))
            }
            #expect(error.code == .validation)
            #expect(error.status == 400)
            #expect(error.fields["status"]?.isEmpty == false)
            #expect(error.description.contains("status:"))
        }
    }

    @Test func badTokenIsAConfigurationErrorThatNeverShowsTheToken() async throws {
        try await withLab { _, server in
            let secret = String(repeating: "f", count: 40)
            let client = NetBoxClient(NetBoxConfiguration(url: server.url, token: secret))
            let error = try await #require(throws: NetBoxError.self) { try await client.devices() }
            #expect(error.code == .configuration)
            #expect(error.message.hasPrefix("NETBOX_TOKEN rejected by \(server.url.absoluteString)"))
            #expect(!error.description.contains(secret))
            #expect(!client.configuration.description.contains(secret))
        }
    }

    @Test func unreachableNetBoxIsTransientAndUnreachable() async throws {
        // Port 1: nothing listens there. (A port freed by stopping a server could be taken at
        // once by a server another test starts in parallel.)
        let url = try #require(URL(string: "http://127.0.0.1:1"))
        let client = NetBoxClient(NetBoxConfiguration(url: url, token: String(repeating: "a", count: 40), timeout: .seconds(5)))
        let error = try await #require(throws: NetBoxError.self) { try await client.devices() }
        #expect(error.code == .unavailable)
        #expect(error.isRetryable)
        #expect(error.isServiceUnreachable)
        #expect(error.message.contains("NetBox at \(url.absoluteString) refused the connection"))
    }

    @Test func environmentConfigurationNeedsBothVariables() throws {
        #expect(try NetBoxConfiguration.fromEnvironment([:]) == nil)
        #expect(throws: NetBoxError.self) { try NetBoxConfiguration.fromEnvironment(["NETBOX_URL": "http://netbox.lab"]) }
        #expect(throws: NetBoxError.self) { try NetBoxConfiguration.fromEnvironment(["NETBOX_URL": "netbox.lab", "NETBOX_TOKEN": "x"]) }
        let configuration = try #require(
            try NetBoxConfiguration.fromEnvironment(["NETBOX_URL": "https://netbox.lab", "NETBOX_TOKEN": "nbt_abc.def"]))
        #expect(configuration.url.absoluteString == "https://netbox.lab")
        #expect(!configuration.description.contains("nbt_abc.def"))
    }
}

/// A fresh NetBoxLite with the default lab, and a client for it; stopped afterwards.
func withLab(pageSize: Int = 100, _ body: (NetBoxClient, NetBoxLiteServer) async throws -> Void) async throws {
    let server = try await NetBoxLiteServer.start(NetBoxLiteConfiguration())
    do {
        let client = NetBoxClient(NetBoxConfiguration(url: server.url, token: server.token, timeout: .seconds(10), pageSize: pageSize))
        try await body(client, server)
    } catch {
        await server.stop()
        throw error
    }
    await server.stop()
}
