/// Questions about the lab that several endpoints ask, answered the way NetBox does.
extension Lab {
    /// NetBox's `str(device)`: its name, else "<manufacturer> <model> (<id>)".
    func display(of device: DeviceRecord) -> String {
        if let name = device.name { return name }
        let type = deviceTypes[device.deviceTypeID]
        let manufacturer = type.flatMap { manufacturers[$0.manufacturerID] }?.name ?? ""
        return "\(manufacturer) \(type?.model ?? "") (\(device.id))"
    }

    /// The interfaces on end `end` of cable `cableID`, in termination order.
    func terminations(of cableID: Int, end: String) -> [InterfaceRecord] {
        cableTerminations.values
            .filter { $0.cableID == cableID && $0.cableEnd == end && $0.terminationType == ObjectType.interface }
            .sorted { $0.id < $1.id }
            .compactMap { interfaces[$0.terminationID] }
    }

    /// The interfaces at the far end of this interface's cable (NetBox's `link_peers`).
    func linkPeers(of interface: InterfaceRecord) -> [InterfaceRecord] {
        guard let cableID = interface.cableID, let end = interface.cableEnd else { return [] }
        return terminations(of: cableID, end: end == "A" ? "B" : "A")
    }

    /// Every cable with an end on one of `interfaceIDs`, by id.
    func cables(touching interfaceIDs: Set<Int>) -> Set<Int> {
        Set(cableTerminations.values.filter { interfaceIDs.contains($0.terminationID) }.map(\.cableID))
    }

    /// Devices in NetBox's order: natural name order, then id.
    var orderedDevices: [DeviceRecord] {
        devices.values.sorted { lhs, rhs in
            let (left, right) = (NaturalOrder.key(lhs.name ?? ""), NaturalOrder.key(rhs.name ?? ""))
            return left == right ? lhs.id < rhs.id : NaturalOrder.isOrdered(left, before: right)
        }
    }

    /// Interfaces in NetBox's order: by device (in device order), then natural interface order.
    var orderedInterfaces: [InterfaceRecord] {
        let devicePosition = Dictionary(uniqueKeysWithValues: orderedDevices.enumerated().map { ($1.id, $0) })
        return interfaces.values.map { (record: $0, key: NaturalOrder.interfaceKey($0.name)) }
            .sorted { lhs, rhs in
                let (left, right) = (devicePosition[lhs.record.deviceID] ?? 0, devicePosition[rhs.record.deviceID] ?? 0)
                if left != right { return left < right }
                if lhs.key != rhs.key { return NaturalOrder.isOrdered(lhs.key, before: rhs.key) }
                return lhs.record.id < rhs.record.id
            }
            .map(\.record)
    }

    /// Cables by id.
    var orderedCables: [CableRecord] {
        cables.values.sorted { $0.id < $1.id }
    }

    /// Prefixes in NetBox's order (VRF, then prefix as PostgreSQL orders `cidr`, then id).
    var orderedPrefixes: [PrefixRecord] {
        prefixes.values.sorted { $0.prefix == $1.prefix ? $0.id < $1.id : $0.prefix < $1.prefix }
    }

    /// IP addresses in NetBox's order (address as PostgreSQL orders `inet`, then id).
    var orderedIPAddresses: [IPAddressRecord] {
        ipAddresses.values.sorted { $0.address == $1.address ? $0.id < $1.id : $0.address < $1.address }
    }

    /// The prefixes that strictly contain `prefix` (its `_depth` is their number).
    func ancestors(of prefix: PrefixRecord) -> [PrefixRecord] {
        prefixes.values.filter { $0.prefix.strictlyContains(prefix.prefix) }
    }

    /// The prefixes strictly inside `prefix` (its `children` is their number).
    func descendants(of prefix: PrefixRecord) -> [PrefixRecord] {
        prefixes.values.filter { prefix.prefix.strictlyContains($0.prefix) }
    }

    /// The addresses whose host lies inside `network`, whatever their own mask.
    func addresses(inside network: IPNetwork) -> [IPAddressRecord] {
        ipAddresses.values.filter { $0.address.family == network.family && network.contains(address: $0.address.address) }
    }

    /// The free space of a prefix: its block minus every child prefix
    /// (`Prefix.get_available_prefixes`).
    func availablePrefixes(in parent: PrefixRecord) -> AddressSet {
        var free = AddressSet(parent.prefix)
        for child in descendants(of: parent) {
            free.remove(child.prefix)
        }
        return free
    }

    /// The free addresses of a prefix (`Prefix.get_available_ips`): its block minus every
    /// address inside it; an ordinary IPv4 prefix also keeps its network and broadcast
    /// addresses, an ordinary IPv6 prefix its subnet-router anycast address (`::`). Pools,
    /// IPv4 /31 and /32 and IPv6 /127 and /128 are usable whole.
    func availableAddresses(in parent: PrefixRecord) -> AddressSet {
        let network = parent.prefix
        var free = AddressSet(network)
        if parent.markUtilized {
            free.remove(network)
            return free
        }
        for address in addresses(inside: network) {
            free.remove(address: address.address.address)
        }
        let usableWhole =
            parent.isPool || (network.family == .v4 && network.prefixLength >= 31) || (network.family == .v6 && network.prefixLength >= 127)
        if !usableWhole {
            free.remove(address: network.first)
            if network.family == .v4 {
                free.remove(address: network.last)
            }
        }
        return free
    }
}
