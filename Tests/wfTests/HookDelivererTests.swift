import Foundation
import Hummingbird
import Logging
import Persistence
import Synchronization
import Testing
import WorkflowEngine
import WorkflowTestKit

@testable import wf

/// Outgoing hooks on each store, against a real HTTP receiver on loopback and a manual
/// clock: a receiver that fails for a while gets every event once it recovers, in the log's
/// order, signed, each under a key that stays the same on retries; two deliverers never
/// send one event twice.
@Suite("Outgoing hooks: at least once, in order", .storeSlots, .timeLimit(.minutes(5)))
struct HookDelivererTests {
    /// What the receiver took (2xx) and how many requests it refused.
    final class Receiver: Sendable {
        struct Taken: Sendable {
            var eventID: Int
            var event: String
            var key: String
            var signatureValid: Bool
        }
        let failing = Mutex(true)
        let taken = Mutex<[Taken]>([])
        let refused = Mutex(0)
        let secret: Mutex<String> = Mutex("")

        func router() -> Router<APIContext> {
            let router = Router(context: APIContext.self)
            router.post("/hook") { request, _ -> Response in
                let body = try await request.body.collect(upTo: 1 << 20)
                let bytes = Array(body.readableBytesView)
                if self.failing.withLock({ $0 }) {
                    self.refused.withLock { $0 += 1 }
                    return Response(status: .internalServerError)
                }
                let json = try JSONValue.parse(Data(bytes))
                let signature = request.headers[.init("X-WF-Signature")!] ?? ""
                let expected = "sha256=" + HookDeliverer.signature(bytes, secret: self.secret.withLock { $0 })
                self.taken.withLock {
                    $0.append(
                        Taken(
                            eventID: json.objectValue?["event_id"]?.intValue ?? -1, event: request.headers[.init("X-WF-Event")!] ?? "",
                            key: request.headers[.init("Idempotency-Key")!] ?? "", signatureValid: signature == expected))
                }
                return Response(status: .noContent)
            }
            return router
        }
    }

    /// Stands for the PostgreSQL cases below, dropped without a server.
    @Test(.enabled(if: StoreKind.postgresURL != nil, StoreKind.postgresCasesSkipped(1)))
    func postgreSQLCasesRan() async throws {
        #expect(StoreKind.available.contains(.postgres))
    }

    @Test(arguments: StoreKind.available)
    func aReceiverThatFailsForAWhileGetsEveryEventOnceItRecoversInOrder(kind: StoreKind) async throws {
        let task = WorkflowDefinition(
            name: "hooked_task", target: .system, description: "a task whose events are sent",
            steps: StepList([Step("one") { _ in .success(["a": 1]) }, Step("two") { _ in .success(["b": 2]) }, done]))
        let temporary = try await TemporaryStore(kind: kind, workflows: [task])
        let store = temporary.store
        let clock = ManualClock(Date(timeIntervalSince1970: 1_800_000_000))
        let engine = try Engine.testing(store: store, workflows: [task], clock: clock)
        let receiver = Receiver()
        var logger = Logger(label: "wf.test.receiver")
        logger.logLevel = .warning
        let server = await LoopbackServer.start(receiver.router(), logger: logger)
        defer { Task { await server.stop() } }

        // Before the hook: not sent. After it: created, the two steps, completed; not the rest.
        _ = try await engine.start(task.name, user: "alice")
        let hook = try await store.addHook(
            Hook(
                id: UUID(), url: server.base + "/hook", events: [.processCreated, .stepCommitted, .processCompleted],
                secret: "a-secret-of-at-least-16", createdBy: "alice", createdAt: clock.now, cursor: 0))
        receiver.secret.withLock { $0 = hook.secret }
        var started: [ProcessID] = []
        for _ in 0..<3 { started.append(try await engine.start(task.name, user: "alice").processID) }

        let first = HookDeliverer(store: store, owner: "deliverer-a", now: { clock.now })
        let second = HookDeliverer(store: store, owner: "deliverer-b", now: { clock.now })
        // The receiver is down: one attempt per due time, backing off 1, 2, 4, 8 s.
        var waits: [TimeInterval] = []
        for _ in 0..<5 {
            #expect(try await first.deliverDue() == 1)
            #expect(try await first.deliverDue() == 0, "nothing is due before the wait is over")
            let failing = try #require(try await store.hooks().first)
            let wait = try #require(failing.nextAttemptAt).timeIntervalSince(clock.now)
            waits.append(wait)
            clock.advance(by: .seconds(wait))
        }
        #expect(waits == [1, 2, 4, 8, 16])
        #expect(receiver.refused.withLock { $0 } == 5)
        let stuck = try #require(try await store.hooks().first)
        #expect(stuck.failures == 5 && stuck.lastError == "answered HTTP 500" && stuck.cursor == hook.cursor)

        // It recovers: both deliverers try at once; every event goes out once, in order.
        receiver.failing.withLock { $0 = false }
        async let one = first.deliverDue()
        async let two = second.deliverDue()
        _ = try await (one, two)
        let events = try await store.events(after: hook.cursor, matching: .all, limit: 1000)
        let wanted = events.compactMap { event -> Int? in
            guard let name = HookEvent(event), hook.events.contains(name) else { return nil }
            return Int(event.id)
        }
        #expect(wanted.count == 3 * 5, "created, three steps (done too) and completed of each of the three processes")
        let taken = receiver.taken.withLock { $0 }
        #expect(taken.map(\.eventID) == wanted, "each event once, in the log's order")
        #expect(taken.allSatisfy { $0.signatureValid })
        #expect(taken.map(\.key) == wanted.map { "\(hook.id.uuidString.lowercased()):\($0)" })
        #expect(Set(taken.map(\.event)) == ["process.created", "step.committed", "process.completed"])
        let done = try #require(try await store.hooks().first)
        #expect(done.failures == 0 && done.nextAttemptAt == nil)
        #expect(done.cursor == events.last.map(\.id), "the cursor passed the events it does not send too")
        let attempts = try await store.hookDeliveries(of: hook.id, limit: 100)
        #expect(attempts.count == 5 + wanted.count)
        #expect(attempts.filter { $0.status == 500 }.map(\.attempt).sorted() == [1, 2, 3, 4, 5])
        #expect(try await first.deliverDue() == 0, "nothing left to send")
        #expect(try await store.removeHook(hook.id))
        #expect(try await store.hookDeliveries(of: hook.id, limit: 100).isEmpty)
    }

    @Test func everyProcessStatusHasItsHookEventAndEveryEventKindIsNamed() throws {
        for status in ProcessStatus.allCases where status != .created {
            let event = EngineEvent(
                id: 1, at: Date(), kind: .processStatus, processID: nil, subscriptionID: nil, data: ["to": .string(status.rawValue)])
            #expect(HookEvent(event)?.rawValue == "process.\(status.rawValue)", "\(status)")
        }
        for kind in [EngineEventKind.processCreated, .stepCommitted, .subscriptionChanged] {
            #expect(HookEvent(EngineEvent(id: 1, at: Date(), kind: kind, processID: nil, subscriptionID: nil, data: [:])) != nil, "\(kind)")
        }
    }

    @Test func eventNamesAreCheckedAndNamed() throws {
        #expect(try HookEvent.parseList("process.completed, process.failed") == [.processCompleted, .processFailed])
        #expect(try HookEvent.parseList("*") == HookEvent.allCases)
        #expect(throws: WorkflowError.self) { try HookEvent.parseList("process.done") }
        #expect(throws: WorkflowError.self) { try HookEvent.parseList(" , ") }
    }
}
