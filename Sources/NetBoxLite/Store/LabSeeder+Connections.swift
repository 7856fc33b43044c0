import GRDB

/// Cables and IP addresses: the seed objects that point at interfaces.
extension LabSeeder {
    /// The cables and their termination rows, as `POST /api/dcim/cables/` writes them. The
    /// interfaces already carry their cable and end (see `SeedReferences.cableEnds`).
    func insertCables(into db: Database) throws {
        var terminationID = 0
        for cable in seed.cables {
            try check(cable.status, in: choices.cableStatus, what: "cable \(cable.id) status")
            try check(cable.type ?? "", in: choices.cableType, what: "cable \(cable.id) type", allowBlank: true)
            try CableRecord(
                id: cable.id, type: cable.type ?? "", status: cable.status, label: cable.label ?? "", color: cable.color ?? "",
                description: cable.description ?? "", comments: cable.comments ?? "", created: now, lastUpdated: now
            ).insert(db)
            for (end, side) in [("A", cable.aTerminations), ("B", cable.bTerminations)] {
                for interface in side {
                    terminationID += 1
                    try CableTerminationRecord(
                        id: terminationID, cableID: cable.id, cableEnd: end, terminationType: ObjectType.interface, terminationID: interface
                    ).insert(db)
                }
            }
        }
    }

    func insertAddresses(into db: Database) throws {
        for address in seed.ipAddresses {
            try check(address.status, in: choices.ipAddressStatus, what: "IP address \(address.address) status")
            try check(address.role ?? "", in: choices.ipAddressRole, what: "IP address \(address.address) role", allowBlank: true)
            try IPAddressRecord(
                id: address.id, address: try SeedReferences.network(of: address), status: address.status, role: address.role ?? "",
                assignedObjectType: address.interface.map { _ in ObjectType.interface }, assignedObjectID: address.interface,
                dnsName: address.dnsName ?? "", description: address.description ?? "", comments: address.comments ?? "",
                created: now, lastUpdated: now
            ).insert(db)
        }
    }
}

/// What the seed's devices, cables and addresses point at, checked before any of them is
/// written: a cable or an address on an interface the seed does not define, an interface on
/// two cable ends, an address that does not parse or a primary address that is not one of
/// the seed's is refused, naming the object.
struct SeedReferences {
    struct CableEnd {
        let cable: Int
        /// `A` or `B`.
        let end: String
    }

    /// Each cabled interface's cable and end, by interface id.
    let cableEnds: [Int: CableEnd]
    /// The seed's addresses, by id.
    let addresses: [Int: IPNetwork]

    init(_ seed: LabSeed) throws {
        let interfaces = Set(seed.devices.flatMap { $0.interfaces.map(\.id) })
        cableEnds = try Self.cableEnds(of: seed.cables, interfaces: interfaces)
        var addresses: [Int: IPNetwork] = [:]
        for address in seed.ipAddresses {
            if let interface = address.interface, !interfaces.contains(interface) {
                throw NetBoxLiteError(
                    .badSeed,
                    "seed IP address \(address.id) (\(address.address)) is assigned to interface \(interface), which the seed does not define")
            }
            addresses[address.id] = try Self.network(of: address)
        }
        self.addresses = addresses
    }

    /// The address with its mask; a text that is not one, or a /0, is refused.
    static func network(of address: LabSeed.IPAddress) throws -> IPNetwork {
        guard let network = IPNetwork(address.address), address.address.contains("/"), network.prefixLength > 0 else {
            throw NetBoxLiteError(.badSeed, "seed IP address \(address.id) is not an address with a mask, such as 10.0.0.1/31: \(address.address)")
        }
        return network
    }

    /// A device's primary address: nil, or the id of one of the seed's addresses of `family`.
    func primaryAddress(_ id: Int?, family: IPFamily, of device: LabSeed.Device) throws -> Int? {
        guard let id else { return nil }
        guard addresses[id]?.family == family else {
            throw NetBoxLiteError(
                .badSeed,
                "seed device \(device.id) names IP address \(id) as its primary \(family.label) address, and the seed has no such \(family.label) address"
            )
        }
        return id
    }

    private static func cableEnds(of cables: [LabSeed.Cable], interfaces: Set<Int>) throws -> [Int: CableEnd] {
        var ends: [Int: CableEnd] = [:]
        for cable in cables {
            guard !cable.aTerminations.isEmpty || !cable.bTerminations.isEmpty else {
                throw NetBoxLiteError(.badSeed, "seed cable \(cable.id) has no terminations: list interface ids in a_terminations and b_terminations")
            }
            for (end, side) in [("A", cable.aTerminations), ("B", cable.bTerminations)] {
                for interface in side {
                    guard interfaces.contains(interface) else {
                        throw NetBoxLiteError(
                            .badSeed, "seed cable \(cable.id) ends on interface \(interface) (side \(end)), which the seed does not define")
                    }
                    if let taken = ends[interface] {
                        throw NetBoxLiteError(
                            .badSeed, "seed cable \(cable.id) ends on interface \(interface), which already holds an end of cable \(taken.cable)")
                    }
                    ends[interface] = CableEnd(cable: cable.id, end: end)
                }
            }
        }
        return ends
    }
}
