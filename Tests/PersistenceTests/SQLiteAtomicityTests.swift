import Foundation
import GRDB
import Testing
import WorkflowEngine
import WorkflowTestKit

@testable import Persistence

/// The step-log row and the process row of one step commit together or not at all: when
/// the log row cannot be written, the process row keeps its old status, state and lease.
@Suite(.storeSlots, .tags(.sqlite))
struct SQLiteAtomicityTests {
    @Test func commitStepWritesNothingWhenItsLogRowCannotBeWritten() async throws {
        let temporary = try await TemporaryStore(kind: .sqlite, workflows: [Fixtures.flow])
        let store = try #require(temporary.sqlite)
        let process = try await store.insert(Fixtures.process(leaseOwner: "runner", leaseExpiresAt: Fixtures.at(30)))
        // Make the log insert fail after the process row was updated in the same transaction.
        try await store.pool.write { db in
            try db.execute(
                sql: """
                    CREATE TRIGGER refuse_exploding_step BEFORE INSERT ON process_steps WHEN NEW.name = 'explode'
                    BEGIN SELECT RAISE(ABORT, 'refused by the test'); END
                    """)
        }
        let row = Fixtures.row(process, "explode", state: ["n": 99])
        await #expect(throws: (any Error).self) {
            try await store.commitStep(Fixtures.commit(row, owner: "runner", status: .completed))
        }
        let after = try await store.require(process.processID)
        #expect(after.status == .running)
        #expect(after.state == process.state)
        #expect(after.lastStep == nil)
        #expect(after.leaseOwner == "runner")
        #expect(try await store.steps(of: process.processID).isEmpty)

        // The same commit goes through once the log row can be written.
        let fine = Fixtures.row(process, "fine", state: ["n": 100])
        try await store.commitStep(Fixtures.commit(fine, owner: "runner", status: .completed))
        #expect(try await store.require(process.processID).status == .completed)
        #expect(try await store.steps(of: process.processID).map(\.key) == ["fine"])
    }
}
