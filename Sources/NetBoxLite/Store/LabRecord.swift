import GRDB

/// A row of one of NetBoxLite's tables. Ids are chosen by the store before the insert (see
/// `Lab.nextID(in:)`), so a record always has one.
protocol LabRecord: Codable, Sendable, FetchableRecord, PersistableRecord {
    var id: Int { get }
    /// Where records of this kind live in a `Lab` snapshot.
    static var labTable: WritableKeyPath<Lab, [Int: Self]> { get }
}
