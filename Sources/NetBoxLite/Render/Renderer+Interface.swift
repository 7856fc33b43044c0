extension Renderer {
    /// An interface as `GET /api/dcim/interfaces/{id}/` shows it, or its brief form.
    func interface(_ interface: InterfaceRecord, brief: Bool = false) -> JSON {
        if brief { return interfaceBrief(interface) }
        let peers = lab.linkPeers(of: interface)
        let cable = interface.cableID.flatMap { lab.cables[$0] }
        // Interface-to-interface cables only: the path ends at the link peers, and it is
        // reachable once every cable on it is connected.
        let endpoints: JSON = peers.isEmpty ? .null : .array(peers.map(interfaceBrief))
        return [
            "id": .int(interface.id),
            "url": apiURL("dcim/interfaces", interface.id),
            "display_url": displayURL("dcim/interfaces", interface.id),
            "display": .string(interface.name),
            "device": lab.devices[interface.deviceID].map { deviceBrief($0) } ?? .null,
            "vdcs": [],
            "module": nil,
            "name": .string(interface.name),
            "label": .string(interface.label),
            "type": choices.interfaceType.json(interface.type),
            "channels": nil,
            "channel_id": nil,
            "enabled": .bool(interface.enabled),
            "parent": nil,
            "bridge": nil,
            "bridge_interfaces": [],
            "lag": nil,
            "mtu": .nullable(interface.mtu),
            "mac_address": nil,
            "primary_mac_address": nil,
            "mac_addresses": [],
            "speed": nil,
            "duplex": nil,
            "wwn": nil,
            "mgmt_only": .bool(interface.mgmtOnly),
            "description": .string(interface.description),
            "mode": nil,
            "rf_role": nil,
            "rf_channel": nil,
            "poe_mode": nil,
            "poe_type": nil,
            "rf_channel_frequency": nil,
            "rf_channel_width": nil,
            "tx_power": nil,
            "untagged_vlan": nil,
            "tagged_vlans": [],
            "qinq_svlan": nil,
            "vlan_translation_policy": nil,
            "mark_connected": .bool(interface.markConnected),
            "cable": cable.map(cableBrief) ?? .null,
            "cable_end": .nullable(interface.cableEnd),
            "wireless_link": nil,
            "link_peers": .array(peers.map(interfaceBrief)),
            "link_peers_type": peers.isEmpty ? .null : .string(ObjectType.interface),
            "wireless_lans": [],
            "vrf": nil,
            "l2vpn_termination": nil,
            "connected_endpoints": endpoints,
            "connected_endpoints_type": peers.isEmpty ? .null : .string(ObjectType.interface),
            "connected_endpoints_reachable": .bool(!peers.isEmpty && cable?.status == "connected"),
            "owner": nil,
            "tags": [],
            "custom_fields": .emptyObject,
            "created": .string(interface.created),
            "last_updated": .string(interface.lastUpdated),
            "count_ipaddresses": .int(lab.ipAddresses.values.count { $0.interfaceID == interface.id }),
            "count_fhrp_groups": 0,
            "_occupied": .bool(interface.isOccupied),
        ]
    }

    /// The brief interface: `{id, url, display, device, name, description, cable, _occupied}`.
    func interfaceBrief(_ interface: InterfaceRecord) -> JSON {
        [
            "id": .int(interface.id),
            "url": apiURL("dcim/interfaces", interface.id),
            "display": .string(interface.name),
            "device": lab.devices[interface.deviceID].map { deviceBrief($0) } ?? .null,
            "name": .string(interface.name),
            "description": .string(interface.description),
            "cable": interface.cableID.flatMap { lab.cables[$0] }.map(cableBrief) ?? .null,
            "_occupied": .bool(interface.isOccupied),
        ]
    }

    /// `GET /api/dcim/interfaces/{id}/trace/`: one `[near ends, cable, far ends]` segment per
    /// cable on the path; an empty list for an interface without a cable.
    func trace(from interface: InterfaceRecord) -> JSON {
        guard let cableID = interface.cableID, let cable = lab.cables[cableID] else { return [] }
        let near = lab.terminations(of: cableID, end: interface.cableEnd ?? "A")
        let far = lab.linkPeers(of: interface)
        return [[.array(near.map(interfaceBrief)), tracedCable(cable), .array(far.map(interfaceBrief))]]
    }
}
