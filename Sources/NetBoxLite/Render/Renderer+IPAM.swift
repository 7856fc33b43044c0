extension Renderer {
    /// A prefix as `GET /api/ipam/prefixes/{id}/` shows it, or its brief form.
    ///
    /// `justCreated`: NetBox keeps `children` and `_depth` in columns that it updates on the
    /// *other* prefixes when one is created, so the response to a create shows 0 for both.
    func prefix(_ prefix: PrefixRecord, brief: Bool = false, justCreated: Bool = false) -> JSON {
        let depth = justCreated ? 0 : lab.ancestors(of: prefix).count
        if brief {
            return [
                "id": .int(prefix.id),
                "url": apiURL("ipam/prefixes", prefix.id),
                "display": .string(prefix.prefix.description),
                "family": prefix.prefix.family.json,
                "prefix": .string(prefix.prefix.description),
                "description": .string(prefix.description),
                "_depth": .int(depth),
            ]
        }
        return [
            "id": .int(prefix.id),
            "url": apiURL("ipam/prefixes", prefix.id),
            "display_url": displayURL("ipam/prefixes", prefix.id),
            "display": .string(prefix.prefix.description),
            "family": prefix.prefix.family.json,
            "prefix": .string(prefix.prefix.description),
            "vrf": nil,
            "scope_type": nil,
            "scope_id": nil,
            "scope": nil,
            "tenant": nil,
            "vlan": nil,
            "status": choices.prefixStatus.json(prefix.status),
            "role": nil,
            "is_pool": .bool(prefix.isPool),
            "mark_utilized": .bool(prefix.markUtilized),
            "description": .string(prefix.description),
            "owner": nil,
            "comments": .string(prefix.comments),
            "tags": [],
            "custom_fields": .emptyObject,
            "created": .string(prefix.created),
            "last_updated": .string(prefix.lastUpdated),
            "children": .int(justCreated ? 0 : lab.descendants(of: prefix).count),
            "_depth": .int(depth),
        ]
    }

    /// An IP address as `GET /api/ipam/ip-addresses/{id}/` shows it, or its brief form.
    func ipAddress(_ address: IPAddressRecord, brief: Bool = false) -> JSON {
        if brief { return ipAddressBrief(address) }
        let interface = address.interfaceID.flatMap { lab.interfaces[$0] }
        return [
            "id": .int(address.id),
            "url": apiURL("ipam/ip-addresses", address.id),
            "display_url": displayURL("ipam/ip-addresses", address.id),
            "display": .string(address.address.description),
            "family": address.address.family.json,
            "address": .string(address.address.description),
            "vrf": nil,
            "tenant": nil,
            "status": choices.ipAddressStatus.json(address.status),
            "role": choices.ipAddressRole.json(address.role),
            "assigned_object_type": .nullable(address.assignedObjectType),
            "assigned_object_id": .nullable(address.assignedObjectID),
            "assigned_object": interface.map { interfaceBrief($0) } ?? .null,
            "nat_inside": nil,
            "nat_outside": [],
            "dns_name": .string(address.dnsName),
            "description": .string(address.description),
            "owner": nil,
            "comments": .string(address.comments),
            "tags": [],
            "custom_fields": .emptyObject,
            "created": .string(address.created),
            "last_updated": .string(address.lastUpdated),
        ]
    }

    /// The brief IP address, as NetBox 4.7 nests it (for example as a device's `primary_ip4`).
    func ipAddressBrief(_ address: IPAddressRecord) -> JSON {
        [
            "id": .int(address.id),
            "url": apiURL("ipam/ip-addresses", address.id),
            "display": .string(address.address.description),
            "family": address.address.family.json,
            "address": .string(address.address.description),
            "nat_inside": nil,
            "nat_outside": [],
            "dns_name": .string(address.dnsName),
            "description": .string(address.description),
        ]
    }

    /// A free block, as `GET …/available-prefixes/` lists it.
    func availablePrefix(_ network: IPNetwork) -> JSON {
        ["family": .int(network.family.rawValue), "prefix": .string(network.description), "vrf": nil]
    }

    /// A free address, as `GET …/available-ips/` lists it: with the parent's mask.
    func availableAddress(_ address: UInt128, in parent: IPNetwork) -> JSON {
        let network = IPNetwork(family: parent.family, address: address, prefixLength: parent.prefixLength)
        return ["family": .int(parent.family.rawValue), "address": .string(network.description), "vrf": nil]
    }
}
