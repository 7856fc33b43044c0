import Foundation

/// The names outgoing webhooks subscribe to (`wf hook add --events`), each a kind of event of
/// the event log, or one status a process reaches.
public enum HookEvent: String, Sendable, Hashable, CaseIterable {
    case processCreated = "process.created"
    case processRunning = "process.running"
    case processSuspended = "process.suspended"
    case processWaiting = "process.waiting"
    case processCompleted = "process.completed"
    case processFailed = "process.failed"
    case processAPIUnavailable = "process.api_unavailable"
    case processInconsistent = "process.inconsistent_data"
    case processAborted = "process.aborted"
    case stepCommitted = "step.committed"
    case subscriptionChanged = "subscription.changed"

    /// What an event of the log is called for hooks: a status change is `process.<status>`,
    /// the status as the API names it. Nil for a status no hook names (created: see processCreated).
    public init?(_ event: EngineEvent) {
        switch event.kind {
        case .processCreated: self = .processCreated
        case .stepCommitted: self = .stepCommitted
        case .subscriptionChanged: self = .subscriptionChanged
        case .processStatus:
            guard let to = event.data.objectValue?["to"]?.stringValue, let named = HookEvent(rawValue: "process.\(to)") else { return nil }
            self = named
        }
    }

    /// Parses a comma-separated list (`process.completed,process.failed`, or `*` for all),
    /// refusing an unknown name and listing the known ones.
    public static func parseList(_ text: String) throws -> [HookEvent] {
        let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        if names == ["*"] { return allCases }
        guard !names.isEmpty else {
            throw WorkflowError(.invalidInput, "name at least one event (or * for all): \(allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var events: [HookEvent] = []
        for name in names {
            guard let event = HookEvent(rawValue: name) else {
                throw WorkflowError(
                    .invalidInput, "'\(name)' is not an event a hook can receive; known: \(allCases.map(\.rawValue).joined(separator: ", ")), or *")
            }
            if !events.contains(event) { events.append(event) }
        }
        return events
    }
}

/// An outgoing webhook: where events are POSTed and which.
public struct Hook: Sendable, Hashable {
    public var id: UUID
    public var url: String
    public var events: [HookEvent]
    /// The key of the `X-WF-Signature` HMAC; shown once when the hook is added.
    public var secret: String
    public var createdBy: String
    public var createdAt: Date
    /// The last event id handled (delivered, or not one the hook receives).
    public var cursor: Int64
    /// Failed attempts in a row at the event after `cursor`.
    public var failures: Int
    public var nextAttemptAt: Date?
    public var lastError: String?

    public init(
        id: UUID, url: String, events: [HookEvent], secret: String, createdBy: String, createdAt: Date, cursor: Int64, failures: Int = 0,
        nextAttemptAt: Date? = nil, lastError: String? = nil
    ) {
        self.id = id
        self.url = url
        self.events = events
        self.secret = secret
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.cursor = cursor
        self.failures = failures
        self.nextAttemptAt = nextAttemptAt
        self.lastError = lastError
    }
}

/// One attempt to deliver one event to one hook.
public struct HookDelivery: Sendable, Hashable {
    public var hookID: UUID
    public var eventID: Int64
    public var event: String
    public var attempt: Int
    public var at: Date
    /// The receiver's HTTP status; nil when there was no answer (refused, timed out).
    public var status: Int?
    public var error: String?
    public var durationMilliseconds: Int

    public init(hookID: UUID, eventID: Int64, event: String, attempt: Int, at: Date, status: Int?, error: String?, durationMilliseconds: Int) {
        self.hookID = hookID
        self.eventID = eventID
        self.event = event
        self.attempt = attempt
        self.at = at
        self.status = status
        self.error = error
        self.durationMilliseconds = durationMilliseconds
    }

    /// Whether the receiver took it (2xx).
    public var succeeded: Bool { status.map { (200..<300).contains($0) } ?? false }
}

/// Where hooks, their cursors and their deliveries live.
public protocol HookStore: Sendable {
    /// Adds a hook whose cursor is the newest event id now: it receives what happens from now on.
    func addHook(_ hook: Hook) async throws -> Hook
    func hooks() async throws -> [Hook]
    func removeHook(_ id: UUID) async throws -> Bool
    func hookIDs(withPrefix prefix: String) async throws -> [UUID]
    /// Leases the hooks with events to deliver that are not waiting for a retry, until
    /// `until`; each to one runner at a time.
    func leaseHooks(owner: String, now: Date, until: Date, limit: Int) async throws -> [Hook]
    /// Records an attempt and moves the hook on: a success (or `skipTo`, events the hook does
    /// not receive) sets the cursor and clears the failures; a failure counts one and waits
    /// until `retryAt`. False when `owner` no longer holds the lease (nothing recorded).
    func recordHookAttempt(_ hookID: UUID, owner: String, delivery: HookDelivery?, cursor: Int64, retryAt: Date?) async throws -> Bool
    /// Hands a lease back.
    func releaseHook(_ hookID: UUID, owner: String) async throws
    /// The newest attempts first (of one hook, or all).
    func hookDeliveries(of hookID: UUID?, limit: Int) async throws -> [HookDelivery]
}
