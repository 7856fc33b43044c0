import GRDB

// The objects NetBoxLite only reads: they come from the seed and never change through the API.
// Small enough to share a file; each is one table.

/// A row of `sites`.
struct SiteRecord: LabRecord {
    static let databaseTableName = "sites"
    let id: Int
    var name: String
    var slug: String
    var status: String
    var created: String
    var lastUpdated: String

    enum CodingKeys: String, CodingKey {
        case id, name, slug, status, created
        case lastUpdated = "last_updated"
    }
}

/// A row of `manufacturers`.
struct ManufacturerRecord: LabRecord {
    static let databaseTableName = "manufacturers"
    let id: Int
    var name: String
    var slug: String
    var created: String
    var lastUpdated: String

    enum CodingKeys: String, CodingKey {
        case id, name, slug, created
        case lastUpdated = "last_updated"
    }
}

/// A row of `device_types`.
struct DeviceTypeRecord: LabRecord {
    static let databaseTableName = "device_types"
    let id: Int
    var manufacturerID: Int
    var model: String
    var slug: String
    var created: String
    var lastUpdated: String

    enum CodingKeys: String, CodingKey {
        case id, model, slug, created
        case manufacturerID = "manufacturer_id"
        case lastUpdated = "last_updated"
    }
}

/// A row of `interface_templates`: the interfaces a new device of the type gets.
struct InterfaceTemplateRecord: LabRecord {
    static let databaseTableName = "interface_templates"
    let id: Int
    var deviceTypeID: Int
    var name: String
    var type: String
    var mgmtOnly: Bool
    var description: String

    enum CodingKeys: String, CodingKey {
        case id, name, type, description
        case deviceTypeID = "device_type_id"
        case mgmtOnly = "mgmt_only"
    }
}

/// A row of `device_roles`.
struct DeviceRoleRecord: LabRecord {
    static let databaseTableName = "device_roles"
    let id: Int
    var name: String
    var slug: String
    var color: String
    var created: String
    var lastUpdated: String

    enum CodingKeys: String, CodingKey {
        case id, name, slug, color, created
        case lastUpdated = "last_updated"
    }
}
