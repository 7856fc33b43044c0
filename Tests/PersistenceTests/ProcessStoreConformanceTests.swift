import Foundation
import Persistence
import Testing
import WorkflowEngine
import WorkflowTestKit

/// The behaviour every `ProcessStore` must have, run against each available store.
@Suite("ProcessStore conformance", .storeSlots)
struct ProcessStoreConformanceTests {
    /// Stands for the PostgreSQL cases the store tests below drop without a server, so that
    /// the run names them as skipped; with one, checks that a PostgreSQL store opens.
    @Test(.enabled(if: StoreKind.postgresURL != nil, StoreKind.postgresCasesSkipped(29)))
    func postgreSQLCasesRan() async throws {
        #expect(StoreKind.available.contains(.postgres))
        let temporary = try await TemporaryStore(kind: .postgres)
        #expect(try await temporary.store.migrationStatus().allSatisfy { $0.state == .applied })
    }

    typealias F = Fixtures

    // MARK: - Processes and inputs

    @Test(arguments: StoreKind.available)
    func insertedProcessReadsBackWithEveryField(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let form = Form(
                title: "Confirm", fields: [.display("config", "Config", text: "line 1\nline 2"), .accept("ok", "OK"), .integer("n", "N", default: 3)])
            let state: State = [
                "int": 42,
                "big": .int(Int.max),
                "negative": -7,
                "double": 2.5,
                "text": "naïve \"quoted\" \\ \n tab\t",
                "flag": false,
                "null": nil,
                "list": [1, "two", [3], ["four": 4], nil],
                "nested": ["level1": ["level2": ["ids": [1, 2, 3], "empty": [:], "none": []]]],
            ]
            let process = F.process(
                workflow: F.task, status: .waiting, state: state, lastStep: "fetch", form: form, failedReason: "NetBox answered 503",
                createdBy: "alice", startedAt: F.t0, lastModifiedAt: F.at(5), leaseOwner: "runner-a", leaseExpiresAt: F.at(30.5),
                nextRetryAt: F.at(10))
            try await store.insert(process)

            let read = try await store.require(process.processID)

            #expect(read == process)
            #expect(read.state[raw: "int"] == .int(42), "ints stay ints")
            #expect(read.state[raw: "big"] == .int(Int.max))
            #expect(read.state[raw: "double"] == .double(2.5))
            #expect(read.state[raw: "null"] == JSONValue.null, "a stored null reads back as null")
            #expect(read.state[raw: "absent"] == nil, "an absent key stays absent")
            #expect(read.state[raw: "nested"] == state[raw: "nested"])
            #expect(read.isTask)
            #expect(read.form == form)
        }
    }

    @Test(arguments: StoreKind.available)
    func insertedProcessWithoutOptionalFieldsReadsThemBackAsNil(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let process = F.process(status: .created, state: [:])
            try await store.insert(process)

            let read = try await store.require(process.processID)

            #expect(read == process)
            #expect(read.lastStep == nil)
            #expect(read.form == nil)
            #expect(read.failedReason == nil)
            #expect(read.leaseOwner == nil)
            #expect(read.leaseExpiresAt == nil)
            #expect(read.nextRetryAt == nil)
            #expect(read.state.isEmpty)
            #expect(!read.isTask)
        }
    }

    @Test(arguments: StoreKind.available)
    func timesReadBackToTheMillisecond(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let milliseconds = [1, 3, 123, 500, 999]
            for (index, millisecond) in milliseconds.enumerated() {
                let time = F.at(Double(index * 60) + Double(millisecond) / 1000)
                let process = F.process(
                    status: .running, startedAt: time, lastModifiedAt: time, leaseOwner: "r", leaseExpiresAt: time)
                try await store.insert(process)
                let row = F.row(process, "a", at: time)
                try await store.commitStep(
                    StepCommit(step: row, owner: "r", status: .running, state: row.state))

                let read = try await store.require(process.processID)
                #expect(read.startedAt.timeIntervalSince1970 == time.timeIntervalSince1970, "\(millisecond) ms")
                #expect(read.lastModifiedAt.timeIntervalSince1970 == time.timeIntervalSince1970, "\(millisecond) ms")
                #expect(read.leaseExpiresAt?.timeIntervalSince1970 == time.timeIntervalSince1970, "\(millisecond) ms")
                let readRow = try #require(try await store.steps(of: process.processID).first)
                #expect(readRow.startedAt.timeIntervalSince1970 == time.timeIntervalSince1970, "\(millisecond) ms")
                #expect(readRow.completedAt.timeIntervalSince1970 == time.timeIntervalSince1970, "\(millisecond) ms")
                #expect(try await store.inputStates(of: process.processID).first?.inputTime == F.t0)
            }
        }
    }

    @Test(arguments: StoreKind.available)
    func processOfAnUnknownWorkflowIsRefusedAndNothingIsStored(kind: StoreKind) async throws {
        try await withStore(kind) { store async throws in
            let unknown = WorkflowDefinition(name: "not_registered", target: .create, description: "", steps: StepList([done]))
            let process = F.process(workflow: unknown)

            await #expect(throws: (any Error).self) { try await store.insert(process) }

            #expect(try await store.process(process.processID) == nil)
            #expect(try await store.inputStates(of: process.processID).isEmpty)
        }
    }

    @Test(arguments: StoreKind.available)
    func unknownProcessReadsAsNil(kind: StoreKind) async throws {
        try await withStore(kind) { store async throws in
            let id = ProcessID(UUID())
            #expect(try await store.process(id) == nil)
            #expect(try await store.steps(of: id).isEmpty)
            #expect(try await store.inputStates(of: id).isEmpty)
        }
    }

    @Test(arguments: StoreKind.available)
    func inputStatesReadBackInOrderWithKindUserAndTime(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let process = F.process(status: .suspended, state: ["customer": "acme"])
            let initial = F.input(process, ["customer": "acme", "n": nil])
            try await store.insertProcess(process, input: initial)
            let answer = InputStateRecord(
                processID: process.processID, input: ["name": "core-1", "count": 2], kind: .userInput, createdBy: "bob", inputTime: F.at(60))
            _ = try #require(await store.acquire(F.lease(process, owner: "r", now: F.at(60), from: [.suspended], input: answer)))

            let inputs = try await store.inputStates(of: process.processID)

            #expect(inputs == [initial, answer])
        }
    }

    @Test(arguments: StoreKind.available)
    func processesListFiltersByStatusAndWorkflow(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let running = try await store.insert(F.process(status: .running, startedAt: F.at(1)))
            let failed = try await store.insert(F.process(status: .failed, startedAt: F.at(2)))
            let task = try await store.insert(F.process(workflow: F.task, status: .failed, startedAt: F.at(3)))

            #expect(try await store.processes(ProcessFilter()).map(\.processID) == [task, failed, running].map(\.processID), "newest first")
            #expect(try await store.processes(ProcessFilter(statuses: [.failed])).map(\.processID) == [task, failed].map(\.processID))
            #expect(
                try await store.processes(ProcessFilter(statuses: [.failed], workflow: F.flow.name)).map(\.processID) == [failed.processID])
            #expect(try await store.processes(ProcessFilter(limit: 1)).map(\.processID) == [task.processID])
        }
    }

    // MARK: - The step log

    @Test(arguments: StoreKind.available)
    func stepLogReadsBackInInsertionOrder(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let process = try await store.insert(F.process(status: .running, leaseOwner: "r", leaseExpiresAt: F.at(60)))
            // Keys, ids and times all sort differently from the order of writing.
            let keys: [StepKey] = ["zeta", "alpha", "mid", "alpha", "beta"]
            var written: [StepRecord] = []
            for (index, key) in keys.enumerated() {
                let row = F.row(process, key, state: ["i": .int(index)], at: F.at(Double(100 - index)))
                try await store.commitStep(F.commit(row, owner: "r"))
                written.append(row)
            }

            let rows = try await store.steps(of: process.processID)

            #expect(rows.map(\.key) == keys)
            #expect(rows == written)
        }
    }

    @Test(arguments: StoreKind.available)
    func stepRowReadsBackWithEveryField(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let process = try await store.insert(F.process(status: .running, leaseOwner: "r", leaseExpiresAt: F.at(60)))
            let row = StepRecord(
                stepID: UUID(), processID: process.processID, key: "fetch", status: .waiting, state: ["n": 1, "deep": ["x": [1, nil]]],
                createdBy: "bob", startedAt: F.at(1), completedAt: F.at(2.5), attempt: 3, nextRetryAt: F.at(40),
                failedReason: "NetBox answered 503", errorType: "NetBox.HTTPError", details: ["status": 503, "body": ["detail": "busy"]])
            let commit = StepCommit(
                step: row, owner: "r", status: .waiting, state: row.state, failedReason: row.failedReason, nextRetryAt: row.nextRetryAt)

            try await store.commitStep(commit)

            #expect(try await store.steps(of: process.processID) == [row])
        }
    }

    @Test(arguments: StoreKind.available)
    func commitStepUpdatesTheProcessRowWithTheStep(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let process = try await store.insert(F.process(status: .running, leaseOwner: "r", leaseExpiresAt: F.at(30)))
            let form = Form(title: "Q", fields: [.accept("ok", "OK")])
            var row = F.row(process, "ask", status: .suspend, state: ["n": 1, "asked": true], at: F.at(5))
            row.details = try JSONValue(encoding: form)
            try await store.commitStep(StepCommit(step: row, owner: "r", status: .suspended, state: row.state, form: form))

            let read = try await store.require(process.processID)

            #expect(read.status == .suspended)
            #expect(read.lastStep == "ask")
            #expect(read.state == ["n": 1, "asked": true])
            #expect(read.form == form)
            #expect(read.lastModifiedAt == F.at(5))
            #expect(read.leaseOwner == nil, "a stopped process releases its lease")
            #expect(read.leaseExpiresAt == nil)
        }
    }

    @Test(arguments: StoreKind.available)
    func commitStepOfARunningProcessAppendsTheRowAndLeavesTheLeaseToTheHeartbeat(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let process = try await store.insert(F.process(status: .running, leaseOwner: "r", leaseExpiresAt: F.at(30)))
            try await store.commitStep(F.commit(F.row(process, "a", state: ["n": 2, "a": true]), owner: "r"))
            try await store.commitStep(F.commit(F.row(process, "b", state: ["n": 3, "a": true]), owner: "r"))

            let read = try await store.require(process.processID)

            #expect(read.status == .running)
            #expect(read.leaseOwner == "r")
            #expect(read.leaseExpiresAt == F.at(30), "a step commit does not move the lease; renewLease does")
            #expect(read.lastStep == "b", "a running process reads back at its latest logged step")
            #expect(read.state == ["n": 3, "a": true])
            #expect(try await store.processes(ProcessFilter()).first?.lastStep == "b")
        }
    }

    @Test(arguments: StoreKind.available)
    func processCountsFollowEveryStatusChangeAsACountOverEveryProcessWould(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let counting = try #require(store as? any WorkflowStore)
            let running = try await store.insert(F.process(status: .running, leaseOwner: "r", leaseExpiresAt: F.at(30)))
            let suspended = try await store.insert(F.process(status: .running, leaseOwner: "r", leaseExpiresAt: F.at(30)))
            _ = try await store.insert(F.process(status: .created))
            _ = try await store.insert(F.process(status: .created))
            #expect(try await counting.processCounts() == [.running: 2, .created: 2])

            try await store.commitStep(F.commit(F.row(running, "a"), owner: "r", status: .completed))
            try await store.commitStep(F.commit(F.row(suspended, "a"), owner: "r", status: .suspended))
            #expect(try await counting.processCounts() == [.completed: 1, .suspended: 1, .created: 2])

            let log = F.row(suspended, "abort", status: .abort, state: ["n": 1], at: F.at(9))
            _ = try await store.abort(suspended.processID, reason: "stop", log: log)
            #expect(try await counting.processCounts() == [.completed: 1, .aborted: 1, .created: 2])
            let counted = try await counting.plainTexts("SELECT last_status || '=' || count(*) FROM processes GROUP BY last_status ORDER BY 1")
            #expect(counted == ["aborted=1", "completed=1", "created=2"])
        }
    }

    @Test(arguments: StoreKind.available)
    func aStepThatFollowsOneNotInTheLogIsRefusedAndWritesNothing(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let process = try await store.insert(F.process(status: .running, leaseOwner: "r", leaseExpiresAt: F.at(30)))
            let first = F.row(process, "a", state: ["n": 2])
            try await store.commitStep(F.commit(first, owner: "r"))
            // The runner was told `b` committed, but it is not in the log (PostgreSQL lost it).
            let lost = UUID()
            for status in [ProcessStatus.running, .completed] {
                var next = F.commit(F.row(process, "c", state: ["n": 4]), owner: "r", status: status)
                next.follows = lost
                let error = try await #require(throws: PersistenceError.self) { try await store.commitStep(next) }
                #expect(error.code == .commitLost, "\(status)")
                #expect(error.message.contains("step 'c' of process \(process.processID) was not logged"))
            }
            #expect(try await store.steps(of: process.processID).map(\.key) == ["a"])
            let read = try await store.require(process.processID)
            #expect(read.status == .running && read.leaseOwner == "r" && read.lastStep == "a")

            // Following the row that is there, it goes on.
            var next = F.commit(F.row(process, "b", state: ["n": 3]), owner: "r", status: .completed)
            next.follows = first.stepID
            try await store.commitStep(next)
            #expect(try await store.steps(of: process.processID).map(\.key) == ["a", "b"])
            #expect(try await store.require(process.processID).status == .completed)
        }
    }

    @Test(arguments: StoreKind.available)
    func abortOfARunningProcessSettlesItsRowFromTheLatestLoggedStep(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let process = try await store.insert(F.process(status: .running, leaseOwner: "r", leaseExpiresAt: F.at(30)))
            try await store.commitStep(F.commit(F.row(process, "a", state: ["n": 2]), owner: "r"))
            let log = F.row(process, "abort", status: .abort, state: ["n": 2], at: F.at(9))

            let aborted = try #require(try await store.abort(process.processID, reason: "stop", log: log))

            #expect(aborted.status == .aborted)
            #expect(aborted.lastStep == "a")
            #expect(aborted.state == ["n": 2])
        }
    }

    @Test(arguments: StoreKind.available)
    func commitStepByAnotherOwnerIsRefusedAndWritesNothing(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let process = try await store.insert(F.process(status: .running, leaseOwner: "owner", leaseExpiresAt: F.at(30)))

            let error = try await #require(throws: WorkflowError.self) {
                try await store.commitStep(F.commit(F.row(process, "a"), owner: "intruder", status: .completed))
            }

            #expect(error.code == .leaseLost)
            #expect(try await store.require(process.processID) == process)
            #expect(try await store.steps(of: process.processID).isEmpty)
        }
    }

    @Test(arguments: StoreKind.available)
    func commitStepWithAnExpiredLeaseStillSucceedsForItsOwnerUntilTakenOver(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let process = try await store.insert(F.process(status: .running, leaseOwner: "slow", leaseExpiresAt: F.at(-10)))
            try await store.commitStep(F.commit(F.row(process, "a"), owner: "slow"))
            #expect(try await store.steps(of: process.processID).count == 1)

            _ = try #require(await store.acquire(F.lease(process, owner: "fast", now: F.at(61), from: [.running])))
            let error = try await #require(throws: WorkflowError.self) {
                try await store.commitStep(F.commit(F.row(process, "b"), owner: "slow"))
            }
            #expect(error.code == .leaseLost)
            #expect(try await store.steps(of: process.processID).map(\.key) == ["a"])
        }
    }

    @Test(arguments: StoreKind.available, [ProcessStatus.suspended, .waiting, .failed, .aborted, .completed, .created])
    func commitStepToAProcessThatIsNotRunningIsRefused(kind: StoreKind, status: ProcessStatus) async throws {
        try await withStore(kind) { store in
            let process = try await store.insert(F.process(status: status, leaseOwner: "owner", leaseExpiresAt: F.at(30)))

            let error = try await #require(throws: WorkflowError.self) {
                try await store.commitStep(F.commit(F.row(process, "a"), owner: "owner"))
            }

            #expect(error.code == .leaseLost)
            #expect(try await store.require(process.processID) == process)
            #expect(try await store.steps(of: process.processID).isEmpty)
        }
    }

    // MARK: - Leases

    @Test(arguments: StoreKind.available)
    func acquireTakesAProcessWhoseLeaseIsFreeOrExpired(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let free = try await store.insert(F.process(status: .created))
            let expired = try await store.insert(F.process(status: .running, leaseOwner: "dead", leaseExpiresAt: F.at(-1)))

            let claimedFree = try #require(await store.acquire(F.lease(free, owner: "me", now: F.t0, from: [.created, .running])))
            let claimedExpired = try #require(await store.acquire(F.lease(expired, owner: "me", now: F.t0, from: [.created, .running])))

            for claimed in [claimedFree, claimedExpired] {
                #expect(claimed.status == .running)
                #expect(claimed.leaseOwner == "me")
                #expect(claimed.leaseExpiresAt == F.at(30))
                #expect(claimed.lastModifiedAt == F.t0)
                #expect(try await store.require(claimed.processID) == claimed)
            }
        }
    }

    @Test(arguments: StoreKind.available)
    func acquireRefusesALiveLeaseAndWritesNothing(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let process = try await store.insert(F.process(status: .running, leaseOwner: "alive", leaseExpiresAt: F.at(10)))
            let request = F.lease(
                process, owner: "me", now: F.t0, from: [.running], log: F.row(process, "x"), input: F.input(process, ["a": 1], kind: .userInput),
                state: ["changed": true])

            #expect(try await store.acquire(request) == nil)

            #expect(try await store.require(process.processID) == process)
            #expect(try await store.steps(of: process.processID).isEmpty)
            #expect(try await store.inputStates(of: process.processID).count == 1)
        }
    }

    @Test(arguments: StoreKind.available)
    func acquireRefusesAProcessInAnotherStatusAndWritesNothing(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let process = try await store.insert(F.process(status: .completed, lastStep: "done"))
            let request = F.lease(
                process, owner: "me", now: F.t0, from: [.suspended, .failed], log: F.row(process, "x"),
                input: F.input(process, ["a": 1], kind: .userInput), state: ["changed": true])

            #expect(try await store.acquire(request) == nil)

            #expect(try await store.require(process.processID) == process)
            #expect(try await store.steps(of: process.processID).isEmpty)
            #expect(try await store.inputStates(of: process.processID).count == 1)
        }
    }

    @Test(arguments: StoreKind.available)
    func acquireWritesItsLogInputAndStateWithTheClaim(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let form = Form(title: "Q", fields: [.text("name", "Name")])
            let process = try await store.insert(
                F.process(status: .suspended, state: ["n": 1], lastStep: "ask", form: form, failedReason: "old"))
            let log = F.row(process, "ask", state: ["n": 1, "name": "x"], by: "bob", at: F.at(5))
            let answer = F.input(process, ["name": "x"], kind: .userInput, at: F.at(5))

            let claimed = try #require(
                await store.acquire(
                    F.lease(process, owner: "me", now: F.at(5), from: [.suspended], log: log, input: answer, state: ["n": 1, "name": "x"])))

            #expect(claimed.status == .running)
            #expect(claimed.state == ["n": 1, "name": "x"])
            #expect(claimed.form == nil)
            #expect(claimed.failedReason == nil)
            #expect(claimed.lastStep == "ask")
            #expect(try await store.steps(of: process.processID) == [log])
            #expect(try await store.inputStates(of: process.processID).last == answer)
        }
    }

    @Test(arguments: StoreKind.available)
    func acquireIsAllOrNothingWhenItsInputCannotBeWritten(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let process = try await store.insert(F.process(status: .running, leaseOwner: "r", leaseExpiresAt: F.at(30)))
            let existing = F.row(process, "ask", status: .suspend)
            try await store.commitStep(StepCommit(step: existing, owner: "r", status: .suspended, state: existing.state))
            let suspended = try await store.require(process.processID)
            let inputs = try await store.inputStates(of: process.processID)

            // An input for a process that does not exist cannot be stored: the claim must not be either.
            let orphanInput = InputStateRecord(
                processID: ProcessID(UUID()), input: ["a": 1], kind: .userInput, createdBy: "bob", inputTime: F.at(5))
            let request = F.lease(
                process, owner: "me", now: F.at(5), from: [.suspended], log: F.row(process, "ask", at: F.at(5)), input: orphanInput,
                state: ["changed": true])
            await #expect(throws: (any Error).self) { try await store.acquire(request) }

            #expect(try await store.require(process.processID) == suspended)
            #expect(try await store.steps(of: process.processID) == [existing])
            #expect(try await store.inputStates(of: process.processID) == inputs)
        }
    }

    @Test(arguments: StoreKind.available)
    func acquireWithADueTimeTakesOnlyADueWaitingProcess(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let process = try await store.insert(F.process(status: .waiting, lastStep: "fetch", nextRetryAt: F.at(10)))

            #expect(try await store.acquire(F.lease(process, owner: "me", now: F.at(9), from: [.waiting], dueBy: F.at(9))) == nil)
            #expect(try await store.require(process.processID) == process)

            let claimed = try #require(await store.acquire(F.lease(process, owner: "me", now: F.at(10), from: [.waiting], dueBy: F.at(10))))
            #expect(claimed.status == .running)
            #expect(claimed.nextRetryAt == nil)
            #expect(claimed.leaseOwner == "me")
        }
    }

    @Test(arguments: StoreKind.available)
    func renewLeaseExtendsOnlyTheOwnersLease(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let process = try await store.insert(F.process(status: .running, leaseOwner: "owner", leaseExpiresAt: F.at(30)))

            #expect(try await store.renewLease(process.processID, owner: "other", until: F.at(90)) == false)
            #expect(try await store.require(process.processID).leaseExpiresAt == F.at(30))
            #expect(try await store.renewLease(process.processID, owner: "owner", until: F.at(90)))
            #expect(try await store.require(process.processID).leaseExpiresAt == F.at(90))
        }
    }

    // MARK: - Abort

    @Test(arguments: StoreKind.available, [ProcessStatus.completed, .aborted])
    func abortOfAFinalProcessReturnsNilAndWritesNothing(kind: StoreKind, status: ProcessStatus) async throws {
        try await withStore(kind) { store in
            let process = try await store.insert(F.process(status: status, failedReason: status == .aborted ? "earlier" : nil))

            #expect(try await store.abort(process.processID, reason: "again", log: F.row(process, "abort", status: .abort)) == nil)

            #expect(try await store.require(process.processID) == process)
            #expect(try await store.steps(of: process.processID).isEmpty)
        }
    }

    @Test(arguments: StoreKind.available, [ProcessStatus.running, .suspended, .waiting, .failed, .created])
    func abortOfANonFinalProcessReleasesItAndLogsIt(kind: StoreKind, status: ProcessStatus) async throws {
        try await withStore(kind) { store in
            let process = try await store.insert(
                F.process(status: status, form: Form(title: "Q", fields: []), leaseOwner: "r", leaseExpiresAt: F.at(30), nextRetryAt: F.at(10)))
            let log = F.row(process, "abort", status: .abort, by: "bob", at: F.at(7))

            let aborted = try #require(await store.abort(process.processID, reason: "cancelled", log: log))

            #expect(aborted.status == .aborted)
            #expect(aborted.failedReason == "cancelled")
            #expect(aborted.leaseOwner == nil)
            #expect(aborted.leaseExpiresAt == nil)
            #expect(aborted.nextRetryAt == nil)
            #expect(aborted.form == nil)
            #expect(aborted.lastModifiedAt == F.at(7))
            #expect(try await store.require(process.processID) == aborted)
            #expect(try await store.steps(of: process.processID) == [log])
        }
    }

    // MARK: - Finding work

    @Test(arguments: StoreKind.available)
    func runnableProcessesAreExpiredInFlightAndDueWaitingOnesOldestFirst(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let now = F.at(100)
            func insert(_ status: ProcessStatus, age: Double, lease: Double? = nil, retry: Double? = nil) async throws -> ProcessID {
                try await store.insert(
                    F.process(
                        status: status, lastModifiedAt: now.addingTimeInterval(-age), leaseOwner: lease == nil ? nil : "someone",
                        leaseExpiresAt: lease.map(F.at), nextRetryAt: retry.map(F.at))
                ).processID
            }
            let created = try await insert(.created, age: 50)
            let expiredRunning = try await insert(.running, age: 90, lease: 99)
            let dueWaiting = try await insert(.waiting, age: 60, retry: 100)
            let overdueWaiting = try await insert(.waiting, age: 70, retry: 20)
            _ = try await insert(.running, age: 95, lease: 101)  // live lease
            _ = try await insert(.created, age: 94, lease: 130)  // claimed, live lease
            _ = try await insert(.waiting, age: 93, retry: 101)  // not due yet
            for status in [ProcessStatus.suspended, .failed, .apiUnavailable, .inconsistentData, .completed, .aborted] {
                _ = try await insert(status, age: 99, lease: 1, retry: 1)
            }

            let runnable = try await store.runnableProcesses(now: now, limit: 100)

            #expect(runnable.map(\.processID) == [expiredRunning, overdueWaiting, dueWaiting, created])
            #expect(try await store.runnableProcesses(now: now, limit: 2).map(\.processID) == [expiredRunning, overdueWaiting])
        }
    }

    @Test(arguments: StoreKind.available)
    func processIDsWithPrefixMatchTheStartOfTheID(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let ids = ["abc11111-0000-4000-8000-000000000001", "abc22222-0000-4000-8000-000000000002", "def33333-0000-4000-8000-000000000003"]
                .map { ProcessID($0)! }
            for id in ids.reversed() {
                try await store.insert(F.process(id))
            }

            #expect(try await store.processIDs(withPrefix: "abc", limit: 10) == [ids[0], ids[1]])
            #expect(try await store.processIDs(withPrefix: "ABC2", limit: 10) == [ids[1]])
            #expect(try await store.processIDs(withPrefix: "abc", limit: 1) == [ids[0]])
            #expect(try await store.processIDs(withPrefix: "bc", limit: 10).isEmpty, "a prefix, not a substring")
            #expect(try await store.processIDs(withPrefix: ids[2].description, limit: 10) == [ids[2]])
            #expect(try await store.processIDs(withPrefix: "9", limit: 10).isEmpty)
        }
    }

    // MARK: - Workflows

    @Test(arguments: StoreKind.available)
    func syncWorkflowsIsIdempotentAndKeepsWorkflowsNoLongerInCode(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let before = try await store.workflows()
            #expect(before.map(\.name) == [F.flow.name, F.task.name])
            #expect(before.map(\.target) == [.create, .system])

            try await store.syncWorkflows([F.flow, F.task], now: F.at(1000))
            try await store.syncWorkflows([F.flow, F.task], now: F.at(2000))
            #expect(try await store.workflows() == before)

            let renamed = WorkflowDefinition(name: F.flow.name, target: .modify, description: "changed", steps: F.flow.steps)
            let added = WorkflowDefinition(name: "added_flow", target: .terminate, description: "new", steps: F.flow.steps)
            try await store.syncWorkflows([renamed, added], now: F.at(3000))
            try await store.syncWorkflows([renamed, added], now: F.at(4000))

            let after = try await store.workflows()
            #expect(after.map(\.name) == ["added_flow", F.flow.name, F.task.name])
            let flowRow = try #require(after.first { $0.name == F.flow.name })
            #expect(flowRow.target == .modify)
            #expect(flowRow.description == "changed")
            #expect(flowRow.createdAt == before[0].createdAt, "an update keeps the row")
            #expect(after.first { $0.name == "added_flow" }?.createdAt == F.at(3000))
            #expect(after.first { $0.name == F.task.name } == before[1], "a workflow no longer in code is kept")
        }
    }
}
