import GRDB

/// A row of `ip_addresses` (global table only: NetBoxLite has no VRFs).
struct IPAddressRecord: LabRecord {
    static let databaseTableName = "ip_addresses"
    let id: Int
    var address: IPNetwork
    var status: String
    var role: String
    var assignedObjectType: String?
    var assignedObjectID: Int?
    var dnsName: String
    var description: String
    var comments: String
    var created: String
    var lastUpdated: String

    enum CodingKeys: String, CodingKey {
        case id, address, status, role, description, comments, created
        case assignedObjectType = "assigned_object_type"
        case assignedObjectID = "assigned_object_id"
        case dnsName = "dns_name"
        case lastUpdated = "last_updated"
    }

    /// The interface this address is assigned to, if any.
    var interfaceID: Int? { assignedObjectType == ObjectType.interface ? assignedObjectID : nil }
}
