import GRDB

/// The inventory as one request sees it: read whole at the start of the request inside its
/// transaction (the lab is a few hundred rows), and changed only through the `save`/`delete`
/// methods, which write to SQLite and to this snapshot together.
struct Lab {
    let db: Database
    fileprivate(set) var sites: [Int: SiteRecord]
    fileprivate(set) var manufacturers: [Int: ManufacturerRecord]
    fileprivate(set) var deviceTypes: [Int: DeviceTypeRecord]
    fileprivate(set) var interfaceTemplates: [Int: InterfaceTemplateRecord]
    fileprivate(set) var deviceRoles: [Int: DeviceRoleRecord]
    fileprivate(set) var devices: [Int: DeviceRecord]
    fileprivate(set) var interfaces: [Int: InterfaceRecord]
    fileprivate(set) var cables: [Int: CableRecord]
    fileprivate(set) var cableTerminations: [Int: CableTerminationRecord]
    fileprivate(set) var prefixes: [Int: PrefixRecord]
    fileprivate(set) var ipAddresses: [Int: IPAddressRecord]

    init(_ db: Database) throws {
        self.db = db
        sites = try Self.fetch(db)
        manufacturers = try Self.fetch(db)
        deviceTypes = try Self.fetch(db)
        interfaceTemplates = try Self.fetch(db)
        deviceRoles = try Self.fetch(db)
        devices = try Self.fetch(db)
        interfaces = try Self.fetch(db)
        cables = try Self.fetch(db)
        cableTerminations = try Self.fetch(db)
        prefixes = try Self.fetch(db)
        ipAddresses = try Self.fetch(db)
    }

    private static func fetch<Record: LabRecord>(_ db: Database) throws -> [Int: Record] {
        Dictionary(uniqueKeysWithValues: try Record.fetchAll(db).map { ($0.id, $0) })
    }

    /// The id the next object of `Record`'s table gets: never one used before, as with the
    /// PostgreSQL sequences behind NetBox's ids.
    func nextID<Record: LabRecord>(for _: Record.Type) throws -> Int {
        let table = Record.databaseTableName
        let sequence = try Int.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = ?", arguments: [table]) ?? 0
        let highest = try Int.fetchOne(db, sql: "SELECT MAX(id) FROM \(quoted: table)") ?? 0
        return max(sequence, highest) + 1
    }

    /// Inserts or updates `record`.
    mutating func save<Record: LabRecord>(_ record: Record) throws {
        try record.save(db)
        self[keyPath: Record.labTable][record.id] = record
    }

    /// Deletes `record`.
    mutating func delete<Record: LabRecord>(_ record: Record) throws {
        try record.delete(db)
        self[keyPath: Record.labTable][record.id] = nil
    }
}

// Where each kind of record lives in the snapshot. Declared here, the only file that may
// write the snapshot's tables.
extension SiteRecord { static var labTable: WritableKeyPath<Lab, [Int: Self]> { \.sites } }
extension ManufacturerRecord { static var labTable: WritableKeyPath<Lab, [Int: Self]> { \.manufacturers } }
extension DeviceTypeRecord { static var labTable: WritableKeyPath<Lab, [Int: Self]> { \.deviceTypes } }
extension InterfaceTemplateRecord { static var labTable: WritableKeyPath<Lab, [Int: Self]> { \.interfaceTemplates } }
extension DeviceRoleRecord { static var labTable: WritableKeyPath<Lab, [Int: Self]> { \.deviceRoles } }
extension DeviceRecord { static var labTable: WritableKeyPath<Lab, [Int: Self]> { \.devices } }
extension InterfaceRecord { static var labTable: WritableKeyPath<Lab, [Int: Self]> { \.interfaces } }
extension CableRecord { static var labTable: WritableKeyPath<Lab, [Int: Self]> { \.cables } }
extension CableTerminationRecord { static var labTable: WritableKeyPath<Lab, [Int: Self]> { \.cableTerminations } }
extension PrefixRecord { static var labTable: WritableKeyPath<Lab, [Int: Self]> { \.prefixes } }
extension IPAddressRecord { static var labTable: WritableKeyPath<Lab, [Int: Self]> { \.ipAddresses } }

extension String {
    /// Only for table names taken from `databaseTableName`, never from a request.
    fileprivate init(quoted table: String) {
        self = "\"" + table + "\""
    }
}

extension DefaultStringInterpolation {
    fileprivate mutating func appendInterpolation(quoted table: String) {
        appendLiteral(String(quoted: table))
    }
}
