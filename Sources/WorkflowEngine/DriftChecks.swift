import Foundation

/// A NetBox webhook delivery whose signature was valid, as the receiver records it.
public struct NetBoxDelivery: Sendable, Hashable {
    /// SHA-256 of the raw body, hex: a byte-identical repeat (NetBox's retry) has the same.
    public var bodySHA256: String
    public var receivedAt: Date
    /// NetBox's `request.id`: every delivery of one API call shares it.
    public var requestID: String?
    /// `created`, `updated` or `deleted`.
    public var event: String
    /// `dcim.cable`, `ipam.ipaddress`, … as NetBox names it.
    public var objectType: String
    public var objectID: Int?
    /// The subscriptions that own the object (none: recorded and dropped).
    public var owners: [UUID]

    public init(
        bodySHA256: String, receivedAt: Date, requestID: String?, event: String, objectType: String, objectID: Int?, owners: [UUID]
    ) {
        self.bodySHA256 = bodySHA256
        self.receivedAt = receivedAt
        self.requestID = requestID
        self.event = event
        self.objectType = objectType
        self.objectID = objectID
        self.owners = owners
    }
}

/// A subscription to validate because NetBox changed something it owns.
public struct DriftCheck: Sendable, Hashable {
    public var subscriptionID: UUID
    public var firstAt: Date
    public var dueAt: Date
    /// How many deliveries asked for it.
    public var changes: Int
    /// The NetBox request ids of those deliveries.
    public var requestIDs: [String]

    public init(subscriptionID: UUID, firstAt: Date, dueAt: Date, changes: Int, requestIDs: [String]) {
        self.subscriptionID = subscriptionID
        self.firstAt = firstAt
        self.dueAt = dueAt
        self.changes = changes
        self.requestIDs = requestIDs
    }
}

/// Where webhook deliveries and the drift checks they ask for live.
public protocol DriftCheckStore: Sendable {
    /// Records a delivery and, for each owner, asks for a check due at `dueAt` (a check
    /// already asked for keeps its due time and counts one more change), in one
    /// transaction. False, recording nothing new, when the same body was recorded before (a
    /// repeat only counts up `repeats`).
    func recordDelivery(_ delivery: NetBoxDelivery, checkDueAt dueAt: Date) async throws -> Bool
    /// Removes and returns the checks due by `now` (each is returned to one caller only).
    func takeDueDriftChecks(now: Date, limit: Int) async throws -> [DriftCheck]
    /// Puts a taken check back, due at `dueAt` (a subscription held by a running process is
    /// checked once the holder has ended); merged with any check asked for meanwhile.
    func postponeDriftCheck(_ check: DriftCheck, to dueAt: Date) async throws
    /// The newest deliveries first.
    func netBoxDeliveries(limit: Int) async throws -> [NetBoxDelivery]
    /// Whether some ledger entry recorded a write NetBox answered under `requestID`.
    func isOwnNetBoxRequest(_ requestID: String) async throws -> Bool
}

/// Operator settings kept in the database (`wf webhook secret`).
public protocol SettingsStore: Sendable {
    func setting(_ name: String) async throws -> String?
    func setSetting(_ name: String, value: String?, user: String, now: Date) async throws
}
