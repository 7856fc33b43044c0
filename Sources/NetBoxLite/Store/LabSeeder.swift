import GRDB

/// Writes a seed inventory into empty tables, checking its references and choice values.
///
/// Every object keeps the id the seed gives it. The tables are AUTOINCREMENT, so SQLite's
/// sequences then stand at the highest seeded id of each table, and `Lab.nextID(for:)` hands
/// objects created later through the API the ids above it.
struct LabSeeder {
    let seed: LabSeed
    let choices: Choices
    let now: String

    func insert(into db: Database) throws {
        try insertCatalogue(into: db)
        let references = try SeedReferences(seed)
        for device in seed.devices {
            try insert(device, references: references, into: db)
        }
        try insertCables(into: db)
        try insertPrefixes(into: db)
        try insertAddresses(into: db)
    }

    /// Sites, manufacturers, device types with their interface templates, and device roles.
    private func insertCatalogue(into db: Database) throws {
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
        try insertInterfaceTemplates(into: db)
        for role in seed.deviceRoles {
            try DeviceRoleRecord(id: role.id, name: role.name, slug: role.slug, color: role.color, created: now, lastUpdated: now).insert(db)
        }
    }

    private func insertInterfaceTemplates(into db: Database) throws {
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
    }

    /// A device and its interfaces, each interface with the cable end the seed's cables give it.
    private func insert(_ device: LabSeed.Device, references: SeedReferences, into db: Database) throws {
        try check(device.status, in: choices.deviceStatus, what: "device \(device.id) status")
        try DeviceRecord(
            id: device.id, name: device.name,
            deviceTypeID: try find(device.deviceType, in: seed.deviceTypes.map { ($0.slug, $0.id) }, kind: "device type"),
            roleID: try find(device.role, in: seed.deviceRoles.map { ($0.slug, $0.id) }, kind: "device role"),
            siteID: try find(device.site, in: seed.sites.map { ($0.slug, $0.id) }, kind: "site"),
            status: device.status, serial: device.serial ?? "", description: device.description ?? "", comments: device.comments ?? "",
            primaryIP4ID: try references.primaryAddress(device.primaryIP4, family: .v4, of: device),
            primaryIP6ID: try references.primaryAddress(device.primaryIP6, family: .v6, of: device),
            created: now, lastUpdated: now
        ).insert(db)
        for interface in device.interfaces {
            try check(interface.type, in: choices.interfaceType, what: "interface \(interface.id) type")
            let cable = references.cableEnds[interface.id]
            try InterfaceRecord(
                id: interface.id, deviceID: device.id, name: interface.name, label: interface.label ?? "", type: interface.type,
                enabled: interface.enabled, mgmtOnly: interface.mgmtOnly, mtu: interface.mtu, description: interface.description ?? "",
                markConnected: interface.markConnected ?? false, cableID: cable?.cable, cableEnd: cable?.end, created: now, lastUpdated: now
            ).insert(db)
        }
    }

    private func insertPrefixes(into db: Database) throws {
        for prefix in seed.prefixes {
            guard let network = IPNetwork(prefix.prefix), network.cidr == network else {
                throw NetBoxLiteError(.badSeed, "seed prefix \(prefix.id) is not a network: \(prefix.prefix)")
            }
            try check(prefix.status, in: choices.prefixStatus, what: "prefix \(prefix.prefix) status")
            try PrefixRecord(
                id: prefix.id, prefix: network, status: prefix.status, isPool: prefix.isPool, markUtilized: prefix.markUtilized ?? false,
                description: prefix.description, comments: prefix.comments ?? "", created: now, lastUpdated: now
            ).insert(db)
        }
    }

    func find(_ slug: String, in known: [(String, Int)], kind: String) throws -> Int {
        guard let id = known.first(where: { $0.0 == slug })?.1 else {
            throw NetBoxLiteError(.badSeed, "the seed names \(kind) \"\(slug)\", which it does not define")
        }
        return id
    }

    /// Refuses `value` unless it is one of `set`'s; a blank value passes when `allowBlank`.
    func check(_ value: String, in set: ChoiceSet, what: String, allowBlank: Bool = false) throws {
        guard set.contains(value) || (allowBlank && value.isEmpty) else {
            throw NetBoxLiteError(.badSeed, "\(what) \"\(value)\" is not one of NetBox's choices")
        }
    }
}
