import Foundation
import Persistence
import Testing
import WorkflowEngine
import WorkflowTestKit

/// What the ledger of NetBox writes needs from every store: an intent recorded only while
/// the runner holds an unexpired lease, outcomes settled once, and created objects claimed
/// or released by exactly one run.
@Suite("Ledger store conformance", .storeSlots)
struct LedgerStoreConformanceTests {
    /// Stands for the PostgreSQL cases the store tests below drop without a server, so that
    /// the run names them as skipped; with one, checks that a PostgreSQL store opens.
    @Test(.enabled(if: StoreKind.postgresURL != nil, StoreKind.postgresCasesSkipped(4)))
    func postgreSQLCasesRan() async throws {
        #expect(StoreKind.available.contains(.postgres))
        let temporary = try await TemporaryStore(kind: .postgres)
        #expect(try await temporary.store.migrationStatus().allSatisfy { $0.state == .applied })
    }

    typealias F = Fixtures

    static func entry(
        _ process: ProcessRecord, execution: UUID = UUID(), action: LedgerEntry.Action = .create, type: String = "ipam.prefix",
        key: String? = "v4 block", at seconds: Double = 10
    ) -> LedgerEntry {
        LedgerEntry(
            entryID: UUID(), processID: process.processID, step: "reserve_ips_in_ipam", execution: execution, attempt: 1, runner: "runner-a",
            subscriptionID: UUID(), action: action, objectType: type, key: key, sent: ["prefix_length": 31, "description": "circuit x v4"],
            finder: ["prefix": ["within": "10.0.0.0/16", "description": "circuit x v4", "length": 31]], startedAt: F.at(seconds))
    }

    static func running(_ store: any ProcessStore, owner: String = "runner-a", until seconds: Double = 30) async throws -> ProcessRecord {
        try await store.insert(F.process(status: .running, lastModifiedAt: F.at(1), leaseOwner: owner, leaseExpiresAt: F.at(seconds)))
    }

    @Test(arguments: StoreKind.available)
    func anIntentIsRecordedOnlyWhileTheRunnerHoldsAnUnexpiredLease(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let process = try await Self.running(store)
            let held = Self.entry(process)
            #expect(try await store.recordIntent(held, fence: LedgerFence(owner: "runner-a", now: F.at(10))))
            #expect(
                try await !store.recordIntent(Self.entry(process), fence: LedgerFence(owner: "runner-b", now: F.at(10))),
                "another runner")
            #expect(
                try await !store.recordIntent(Self.entry(process), fence: LedgerFence(owner: "runner-a", now: F.at(31))),
                "the lease expired")
            let unfenced = Self.entry(process, action: .delete)
            #expect(try await store.recordIntent(unfenced, fence: nil), "a release of what a run made needs no lease")
            let stored = try await store.ledger(LedgerQuery(processID: process.processID))
            #expect(stored.map(\.entryID) == [held.entryID, unfenced.entryID])
            #expect(stored.first == held, "read back as written")
        }
    }

    @Test(arguments: StoreKind.available)
    func anOutcomeIsSettledOnceButAMakerMayStillRecordWhatAnotherRunGaveUp(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let process = try await Self.running(store)
            let entry = Self.entry(process)
            _ = try await store.recordIntent(entry, fence: nil)
            #expect(
                try await store.recordOutcome(
                    entry.entryID, .notMade, objectID: nil, label: nil, answer: nil, error: "not found", at: F.at(11), netboxRequestID: nil))
            #expect(
                try await store.recordOutcome(
                    entry.entryID, .done, objectID: 5, label: "10.0.0.0/31", answer: ["id": 5], error: nil, at: F.at(12),
                    netboxRequestID: "7c1e6a0e-4d3b-4f55-9a57-0d4e2f3b9a11"),
                "the paused maker wakes and records what it made")
            #expect(
                try await !store.recordOutcome(
                    entry.entryID, .done, objectID: 6, label: "10.0.0.2/31", answer: nil, error: nil, at: F.at(13),
                    netboxRequestID: "b2b7f2d1-0000-4000-8000-000000000013"),
                "settled: a second answer does not overwrite it")
            let stored = try #require(try await store.ledger(LedgerQuery(objectType: "ipam.prefix", objectID: 5)).first)
            #expect(stored.outcome == .done)
            #expect(stored.label == "10.0.0.0/31")
            #expect(stored.answer == ["id": 5])
            #expect(stored.finishedAt == F.at(12))
            // NetBox's id of the call that made it: its webhook deliveries are the orchestrator's own change.
            #expect(try await (store as! any DriftCheckStore).isOwnNetBoxRequest("7c1e6a0e-4d3b-4f55-9a57-0d4e2f3b9a11"))
            #expect(
                try await (store as! any DriftCheckStore).isOwnNetBoxRequest("b2b7f2d1-0000-4000-8000-000000000013") == false,
                "the refused answer left no id")
        }
    }

    @Test(arguments: StoreKind.available)
    func aCreatedObjectIsClaimedOrReleasedByExactlyOneRun(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let process = try await Self.running(store)
            let maker = UUID()
            let adopter = UUID()
            let first = Self.entry(process, execution: maker)
            _ = try await store.recordIntent(first, fence: nil)
            #expect(try await store.claim(first.entryID, for: adopter), "the run that took over adopts it")
            #expect(try await !store.markReleased(first.entryID, heldBy: maker, at: F.at(20)), "its maker may no longer release it")
            #expect(try await store.markReleased(first.entryID, heldBy: adopter, at: F.at(21)))
            #expect(try await !store.claim(first.entryID, for: maker), "released: nobody adopts it")
            try await store.unmarkReleased(first.entryID, heldBy: adopter)
            let back = try #require(try await store.ledger(LedgerQuery(processID: process.processID)).first)
            #expect(back.releasedAt == nil, "a release taken back when the delete failed")
            #expect(back.heldBy == adopter)
        }
    }

    @Test(arguments: StoreKind.available)
    func entriesAreFoundByProcessSubscriptionAndObject(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let one = try await Self.running(store)
            let other = try await Self.running(store)
            var created = Self.entry(one)
            created.objectID = 7
            created.outcome = .done
            var deleted = Self.entry(other, action: .delete, key: nil, at: 20)
            deleted.objectID = 7
            deleted.subscriptionID = created.subscriptionID
            deleted.outcome = .done
            for entry in [created, deleted] { _ = try await store.recordIntent(entry, fence: nil) }
            #expect(try await store.ledger(LedgerQuery(processID: one.processID)).map(\.entryID) == [created.entryID])
            #expect(try await store.ledger(LedgerQuery(subscriptionID: created.subscriptionID)).count == 2)
            #expect(try await store.ledger(LedgerQuery(objectType: "ipam.prefix", objectID: 7)).map(\.action) == [.create, .delete])
            #expect(try await store.ledger(LedgerQuery(objectType: "ipam.ip-address", objectID: 7)).isEmpty)
            #expect(try await store.ledger(LedgerQuery(subscriptionID: created.subscriptionID)).living.isEmpty, "deleted since")
        }
    }
}
