import Testing

@testable import NetBoxLite

/// Address parsing, printing, ordering and free space, as netaddr and PostgreSQL do them.
@Suite struct AddressingTests {
    @Test(arguments: [
        ("10.0.0.1/31", "10.0.0.1/31"), ("10.0.0.1", "10.0.0.1/32"), ("fc00:0:0:10::/64", "fc00:0:0:10::/64"),
        ("FC00:0000:0000:0127:0000:0000:0000:0001/128", "fc00:0:0:127::1/128"), ("2001:db8:0:0:1:0:0:1/64", "2001:db8::1:0:0:1/64"),
        ("::/0", "::/0"), ("::ffff:10.0.0.1/128", "::ffff:a00:1/128"), ("1:2:3:4:5:6:7:8/64", "1:2:3:4:5:6:7:8/64"),
    ])
    func parsesAndPrintsAsNetaddr(text: String, printed: String) throws {
        #expect(try #require(IPNetwork(text)).description == printed)
    }

    @Test(arguments: ["10.0.0.300/31", "10.0.0/24", "10.0.0.1/33", "10.0.0.1/", "fc00::1::2/64", "fc00::/129", "010.0.0.1/8", "hello", ""])
    func rejectsWhatIsNoAddress(text: String) {
        #expect(IPNetwork(text) == nil)
    }

    @Test func ordersAsPostgreSQLOrdersInet() throws {
        let sorted = ["fc00:0:0:10::/64", "10.0.127.0/24", "10.0.0.0/31", "10.0.0.0/16", "10.0.0.1/31"].compactMap(IPNetwork.init).sorted()
        #expect(sorted.map(\.description) == ["10.0.0.0/16", "10.0.0.0/31", "10.0.0.1/31", "10.0.127.0/24", "fc00:0:0:10::/64"])
    }

    @Test func freeSpaceSplitsIntoTheLargestAlignedBlocks() throws {
        var free = AddressSet(try #require(IPNetwork("10.0.0.0/16")))
        free.remove(try #require(IPNetwork("10.0.127.0/24")))
        #expect(free.cidrs.first?.description == "10.0.0.0/18")
        #expect(free.cidrs.last?.description == "10.0.128.0/17")
        #expect(free.allocate(prefixLength: 31)?.description == "10.0.0.0/31")
        #expect(free.allocate(prefixLength: 31)?.description == "10.0.0.2/31")
        #expect(free.allocate(prefixLength: 15) == nil)
    }

    @Test func aWholeIPv6SpaceHasOneBlock() throws {
        let free = AddressSet(try #require(IPNetwork("::/0")))
        #expect(free.cidrs.map(\.description) == ["::/0"])
        #expect(free.addresses(limit: 2).map { IPNetwork.format($0, family: .v6) } == ["::", "::1"])
    }

    @Test func interfacesSortInNetBoxsNaturalOrder() {
        let names = ["mgmt0", "ethernet-1/10", "Loopback0", "ethernet-1/2", "ethernet-1/1", "ethernet-2/1", "ethernet-1/1.100"]
        let sorted = names.sorted { NaturalOrder.isOrdered(NaturalOrder.interfaceKey($0), before: NaturalOrder.interfaceKey($1)) }
        #expect(sorted == ["ethernet-1/1", "ethernet-1/1.100", "ethernet-1/2", "ethernet-1/10", "ethernet-2/1", "Loopback0", "mgmt0"])
    }

    @Test func namesSortWithNumbersAsNumbers() {
        let sorted = ["loc10-core", "loc2-core", "loc1-core"].sorted { NaturalOrder.isOrdered(NaturalOrder.key($0), before: NaturalOrder.key($1)) }
        #expect(sorted == ["loc1-core", "loc2-core", "loc10-core"])
    }
}
