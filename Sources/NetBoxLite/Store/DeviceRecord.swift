import GRDB

/// A row of `devices`.
struct DeviceRecord: LabRecord {
    static let databaseTableName = "devices"
    let id: Int
    var name: String?
    var deviceTypeID: Int
    var roleID: Int
    var siteID: Int
    var status: String
    var serial: String
    var description: String
    var comments: String
    var primaryIP4ID: Int?
    var primaryIP6ID: Int?
    var created: String
    var lastUpdated: String

    enum CodingKeys: String, CodingKey {
        case id, name, status, serial, description, comments, created
        case deviceTypeID = "device_type_id"
        case roleID = "role_id"
        case siteID = "site_id"
        case primaryIP4ID = "primary_ip4_id"
        case primaryIP6ID = "primary_ip6_id"
        case lastUpdated = "last_updated"
    }
}
