import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Persistence
import ServiceLifecycle
import WorkflowEngine

/// Delivers the event log to outgoing webhooks (`wf hook add`), at least once and in order.
///
/// The outbox is the event log: every event is written in the transaction of the change it
/// reports, so there is nothing to lose between a change and its delivery. Each hook keeps a
/// cursor (the last event id it handled) that moves on only after the receiver answered 2xx;
/// one runner at a time delivers a hook (a lease in the store), so the events of a hook go
/// out one after another, in the log's order. A failed attempt is recorded and retried after
/// 1, 2, 4 … seconds, at most 5 minutes apart, for as long as it takes: a receiver that was
/// down for an hour then gets every event it missed, in order.
///
/// Each POST carries the event as JSON and:
/// - `X-WF-Event`: the event's name (`process.completed`);
/// - `X-WF-Delivery` and `Idempotency-Key`: `<hook id>:<event id>`, the same on every retry;
/// - `X-WF-Signature`: `sha256=` and the hex HMAC-SHA256 of the body with the hook's secret.
final class HookDeliverer: Service, Sendable {
    private let store: any WorkflowStore
    private let owner: String
    private let client: HTTPClient
    private let interval: Duration
    private let timeout: TimeAmount
    private let now: @Sendable () -> Date
    private let logger = Logger(label: "wf.hooks")

    /// The longest wait between two attempts at one event.
    static let longestBackoff: TimeInterval = 300
    /// How long a lease on a hook lasts; renewed by each batch.
    static let leaseDuration: TimeInterval = 60

    init(
        store: any WorkflowStore, owner: String, client: HTTPClient = .shared, interval: Duration = .seconds(1), timeout: TimeAmount = .seconds(10),
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.store = store
        self.owner = owner
        self.client = client
        self.interval = interval
        self.timeout = timeout
        self.now = now
    }

    func run() async throws {
        // A look every `interval`: for new events and for retries that came due.
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await deliverDue()
            } catch {
                logger.warning("hook delivery failed; trying again", metadata: ["error": "\(error)"])
            }
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
            } catch {
                return
            }
        }
    }

    /// Delivers what is due to every hook this runner can lease; returns the attempts made.
    @discardableResult
    func deliverDue() async throws -> Int {
        let start = now()
        var attempts = 0
        for hook in try await store.leaseHooks(owner: owner, now: start, until: start + Self.leaseDuration, limit: 20) {
            do {
                attempts += try await deliver(hook)
            } catch {
                try? await store.releaseHook(hook.id, owner: owner)
                throw error
            }
            try await store.releaseHook(hook.id, owner: owner)
        }
        return attempts
    }

    /// Sends `hook` the events after its cursor, in order, until one fails or none is left:
    /// at most 500 per lease, so other hooks get their turn, and none started after half the
    /// lease, so that the last one ends (10 s timeout) well before the lease could pass to
    /// another runner, which would send the same events again, maybe out of order.
    private func deliver(_ hook: Hook) async throws -> Int {
        var cursor = hook.cursor
        var failures = hook.failures
        var attempts = 0
        var skipped = false
        let started = ContinuousClock.now
        let lastStart = started + .seconds(Self.leaseDuration / 2) - .seconds(Int64(timeout.nanoseconds / 1_000_000_000))
        while attempts < 500 && ContinuousClock.now < lastStart {
            let events = try await store.events(after: cursor, matching: .all, limit: 100)
            guard !events.isEmpty else { break }
            for event in events {
                guard ContinuousClock.now < lastStart else { break }
                guard let name = HookEvent(event), hook.events.contains(name) else {
                    cursor = event.id
                    skipped = true
                    continue
                }
                let delivery = await post(event, named: name, to: hook, attempt: failures + 1)
                attempts += 1
                if delivery.succeeded {
                    guard try await store.recordHookAttempt(hook.id, owner: owner, delivery: delivery, cursor: event.id, retryAt: nil) else {
                        return attempts
                    }
                    cursor = event.id
                    failures = 0
                    skipped = false
                } else {
                    let wait = min(pow(2, Double(failures)), Self.longestBackoff)
                    _ = try await store.recordHookAttempt(hook.id, owner: owner, delivery: delivery, cursor: cursor, retryAt: now() + wait)
                    logger.info(
                        "hook delivery failed; will retry", metadata: ["hook": "\(hook.id)", "event": "\(event.id)", "retry_in_s": "\(wait)"])
                    return attempts
                }
            }
        }
        if skipped { _ = try await store.recordHookAttempt(hook.id, owner: owner, delivery: nil, cursor: cursor, retryAt: nil) }
        return attempts
    }

    /// One POST of one event; never throws: what went wrong is in the delivery.
    private func post(_ event: EngineEvent, named name: HookEvent, to hook: Hook, attempt: Int) async -> HookDelivery {
        let started = now()
        let clock = ContinuousClock.now
        let key = "\(hook.id.uuidString.lowercased()):\(event.id)"
        let body = Self.body(event, named: name, key: key)
        var request = HTTPClientRequest(url: hook.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "wf-hooks")
        request.headers.add(name: "X-WF-Event", value: name.rawValue)
        request.headers.add(name: "X-WF-Delivery", value: key)
        request.headers.add(name: "Idempotency-Key", value: key)
        request.headers.add(name: "X-WF-Signature", value: "sha256=" + Self.signature(body, secret: hook.secret))
        request.body = .bytes(ByteBuffer(bytes: body))
        var status: Int?
        var error: String?
        do {
            let response = try await client.execute(request, timeout: timeout)
            status = Int(response.status.code)
            _ = try? await response.body.collect(upTo: 64 * 1024)
        } catch let failure {
            error = "\(failure)"
        }
        let elapsed = ContinuousClock.now - clock
        return HookDelivery(
            hookID: hook.id, eventID: event.id, event: name.rawValue, attempt: attempt, at: started, status: status, error: error,
            durationMilliseconds: Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000))
    }

    /// The JSON a receiver gets: the event of the log under its hook name, with the key
    /// that stays the same on every retry.
    static func body(_ event: EngineEvent, named name: HookEvent, key: String) -> [UInt8] {
        guard case .object(var object) = event.json else { return [] }
        object["event"] = .string(name.rawValue)
        object["event_id"] = object.removeValue(forKey: "id")
        object["delivery"] = .string(key)
        return Array(JSONValue.object(object).jsonText.utf8)
    }

    /// Lowercase hex HMAC-SHA256 of `body` with `secret`.
    static func signature(_ body: [UInt8], secret: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))
        return code.map { String(format: "%02x", $0) }.joined()
    }
}
