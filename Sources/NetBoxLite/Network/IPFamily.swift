/// An IP address family, numbered as NetBox numbers it (`{"value": 4, "label": "IPv4"}`).
enum IPFamily: Int, Sendable, Hashable, Comparable {
    case v4 = 4
    case v6 = 6

    /// Address width in bits.
    var bits: Int { self == .v4 ? 32 : 128 }

    /// The largest address of the family.
    var maxAddress: UInt128 { self == .v4 ? UInt128(UInt32.max) : UInt128.max }

    var label: String { self == .v4 ? "IPv4" : "IPv6" }

    /// `{"value": 4, "label": "IPv4"}`.
    var json: JSON { ["value": .int(rawValue), "label": .string(label)] }

    static func < (lhs: IPFamily, rhs: IPFamily) -> Bool { lhs.rawValue < rhs.rawValue }
}
