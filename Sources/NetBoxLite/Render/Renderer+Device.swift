extension Renderer {
    /// A device as `GET /api/dcim/devices/{id}/` shows it, or its brief form.
    func device(_ device: DeviceRecord, brief: Bool = false) -> JSON {
        if brief { return deviceBrief(device) }
        let primary4 = device.primaryIP4ID.flatMap { lab.ipAddresses[$0] }
        let primary6 = device.primaryIP6ID.flatMap { lab.ipAddresses[$0] }
        // NetBox prefers IPv6 unless PREFER_IPV4 is set (it is not by default).
        let primary = primary6 ?? primary4
        let interfaceCount = lab.interfaces.values.count { $0.deviceID == device.id }
        return [
            "id": .int(device.id),
            "url": apiURL("dcim/devices", device.id),
            "display_url": displayURL("dcim/devices", device.id),
            "display": .string(lab.display(of: device)),
            "name": .nullable(device.name),
            "device_type": lab.deviceTypes[device.deviceTypeID].map(deviceType) ?? .null,
            "role": lab.deviceRoles[device.roleID].map(deviceRole) ?? .null,
            "tenant": nil,
            "platform": nil,
            "serial": .string(device.serial),
            "asset_tag": nil,
            "site": lab.sites[device.siteID].map(site) ?? .null,
            "location": nil,
            "rack": nil,
            "position": nil,
            "face": nil,
            "latitude": nil,
            "longitude": nil,
            "parent_device": nil,
            "status": choices.deviceStatus.json(device.status),
            "airflow": nil,
            "cooling_method": nil,
            "primary_ip": primary.map(ipAddressBrief) ?? .null,
            "primary_ip4": primary4.map(ipAddressBrief) ?? .null,
            "primary_ip6": primary6.map(ipAddressBrief) ?? .null,
            "oob_ip": nil,
            "cluster": nil,
            "virtual_chassis": nil,
            "vc_position": nil,
            "vc_priority": nil,
            "description": .string(device.description),
            "owner": nil,
            "comments": .string(device.comments),
            "config_template": nil,
            "config_context": .emptyObject,
            "local_context_data": nil,
            "tags": [],
            "custom_fields": .emptyObject,
            "created": .string(device.created),
            "last_updated": .string(device.lastUpdated),
            "console_port_count": 0,
            "console_server_port_count": 0,
            "power_port_count": 0,
            "power_outlet_count": 0,
            "cooling_intake_count": 0,
            "cooling_outflow_count": 0,
            "interface_count": .int(interfaceCount),
            "front_port_count": 0,
            "rear_port_count": 0,
            "device_bay_count": 0,
            "module_bay_count": 0,
            "inventory_item_count": 0,
        ]
    }

    /// The brief device: `{id, url, display, name, description}`.
    func deviceBrief(_ device: DeviceRecord) -> JSON {
        [
            "id": .int(device.id),
            "url": apiURL("dcim/devices", device.id),
            "display": .string(lab.display(of: device)),
            "name": .nullable(device.name),
            "description": .string(device.description),
        ]
    }

    private func deviceType(_ type: DeviceTypeRecord) -> JSON {
        [
            "id": .int(type.id),
            "url": apiURL("dcim/device-types", type.id),
            "display": .string(type.model),
            "manufacturer": lab.manufacturers[type.manufacturerID].map(manufacturer) ?? .null,
            "model": .string(type.model),
            "slug": .string(type.slug),
            "description": "",
            // A counter NetBox keeps on the device type, so it is exact.
            "device_count": .int(lab.devices.values.count { $0.deviceTypeID == type.id }),
        ]
    }

    private func manufacturer(_ manufacturer: ManufacturerRecord) -> JSON {
        [
            "id": .int(manufacturer.id),
            "url": apiURL("dcim/manufacturers", manufacturer.id),
            "display": .string(manufacturer.name),
            "name": .string(manufacturer.name),
            "slug": .string(manufacturer.slug),
            "description": "",
        ]
    }

    private func deviceRole(_ role: DeviceRoleRecord) -> JSON {
        [
            "id": .int(role.id),
            "url": apiURL("dcim/device-roles", role.id),
            "display": .string(role.name),
            "name": .string(role.name),
            "slug": .string(role.slug),
            "description": "",
            // Annotations NetBox does not compute for a nested role: always 0 there.
            "device_count": 0,
            "virtualmachine_count": 0,
            "_depth": 0,
        ]
    }

    private func site(_ site: SiteRecord) -> JSON {
        [
            "id": .int(site.id),
            "url": apiURL("dcim/sites", site.id),
            "display": .string(site.name),
            "name": .string(site.name),
            "slug": .string(site.slug),
            "description": "",
        ]
    }
}
