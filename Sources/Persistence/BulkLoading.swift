import Foundation
import WorkflowEngine

/// A store that writes many subscriptions with their whole history at once, through its bulk
/// path (one transaction and prepared statements per batch on SQLite, `COPY` on PostgreSQL):
/// what `wf bench --scale` loads its data with.
///
/// The rows are the ones the engine's own writes make (the same row plan, JSON and time
/// formats), so every read path sees them as if the processes had run; but nothing is
/// checked on the way (no locks, unique keys or lifecycles): load only into a database
/// that holds nothing these subscriptions could collide with.
public protocol BulkLoading: Sendable {
    /// Writes `batch`, all of it or nothing, and says how many rows of each table it wrote.
    func bulkLoad(_ batch: [BulkSubscription]) async throws -> BulkLoadCounts

    /// After the last batch: brings the query planner's statistics up to date, as the
    /// database would soon on its own (PostgreSQL's autovacuum analyzes tables that grew;
    /// SQLite keeps no statistics unless asked, and `wf` never asks, so nothing there).
    func finishBulkLoad() async throws
}

/// One subscription as it is now, with the versions and the processes that made it so.
public struct BulkSubscription: Sendable {
    public var product: ProductDefinition
    /// The model after each committed change, oldest first; the last is the subscription now.
    public var versions: [BulkVersion]
    /// The processes that worked on the subscription, each with its step log and inputs.
    public var processes: [BulkProcess]
    /// The unfinished process holding the subscription, if any (one of `processes`).
    public var lockedBy: ProcessID?
    /// The blocks of other subscriptions this one points at (a Circuit's Nodes): instance id
    /// (lowercase) → the subscription that owns it. Pointed at, never written again.
    public var foreignBlocks: [String: UUID]

    public init(
        product: ProductDefinition, versions: [BulkVersion], processes: [BulkProcess], lockedBy: ProcessID? = nil,
        foreignBlocks: [String: UUID] = [:]
    ) {
        self.product = product
        self.versions = versions
        self.processes = processes
        self.lockedBy = lockedBy
        self.foreignBlocks = foreignBlocks
    }
}

/// One committed change of a subscription: the whole model after it, who made it and where.
public struct BulkVersion: Sendable {
    public var model: SubscriptionModel
    public var processID: ProcessID?
    public var step: StepKey?
    public var user: String
    public var time: Date

    public init(model: SubscriptionModel, processID: ProcessID?, step: StepKey?, user: String, time: Date) {
        self.model = model
        self.processID = processID
        self.step = step
        self.user = user
        self.time = time
    }
}

/// One process with its step log (in order) and its accepted inputs (in order).
public struct BulkProcess: Sendable {
    public var record: ProcessRecord
    public var steps: [StepRecord]
    public var inputs: [InputStateRecord]
    /// When the process took or first saved the subscription (`processes_subscriptions.created_at`).
    public var linkedAt: Date

    public init(record: ProcessRecord, steps: [StepRecord], inputs: [InputStateRecord], linkedAt: Date) {
        self.record = record
        self.steps = steps
        self.inputs = inputs
        self.linkedAt = linkedAt
    }
}

/// Rows written, by table.
public struct BulkLoadCounts: Sendable, Hashable {
    public var byTable: [String: Int] = [:]

    public init() {}

    public var total: Int { byTable.values.reduce(0, +) }

    public mutating func add(_ other: BulkLoadCounts) {
        byTable.merge(other.byTable, uniquingKeysWith: +)
    }
}

extension Stores {
    /// The store `location` names, with its bulk path (`wf bench --scale` only).
    public static func openForBulkLoading(_ location: String) async throws -> any WorkflowStore & BulkLoading & BenchmarkFloor {
        try check(location)
        if PostgresLocation.isPostgres(location) {
            return try await PostgresStore.connect(location)
        }
        return try SQLiteStore(path: location)
    }
}

/// The catalog ids a bulk load refers to, by persisted name, as each store reads them.
struct BulkCatalog {
    var products: [String: String]
    var blocks: [String: String]
    var resourceTypes: [String: String]
    var workflows: [String: String]

    func id(_ map: KeyPath<BulkCatalog, [String: String]>, _ name: String, _ what: String) throws -> String {
        guard let id = self[keyPath: map][name] else {
            throw PersistenceError(.unknownProduct, "\(what) '\(name)' is not in the catalog; run `wf db migrate`")
        }
        return id
    }
}

/// The rows a batch of `BulkSubscription`s becomes, table by table in an order that satisfies
/// the foreign keys: decided once for both stores, with no database in sight, by the same
/// row plan and encodings as the engine's single writes (`SubscriptionRowPlan`,
/// `FieldChange.diff`, `State.json`). Each store only formats the cells for its dialect.
struct BulkRows {
    /// A value to write; a store formats times and booleans its own way.
    enum Cell {
        case text(String)
        case int(Int)
        case bool(Bool)
        case time(Date)
        case null

        init(_ text: String?) { self = text.map(Cell.text) ?? .null }
        init(_ number: Int?) { self = number.map(Cell.int) ?? .null }
        init(_ time: Date?) { self = time.map(Cell.time) ?? .null }
    }

    struct Table {
        let name: String
        let columns: [String]
        var rows: [[Cell]] = []
    }

    private(set) var processes = Table(
        name: "processes",
        columns: [
            "process_id", "workflow_id", "workflow_version", "last_status", "last_step", "state", "form", "failed_reason", "created_by",
            "is_task", "started_at", "last_modified_at", "lease_owner", "lease_expires_at", "next_retry_at",
        ])
    private(set) var subscriptions = Table(
        name: "subscriptions",
        columns: [
            "subscription_id", "description", "status", "product_id", "customer_id", "insync", "start_date", "end_date", "note", "locked_by",
        ])
    private(set) var instances = Table(
        name: "subscription_instances", columns: ["subscription_instance_id", "subscription_id", "product_block_id", "label"])
    private(set) var values = Table(
        name: "subscription_instance_values",
        columns: ["subscription_instance_value_id", "subscription_instance_id", "resource_type_id", "value", "value_type", "list_index"])
    private(set) var relations = Table(
        name: "subscription_instance_relations", columns: ["in_use_by_id", "depends_on_id", "order_id", "domain_model_attr"])
    private(set) var versions = Table(
        name: "subscription_versions",
        columns: ["subscription_id", "version", "process_id", "step_name", "created_by", "created_at", "model", "diff"])
    private(set) var steps = Table(
        name: "process_steps",
        columns: [
            "stepid", "process_id", "name", "status", "state", "created_by", "started_at", "completed_at", "retries", "next_retry_at",
            "failed_reason", "error_type", "details", "seq",
        ])
    private(set) var inputs = Table(
        name: "input_states", columns: ["process_id", "seq", "input_state_id", "input_state", "input_time", "input_type", "created_by", "page"])
    private(set) var links = Table(name: "processes_subscriptions", columns: ["process_id", "subscription_id", "created_at"])

    /// Every table, parents before children.
    var tables: [Table] { [processes, subscriptions, instances, values, relations, versions, steps, inputs, links] }

    /// How many rows of each table the batch makes.
    var counts: BulkLoadCounts {
        var counts = BulkLoadCounts()
        for table in tables { counts.byTable[table.name] = table.rows.count }
        return counts
    }

    /// `instanceIDsAreUUIDs` as for `SubscriptionRowPlan`; `makeID` names value rows.
    init(_ batch: [BulkSubscription], catalog: BulkCatalog, instanceIDsAreUUIDs: Bool, makeID: () -> UUID = UUID.init) throws {
        for subscription in batch {
            try add(subscription, catalog: catalog, instanceIDsAreUUIDs: instanceIDsAreUUIDs, makeID: makeID)
        }
    }

    private mutating func add(_ subscription: BulkSubscription, catalog: BulkCatalog, instanceIDsAreUUIDs: Bool, makeID: () -> UUID) throws {
        guard let now = subscription.versions.last?.model else {
            throw PersistenceError(.corruptRow, "a bulk-loaded subscription of \(subscription.product.name) has no version")
        }
        let key = now.subscriptionID.lowercased
        for process in subscription.processes { try add(process, subscription: key, catalog: catalog, makeID: makeID) }
        subscriptions.rows.append([
            .text(key), .text(now.description), .text(now.status.rawValue),
            .text(try catalog.id(\.products, subscription.product.name, "product")), .text(now.customerID), .bool(now.insync),
            Cell(now.startDate), Cell(now.endDate), Cell(now.note), Cell(subscription.lockedBy?.description),
        ])
        let plan = try SubscriptionRowPlan(
            SubscriptionWrite(now, product: subscription.product), owners: subscription.foreignBlocks.mapValues(\.lowercased),
            blockIDs: catalog.blocks, instanceIDsAreUUIDs: instanceIDsAreUUIDs)
        for instance in plan.instances {
            instances.rows.append([.text(instance.id), .text(key), .text(instance.blockID), Cell(instance.label)])
        }
        for value in plan.values {
            values.rows.append([
                .text(makeID().lowercased), .text(value.instance), .text(try catalog.id(\.resourceTypes, value.field, "resource type")),
                Cell(value.text), .text(value.type), Cell(value.index),
            ])
        }
        for relation in plan.relations {
            relations.rows.append([.text(relation.parent), .text(relation.child), Cell(relation.order), .text(relation.attribute)])
        }
        var previous: JSONValue?
        var number = 0
        for version in subscription.versions {
            let model = version.model.json
            // As a save does: a change that changes nothing adds no version.
            guard let changes = SubscriptionRowPlan.versionChanges(previous: previous, stored: model) else { continue }
            number += 1
            previous = model
            versions.rows.append([
                .text(key), .int(number), Cell(version.processID?.description), Cell(version.step?.rawValue), .text(version.user),
                .time(version.time), .text(model.jsonText), .text(try JSONValue(encoding: changes).jsonText),
            ])
        }
    }

    private mutating func add(_ process: BulkProcess, subscription key: String, catalog: BulkCatalog, makeID: () -> UUID) throws {
        let record = process.record
        let id = record.processID.description
        processes.rows.append([
            .text(id), .text(try catalog.id(\.workflows, record.workflowName, "workflow")), .text(record.workflowVersion),
            .text(record.status.rawValue), Cell(record.lastStep?.rawValue), .text(record.state.json.jsonText),
            Cell(try record.form.map { try JSONValue(encoding: $0).jsonText }), Cell(record.failedReason), .text(record.createdBy),
            .bool(record.isTask), .time(record.startedAt), .time(record.lastModifiedAt), Cell(record.leaseOwner), Cell(record.leaseExpiresAt),
            Cell(record.nextRetryAt),
        ])
        for (index, step) in process.steps.enumerated() {
            steps.rows.append([
                .text(step.stepID.lowercased), .text(id), .text(step.key.rawValue), .text(step.status.rawValue), .text(step.state.json.jsonText),
                .text(step.createdBy), .time(step.startedAt), .time(step.completedAt), .int(step.attempt), Cell(step.nextRetryAt),
                Cell(step.failedReason), Cell(step.errorType), Cell(step.details?.jsonText), .int(index + 1),
            ])
        }
        for (index, input) in process.inputs.enumerated() {
            inputs.rows.append([
                .text(id), .int(index + 1), .text(makeID().lowercased), .text(input.input.json.jsonText), .time(input.inputTime),
                .text(input.kind.rawValue), .text(input.createdBy), Cell(input.page),
            ])
        }
        links.rows.append([.text(id), .text(key), .time(process.linkedAt)])
    }
}
