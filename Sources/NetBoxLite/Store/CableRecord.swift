import GRDB

/// A row of `cables`.
struct CableRecord: LabRecord {
    static let databaseTableName = "cables"
    let id: Int
    var type: String
    var status: String
    var label: String
    var color: String
    var description: String
    var comments: String
    var created: String
    var lastUpdated: String

    enum CodingKeys: String, CodingKey {
        case id, type, status, label, color, description, comments, created
        case lastUpdated = "last_updated"
    }

    /// NetBox's `str(cable)`: the label, else `#<id>`.
    var display: String { label.isEmpty ? "#\(id)" : label }
}

/// A row of `cable_terminations`: one end of a cable on one object (here always an interface).
struct CableTerminationRecord: LabRecord {
    static let databaseTableName = "cable_terminations"
    let id: Int
    var cableID: Int
    var cableEnd: String
    var terminationType: String
    var terminationID: Int

    enum CodingKeys: String, CodingKey {
        case id
        case cableID = "cable_id"
        case cableEnd = "cable_end"
        case terminationType = "termination_type"
        case terminationID = "termination_id"
    }
}
