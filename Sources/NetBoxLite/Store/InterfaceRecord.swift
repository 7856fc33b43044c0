import GRDB

/// A row of `interfaces`. `cableID`/`cableEnd` mirror the cable's termination, as NetBox
/// keeps them on the interface itself.
struct InterfaceRecord: LabRecord {
    static let databaseTableName = "interfaces"
    let id: Int
    var deviceID: Int
    var name: String
    var label: String
    var type: String
    var enabled: Bool
    var mgmtOnly: Bool
    var mtu: Int?
    var description: String
    var markConnected: Bool
    var cableID: Int?
    var cableEnd: String?
    var created: String
    var lastUpdated: String

    enum CodingKeys: String, CodingKey {
        case id, name, label, type, enabled, mtu, description, created
        case deviceID = "device_id"
        case mgmtOnly = "mgmt_only"
        case markConnected = "mark_connected"
        case cableID = "cable_id"
        case cableEnd = "cable_end"
        case lastUpdated = "last_updated"
    }

    /// NetBox's `_occupied`: a cable or the mark_connected flag.
    var isOccupied: Bool { markConnected || cableID != nil }
}
