import GRDB

/// A row of `prefixes` (global table only: NetBoxLite has no VRFs).
struct PrefixRecord: LabRecord {
    static let databaseTableName = "prefixes"
    let id: Int
    var prefix: IPNetwork
    var status: String
    var isPool: Bool
    var markUtilized: Bool
    var description: String
    var comments: String
    var created: String
    var lastUpdated: String

    enum CodingKeys: String, CodingKey {
        case id, prefix, status, description, comments, created
        case isPool = "is_pool"
        case markUtilized = "mark_utilized"
        case lastUpdated = "last_updated"
    }
}
