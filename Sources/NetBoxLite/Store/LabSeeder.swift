import GRDB

/// Writes a seed inventory into empty tables, checking its references and choice values.
struct LabSeeder {
    let seed: LabSeed
    let choices: Choices
    let now: String

    func insert(into db: Database) throws {
        for site in seed.sites {
            try SiteRecord(id: site.id, name: site.name, slug: site.slug, status: site.status, created: now, lastUpdated: now).insert(db)
        }
        for manufacturer in seed.manufacturers {
            try ManufacturerRecord(id: manufacturer.id, name: manufacturer.name, slug: manufacturer.slug, created: now, lastUpdated: now)
                .insert(db)
        }
        for type in seed.deviceTypes {
            let manufacturer = try find(type.manufacturer, in: seed.manufacturers.map { ($0.slug, $0.id) }, kind: "manufacturer")
            try DeviceTypeRecord(id: type.id, manufacturerID: manufacturer, model: type.model, slug: type.slug, created: now, lastUpdated: now)
                .insert(db)
        }
        let deviceTypes = seed.deviceTypes.map { ($0.slug, $0.id) }
        for template in seed.interfaceTemplates {
            try check(template.type, in: choices.interfaceType, what: "interface template \(template.name) type")
            let type: Int
            if let slug = template.deviceType {
                type = try find(slug, in: deviceTypes, kind: "device type")
            } else if deviceTypes.count == 1 {
                type = deviceTypes[0].1
            } else {
                throw NetBoxLiteError(.badSeed, "interface template \(template.id) names no device_type and the seed has several")
            }
            try InterfaceTemplateRecord(
                id: template.id, deviceTypeID: type, name: template.name, type: template.type, mgmtOnly: template.mgmtOnly,
                description: template.description ?? ""
            ).insert(db)
        }
        for role in seed.deviceRoles {
            try DeviceRoleRecord(id: role.id, name: role.name, slug: role.slug, color: role.color, created: now, lastUpdated: now).insert(db)
        }
        for device in seed.devices {
            try insert(device, deviceTypes: deviceTypes, into: db)
        }
        for prefix in seed.prefixes {
            guard let network = IPNetwork(prefix.prefix), network.cidr == network else {
                throw NetBoxLiteError(.badSeed, "seed prefix \(prefix.id) is not a network: \(prefix.prefix)")
            }
            try check(prefix.status, in: choices.prefixStatus, what: "prefix \(prefix.prefix) status")
            try PrefixRecord(
                id: prefix.id, prefix: network, status: prefix.status, isPool: prefix.isPool, markUtilized: false,
                description: prefix.description, comments: "", created: now, lastUpdated: now
            ).insert(db)
        }
    }

    private func insert(_ device: LabSeed.Device, deviceTypes: [(String, Int)], into db: Database) throws {
        try check(device.status, in: choices.deviceStatus, what: "device \(device.id) status")
        try DeviceRecord(
            id: device.id, name: device.name,
            deviceTypeID: try find(device.deviceType, in: deviceTypes, kind: "device type"),
            roleID: try find(device.role, in: seed.deviceRoles.map { ($0.slug, $0.id) }, kind: "device role"),
            siteID: try find(device.site, in: seed.sites.map { ($0.slug, $0.id) }, kind: "site"),
            status: device.status, serial: "", description: "", comments: "", primaryIP4ID: nil, primaryIP6ID: nil,
            created: now, lastUpdated: now
        ).insert(db)
        for interface in device.interfaces {
            try check(interface.type, in: choices.interfaceType, what: "interface \(interface.id) type")
            try InterfaceRecord(
                id: interface.id, deviceID: device.id, name: interface.name, label: "", type: interface.type,
                enabled: interface.enabled, mgmtOnly: interface.mgmtOnly, mtu: nil, description: interface.description ?? "",
                markConnected: false, cableID: nil, cableEnd: nil, created: now, lastUpdated: now
            ).insert(db)
        }
    }

    private func find(_ slug: String, in known: [(String, Int)], kind: String) throws -> Int {
        guard let id = known.first(where: { $0.0 == slug })?.1 else {
            throw NetBoxLiteError(.badSeed, "the seed names \(kind) \"\(slug)\", which it does not define")
        }
        return id
    }

    private func check(_ value: String, in set: ChoiceSet, what: String) throws {
        guard set.contains(value) else {
            throw NetBoxLiteError(.badSeed, "\(what) \"\(value)\" is not one of NetBox's choices")
        }
    }
}
