import Foundation
import Persistence
import Testing
import WorkflowEngine
import WorkflowTestKit

/// The workflows every conformance test's store knows.
enum Fixtures {
    static let flow = WorkflowDefinition(
        name: "store_flow", target: .create, description: "a workflow for the store tests", steps: StepList([done]))
    static let task = WorkflowDefinition(
        name: "store_task", target: .system, description: "a task for the store tests", steps: StepList([done]))

    /// A whole second, so every store keeps it exactly.
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    static func at(_ seconds: Double) -> Date { t0.addingTimeInterval(seconds) }

    static func process(
        _ id: ProcessID = ProcessID(UUID()), workflow: WorkflowDefinition = flow, status: ProcessStatus = .running, state: State = ["n": 1],
        lastStep: StepKey? = nil, form: Form? = nil, failedReason: String? = nil, createdBy: String = "alice",
        startedAt: Date = t0, lastModifiedAt: Date? = nil, leaseOwner: String? = nil, leaseExpiresAt: Date? = nil,
        nextRetryAt: Date? = nil
    ) -> ProcessRecord {
        ProcessRecord(
            processID: id, workflowName: workflow.name, workflowVersion: workflow.version, isTask: workflow.target == .system,
            status: status, lastStep: lastStep, state: state, form: form, failedReason: failedReason, createdBy: createdBy,
            startedAt: startedAt, lastModifiedAt: lastModifiedAt ?? startedAt, leaseOwner: leaseOwner, leaseExpiresAt: leaseExpiresAt,
            nextRetryAt: nextRetryAt)
    }

    static func input(_ process: ProcessRecord, _ input: State = ["n": 1], kind: InputStateRecord.Kind = .initialState, at: Date = t0)
        -> InputStateRecord
    {
        InputStateRecord(processID: process.processID, input: input, kind: kind, createdBy: process.createdBy, inputTime: at)
    }

    static func row(
        _ process: ProcessRecord, _ key: StepKey, status: StepStatus = .success, state: State = ["n": 2], by user: String = "alice",
        at: Date = t0
    ) -> StepRecord {
        StepRecord(
            stepID: UUID(), processID: process.processID, key: key, status: status, state: state, createdBy: user, startedAt: at, completedAt: at)
    }

    /// A commit by `owner` of `row` that keeps the process running (lease until `t0 + 60`).
    static func commit(_ row: StepRecord, owner: String, status: ProcessStatus = .running) -> StepCommit {
        StepCommit(
            step: row, owner: owner, status: status, state: row.state)
    }

    static func lease(
        _ process: ProcessRecord, owner: String, now: Date, from: Set<ProcessStatus>, dueBy: Date? = nil, log: StepRecord? = nil,
        input: InputStateRecord? = nil, state: State? = nil
    ) -> LeaseRequest {
        LeaseRequest(
            processID: process.processID, owner: owner, now: now, leaseExpiresAt: now.addingTimeInterval(30), from: from, dueBy: dueBy,
            log: log, input: input, state: state)
    }
}

/// Runs `body` on a fresh, migrated store of `kind` that knows the fixture workflows; the
/// store lives until `body` returns.
func withStore(_ kind: StoreKind, _ body: (any ProcessStore) async throws -> Void) async throws {
    let (store, keepAlive) = try await kind.makeStore(workflows: [Fixtures.flow, Fixtures.task])
    defer { withExtendedLifetime(keepAlive) {} }
    try await body(store)
}

extension ProcessStore {
    /// Inserts `process` with an initial input and returns it.
    @discardableResult
    func insert(_ process: ProcessRecord) async throws -> ProcessRecord {
        try await insertProcess(process, input: Fixtures.input(process))
        return process
    }

    func require(_ id: ProcessID) async throws -> ProcessRecord {
        try #require(await process(id), "process \(id) should exist")
    }
}

/// A directory removed when released.
final class TemporaryDirectory: Sendable {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("wf-persistence-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    var databasePath: String { url.appendingPathComponent("wf.sqlite").path }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }
}
