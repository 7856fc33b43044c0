import Foundation

/// What an `EngineEvent` says happened. The raw values are persisted (`events.kind`) and
/// sent to clients.
public enum EngineEventKind: String, Sendable, Hashable, CaseIterable {
    /// A process row was created (`data`: workflow, status, user).
    case processCreated = "process_created"
    /// A step's log row was committed (`data`: step, status, attempt, user, and the reason of one that did not pass).
    case stepCommitted = "step_committed"
    /// A process changed status (`data`: from, to, workflow, user, reason).
    case processStatus = "process_status"
    /// A subscription changed: a new version was saved, or an operator changed its lock or
    /// sync flag (`data`: version, status, insync, step, user, or change).
    case subscriptionChanged = "subscription_changed"
}

/// One entry of the durable event log: written in the same transaction as the change it
/// describes, so a reader that has seen every id up to `id` has missed nothing before it.
///
/// `data` names what changed (workflow, step, statuses, user, version), never state,
/// answers or other secrets: the log is for following, `wf process show` for reading.
public struct EngineEvent: Sendable, Hashable {
    /// Increasing in the order the events became visible; a reader resumes after the last id it saw.
    public var id: Int64
    public var at: Date
    public var kind: EngineEventKind
    /// The process the event is about, or that made the subscription change.
    public var processID: ProcessID?
    public var subscriptionID: UUID?
    public var data: JSONValue

    public init(id: Int64, at: Date, kind: EngineEventKind, processID: ProcessID?, subscriptionID: UUID?, data: JSONValue) {
        self.id = id
        self.at = at
        self.kind = kind
        self.processID = processID
        self.subscriptionID = subscriptionID
        self.data = data
    }

    /// The event as the API and `wf process watch --json` show it, with snake_case keys and
    /// the time in ISO 8601 with milliseconds.
    public var json: JSONValue {
        .object([
            "id": .int(Int(id)),
            "at": .string(SubscriptionModel.timeFormatter.string(from: at)),
            "kind": .string(kind.rawValue),
            "process_id": processID.map { .string($0.description) } ?? .null,
            "subscription_id": subscriptionID.map { .string($0.uuidString.lowercased()) } ?? .null,
            "data": data,
        ])
    }
}

/// Which events to read: those of one process, of one subscription, or (both nil) all.
public struct EventFilter: Sendable, Hashable {
    public var processID: ProcessID?
    public var subscriptionID: UUID?

    public init(processID: ProcessID? = nil, subscriptionID: UUID? = nil) {
        self.processID = processID
        self.subscriptionID = subscriptionID
    }

    /// Everything.
    public static let all = EventFilter()
}

/// The durable log of what the engine did, for clients that follow it live (`GET
/// /api/events`, `wf process watch`). Every store that keeps processes keeps it, filled by
/// the same transactions that make the changes.
///
/// A follower takes `eventSignals()` first, then reads `events(after:)` from its cursor and
/// again on each signal: that way nothing written between its read and its wait is missed.
public protocol EventLog: Sendable {
    /// Events with an id greater than `id` that match `filter`, oldest first, at most `limit`.
    /// Only events no earlier write can still overtake are returned: an id once passed is
    /// never filled in later (on PostgreSQL this waits for transactions writing events to end).
    func events(after id: Int64, matching filter: EventFilter, limit: Int) async throws -> [EngineEvent]

    /// The id of the latest event (0 when there is none): where a follower that only wants
    /// what happens from now on starts.
    func lastEventID() async throws -> Int64

    /// Yields whenever new events may exist, written by this process or any other on the
    /// same database (PostgreSQL: `LISTEN`; SQLite: a look at the log every 100 ms), and
    /// once at the start. A follower may get a signal with nothing new. The stream ends when
    /// the task iterating it is cancelled.
    func eventSignals() -> AsyncStream<Void>
}
