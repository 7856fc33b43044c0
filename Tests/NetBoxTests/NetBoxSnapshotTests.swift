import Foundation
import NetBox
import NetBoxLite
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `inventorySnapshot()` against NetBoxLite: a NetBoxLite seeded with the snapshot answers
/// as the original does, and gives new objects new ids.
@Suite("NetBox inventory snapshot", .serialized)
struct NetBoxSnapshotTests {
    static let lists = ["/api/dcim/devices/", "/api/dcim/interfaces/", "/api/dcim/cables/", "/api/ipam/prefixes/", "/api/ipam/ip-addresses/"]

    @Test func aCopySeededFromTheSnapshotListsTheSameObjects() async throws {
        try await withLab { client, original in
            try await changeTheLab(client)
            try await withCopy(of: try await client.inventorySnapshot()) { _, copy in
                for path in Self.lists {
                    let expected = try await objects(path, on: original)
                    let actual = try await objects(path, on: copy)
                    #expect(!expected.isEmpty, "\(path)")
                    #expect(actual.count == expected.count, "\(path)")
                    for (wanted, got) in zip(expected, actual) {
                        #expect(got == wanted, "\(path)")
                    }
                }
            }
        }
    }

    @Test func objectsCreatedOnTheCopyGetIDsAboveTheCopiedOnes() async throws {
        try await withLab { client, _ in
            try await changeTheLab(client)
            let seed = try await client.inventorySnapshot()
            let seeded = try highestIDs(in: seed)
            try await withCopy(of: seed) { copy, _ in
                let cable = try await copy.createCable(.init(aSide: 2, bSide: 13, status: "planned"))
                #expect(cable.id > seeded["cables", default: 0])
                let address = try await copy.createIPAddress("192.0.2.1/24", interface: nil)
                #expect(address.id > seeded["ip_addresses", default: 0])
                let links = try #require(try await copy.prefix("10.0.0.0/16"))
                let prefix = try await copy.allocatePrefix(in: links, .init(prefixLength: 31))
                #expect(prefix.id > seeded["prefixes", default: 0])
                #expect(prefix.prefix == "10.0.0.2/31", "the copied /31 is taken")
            }
        }
    }

    @Test func theSummaryCountsWhatWasCopied() async throws {
        try await withLab { client, _ in
            try await changeTheLab(client)
            let summary = try NetBoxSnapshotSummary(seed: try await client.inventorySnapshot())
            #expect(summary.sites == 1)
            #expect(summary.description == "6 devices, 66 interfaces, 5 prefixes, 1 cable, 3 addresses")
        }
    }

    /// A cable, a /31 with an address on each end, a loopback address, a primary address, a
    /// new device status, an interface described and disabled, another marked connected.
    private func changeTheLab(_ client: NetBoxClient) async throws {
        _ = try await client.createCable(.init(aSide: 1, bSide: 12, status: "planned", label: "loc1-loc2", description: "core link"))
        let links = try #require(try await client.prefix("10.0.0.0/16"))
        let p2p = try await client.allocatePrefix(in: links, .init(prefixLength: 31, description: "loc1-core <-> loc2-core"))
        _ = try await client.allocateAddress(in: p2p, .init(interface: 1, description: "loc1-core ethernet-1/1"))
        _ = try await client.allocateAddress(in: p2p, .init(interface: 12, description: "loc2-core ethernet-1/1"))
        let loopbacks = try #require(try await client.prefix("10.0.127.0/24"))
        let loopback = try await client.allocateAddress(in: loopbacks, .init(interface: 11, role: "loopback", prefixLength: 32))
        _ = try await client.updateDevice(id: 1, .init(status: "active", primaryIP4: loopback.id))
        _ = try await client.updateInterface(id: 3, .init(description: "spare", enabled: false))
        _ = try await client.updateInterface(id: 4, .init(markConnected: true))
    }

    /// Runs `body` against a NetBoxLite seeded with `seed`.
    private func withCopy(of seed: Data, _ body: (NetBoxClient, NetBoxLiteServer) async throws -> Void) async throws {
        let file = FileManager.default.temporaryDirectory.appending(path: "netbox-snapshot-\(UUID().uuidString).json")
        try seed.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let server = try await NetBoxLiteServer.start(NetBoxLiteConfiguration(seed: file))
        do {
            try await body(NetBoxClient(NetBoxConfiguration(url: server.url, token: server.token, timeout: .seconds(10))), server)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    /// The objects of a list (`limit=1000`), each as sorted JSON text without `created` and
    /// `last_updated`, and with the server's own address in URLs written as `<base>`.
    private func objects(_ path: String, on server: NetBoxLiteServer) async throws -> [String] {
        var request = URLRequest(url: try #require(URL(string: server.url.absoluteString + path + "?limit=1000")))
        request.setValue("Token \(server.token)", forHTTPHeaderField: "Authorization")
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        let (data, _) = try await URLSession.shared.data(for: request)
        let base = server.url.absoluteString.hasSuffix("/") ? String(server.url.absoluteString.dropLast()) : server.url.absoluteString
        let text = String(decoding: data, as: UTF8.self).replacingOccurrences(of: base, with: "<base>")
        let page = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let results = try #require(page["results"] as? [Any])
        return try results.map { object in
            String(decoding: try JSONSerialization.data(withJSONObject: withoutTimestamps(object), options: [.sortedKeys]), as: UTF8.self)
        }
    }

    private func withoutTimestamps(_ value: Any) -> Any {
        if let object = value as? [String: Any] {
            return object.filter { !["created", "last_updated"].contains($0.key) }.mapValues(withoutTimestamps)
        }
        if let array = value as? [Any] { return array.map(withoutTimestamps) }
        return value
    }

    /// The highest id of each list of a seed file (`cables`: 1, …).
    private func highestIDs(in seed: Data) throws -> [String: Int] {
        let lists = try #require(try JSONSerialization.jsonObject(with: seed) as? [String: Any])
        return lists.compactMapValues { list in
            (list as? [[String: Any]])?.compactMap { $0["id"] as? Int }.max()
        }
    }
}
