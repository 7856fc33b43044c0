/// An address with its mask, as netaddr's `IPNetwork` and PostgreSQL's `inet` hold it:
/// host bits are kept (`10.0.0.1/31` is an IP address; `10.0.0.0/31` its prefix).
struct IPNetwork: Sendable, Hashable, CustomStringConvertible {
    let family: IPFamily
    /// The address as written, host bits included.
    let address: UInt128
    let prefixLength: Int

    init(family: IPFamily, address: UInt128, prefixLength: Int) {
        self.family = family
        self.address = address
        self.prefixLength = prefixLength
    }

    /// Parses `10.0.0.1/31`, `fc00::1/64`, or an address alone (a host: /32 or /128).
    /// Returns nil for anything else, including a mask longer than the family allows.
    init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let host = String(parts[0])
        let family: IPFamily
        let address: UInt128
        if let v4 = IPNetwork.parseIPv4(host) {
            (family, address) = (.v4, v4)
        } else if let v6 = IPNetwork.parseIPv6(host) {
            (family, address) = (.v6, v6)
        } else {
            return nil
        }
        var length = family.bits
        if parts.count == 2 {
            guard parts[1].allSatisfy({ $0.isASCII && $0.isNumber }), let parsed = Int(parts[1]), (0...family.bits).contains(parsed) else {
                return nil
            }
            length = parsed
        }
        self.init(family: family, address: address, prefixLength: length)
    }

    /// The bits that belong to the network part.
    var netmask: UInt128 {
        prefixLength == 0 ? 0 : family.maxAddress ^ hostmask
    }

    /// The bits that belong to the host part.
    var hostmask: UInt128 {
        let hostBits = family.bits - prefixLength
        return hostBits == 128 ? UInt128.max : (UInt128(1) << hostBits) - 1
    }

    /// The first address of the network.
    var first: UInt128 { address & netmask }

    /// The last address of the network (the IPv4 broadcast address).
    var last: UInt128 { first | hostmask }

    /// The same network with the host bits cleared (`10.0.0.1/24` -> `10.0.0.0/24`).
    var cidr: IPNetwork { IPNetwork(family: family, address: first, prefixLength: prefixLength) }

    /// Whether `address` (of this family) lies inside this network.
    func contains(address other: UInt128) -> Bool {
        other & netmask == first
    }

    /// Whether `other` lies inside this network, equal to it included.
    func contains(_ other: IPNetwork) -> Bool {
        other.family == family && other.prefixLength >= prefixLength && contains(address: other.address)
    }

    /// Whether `other` lies strictly inside this network (PostgreSQL's `<<`).
    func strictlyContains(_ other: IPNetwork) -> Bool {
        contains(other) && other.prefixLength > prefixLength
    }

    /// The address alone, as text (`10.0.0.1`, `fc00::1`).
    var hostText: String { IPNetwork.format(address, family: family) }

    /// `address/length`, as netaddr writes it.
    var description: String { "\(hostText)/\(prefixLength)" }

    /// The network with this address and another mask.
    func withPrefixLength(_ length: Int) -> IPNetwork {
        IPNetwork(family: family, address: address, prefixLength: length)
    }
}

extension IPNetwork: Comparable {
    /// PostgreSQL's order for `inet`/`cidr`, which NetBox's lists follow: family, then the
    /// network bits both share, then the shorter mask first, then the whole address.
    static func < (lhs: IPNetwork, rhs: IPNetwork) -> Bool {
        if lhs.family != rhs.family { return lhs.family < rhs.family }
        let common = min(lhs.prefixLength, rhs.prefixLength)
        let mask = IPNetwork(family: lhs.family, address: 0, prefixLength: common).netmask
        if lhs.address & mask != rhs.address & mask { return lhs.address & mask < rhs.address & mask }
        if lhs.prefixLength != rhs.prefixLength { return lhs.prefixLength < rhs.prefixLength }
        return lhs.address < rhs.address
    }
}
