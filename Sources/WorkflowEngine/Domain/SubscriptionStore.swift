import Foundation

/// A subscription change a step made, saved in that step's transaction.
public struct SubscriptionWrite: Sendable {
    public var model: SubscriptionModel
    public var product: ProductDefinition

    public init(_ model: SubscriptionModel, product: ProductDefinition) {
        self.model = model
        self.product = product
    }
}

/// A subscription as listings show it.
public struct SubscriptionSummary: Sendable, Hashable {
    public var subscriptionID: UUID
    public var productName: String
    public var customerID: String
    public var description: String
    public var status: Lifecycle
    public var insync: Bool
    /// The process that holds the subscription's lock, if any.
    public var lockedBy: ProcessID?

    public init(
        subscriptionID: UUID, productName: String, customerID: String, description: String, status: Lifecycle, insync: Bool,
        lockedBy: ProcessID?
    ) {
        self.subscriptionID = subscriptionID
        self.productName = productName
        self.customerID = customerID
        self.description = description
        self.status = status
        self.insync = insync
        self.lockedBy = lockedBy
    }
}

/// One committed change of a subscription: who, when, through which process and step, and
/// what changed field by field.
public struct SubscriptionVersion: Sendable, Hashable {
    public var subscriptionID: UUID
    public var version: Int
    public var processID: ProcessID?
    public var step: StepKey?
    public var user: String
    public var time: Date
    public var changes: [FieldChange]
    public var model: SubscriptionModel

    public init(
        subscriptionID: UUID, version: Int, processID: ProcessID?, step: StepKey?, user: String, time: Date, changes: [FieldChange],
        model: SubscriptionModel
    ) {
        self.subscriptionID = subscriptionID
        self.version = version
        self.processID = processID
        self.step = step
        self.user = user
        self.time = time
        self.changes = changes
        self.model = model
    }
}

/// Which subscriptions to list.
public struct SubscriptionFilter: Sendable {
    public var product: String?
    public var statuses: Set<Lifecycle>
    /// Resource type and value: the subscriptions with a block holding that value.
    public var whereValue: (field: String, value: String)?
    /// Resource type and values: the subscriptions with a block holding any of them, in one
    /// indexed query (which planned devices a Node already owns, say).
    public var whereAnyValue: (field: String, values: [String])?
    /// At most this many; `SubscriptionFilter.all` for every match.
    public var limit: Int
    /// One subscription by id (its summary: holder, sync, status).
    public var id: UUID?
    /// Words found (case-insensitively) in the description or the customer, or the start of the id.
    public var text: String?
    public var insync: Bool?
    public var customer: String?
    /// Skip this many matches first (paging).
    public var offset: Int
    public var order: Order

    /// How the matches are sorted; each with the id last, so that pages never overlap.
    public enum Order: String, Sendable, CaseIterable {
        case description
        case product
        case status
        /// The newest start date first; not started yet (initial) last.
        case newest
    }

    /// No limit: every match.
    public static let all = Int.max

    public init(
        product: String? = nil, statuses: Set<Lifecycle> = [], whereValue: (field: String, value: String)? = nil,
        whereAnyValue: (field: String, values: [String])? = nil, limit: Int = 100, id: UUID? = nil, text: String? = nil,
        insync: Bool? = nil, customer: String? = nil, offset: Int = 0, order: Order = .description
    ) {
        self.product = product
        self.statuses = statuses
        self.whereValue = whereValue
        self.whereAnyValue = whereAnyValue
        self.limit = limit
        self.id = id
        self.text = text
        self.insync = insync
        self.customer = customer
        self.offset = offset
        self.order = order
    }

    /// The ORDER BY of `order` over `subscriptions s` joined with `products p` (both stores'
    /// SQL); `collate` follows each text column (PostgreSQL's `COLLATE "C"` sorts as SQLite does).
    public func orderClause(collate: String = "") -> String {
        switch order {
        case .description: "s.description\(collate), s.subscription_id"
        case .product: "p.name\(collate), s.description\(collate), s.subscription_id"
        case .status: "s.status\(collate), s.description\(collate), s.subscription_id"
        case .newest: "s.start_date IS NULL, s.start_date DESC, s.subscription_id"
        }
    }
}

/// Something an operator did to a subscription outside a process (a forced unlock).
public struct SubscriptionEvent: Sendable, Hashable {
    public var subscriptionID: UUID
    public var event: String
    public var user: String
    public var time: Date
    public var detail: String

    public init(subscriptionID: UUID, event: String, user: String, time: Date, detail: String) {
        self.subscriptionID = subscriptionID
        self.event = event
        self.user = user
        self.time = time
        self.detail = detail
    }
}

/// What `syncProducts` did, and what it found in the database but not in code (reported, never dropped).
public struct CatalogSyncReport: Sendable, Hashable {
    public var created: [String] = []
    public var updated: [String] = []
    public var orphans: [String] = []

    public init() {}
}

/// Where subscriptions, their block instances, values and versions live.
public protocol SubscriptionStore: Sendable {
    /// Writes the product catalog (products, blocks, resource types, fixed inputs, relations,
    /// product workflows); idempotent.
    func syncProducts(_ products: [ProductDefinition], now: Date) async throws -> CatalogSyncReport

    /// Saves a subscription outside any process (seeding, imports), as a new version.
    func saveSubscription(_ write: SubscriptionWrite, user: String, now: Date) async throws

    /// The subscription as it is, read from its instances, values and relations.
    func subscription(_ id: UUID) async throws -> SubscriptionModel?
    /// The subscription as it was at `time` (nil if it did not exist yet).
    func subscription(_ id: UUID, at time: Date) async throws -> SubscriptionModel?
    func subscriptions(_ filter: SubscriptionFilter) async throws -> [SubscriptionSummary]
    func subscriptionIDs(withPrefix prefix: String, limit: Int) async throws -> [UUID]
    /// Many subscriptions in one read, in `ids`' order, each as its newest saved version has
    /// it (at `time`, when given: as it was then, leaving out those that did not exist yet);
    /// now, with the status, sync, dates and note of the subscription row, and a held one
    /// never in sync. For pictures and lists of many (the network map): a block borrowed from
    /// another subscription reads as it was saved, where `subscription(_:)` reads it live.
    func newestVersions(_ ids: [UUID], at time: Date?) async throws -> [SubscriptionModel]
    /// The values of the block field `field` (a resource type such as `node_name`) in each of
    /// `ids`, from any of its blocks, sorted; a subscription without one is left out.
    func blockValues(_ field: String, of ids: [UUID]) async throws -> [UUID: [String]]
    /// The subscription each of these block instances belongs to (a Circuit's port block
    /// points at its Node's block: the Node is its owner); unknown ids are left out.
    func owners(ofBlocks instanceIDs: [UUID]) async throws -> [UUID: UUID]
    func versions(of id: UUID) async throws -> [SubscriptionVersion]
    /// A number that grows with every committed change to a subscription of `products`
    /// (names or product types, as `SubscriptionFilter.product` takes them; nil for every
    /// product): a save, a status, sync or holder change. What was computed from those
    /// subscriptions under one number is still true while the store answers the same number.
    func changeStamp(of products: [String]?) async throws -> Int
    func events(of id: UUID) async throws -> [SubscriptionEvent]
    /// The processes that touched the subscription, oldest first.
    func processes(of id: UUID) async throws -> [ProcessID]
    /// The subscriptions (not terminated) whose blocks point into this one's blocks.
    func usedBy(_ id: UUID) async throws -> [SubscriptionSummary]
    /// Releases the lock whoever holds it, recording who did it and why. Returns the former holder.
    func forceUnlock(_ id: UUID, user: String, reason: String, now: Date) async throws -> ProcessID?
    /// Marks a subscription that nobody holds as in sync (an operator who repaired it by hand
    /// confirms it), recording who did it and why; refused while a process holds it.
    func setInSync(_ id: UUID, user: String, reason: String, now: Date) async throws
}

extension SubscriptionStore {
    /// The change stamp of every subscription, whatever its product.
    public func changeStamp() async throws -> Int {
        try await changeStamp(of: nil)
    }
}
