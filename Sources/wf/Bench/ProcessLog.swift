import Foundation
import Persistence
import WorkflowEngine

/// One process as the engine would have recorded it, written step by step: its initial input
/// pages, then a log row per step with the state after it (the state before, merged with what
/// the step returned, as the runner merges it), a version per saved change, and the answers
/// of each resume. `finished()` checks the steps against the real workflow's step list, so
/// that the loaded history cannot drift from what the workflows do.
struct ProcessLog {
    let definition: WorkflowDefinition
    let processID: ProcessID
    let starter: String
    let startedAt: Date
    private(set) var state: State
    private(set) var clock: Date
    /// Who runs the steps now: the starter, then whoever answered the last input step.
    private var user: String
    private var steps: [StepRecord] = []
    private var inputs: [InputStateRecord] = []
    private(set) var versions: [BulkVersion] = []
    /// The form the process stopped on, when it was left suspended.
    private var waitingOn: Form?

    /// A process of `definition` started by `user` at `start` with the initial form's
    /// `pages` (name, answers) and the labels the chosen values were shown with.
    init(
        _ definition: WorkflowDefinition, id: ProcessID, user: String, at start: Date, pages: [(String, State)],
        labels: [String: [String: String]] = [:]
    ) {
        self.definition = definition
        processID = id
        starter = user
        self.user = user
        startedAt = start
        clock = start
        var state = State()
        for (_, answers) in pages { state = state.merging(answers) }
        state[raw: "process_id"] = .string(id.description)
        state[raw: "workflow_name"] = .string(definition.name)
        state[raw: "workflow_target"] = .string(definition.target.rawValue)
        state[raw: "reporter"] = .string(user)
        if !labels.isEmpty {
            state[raw: InputLabels.key] = .object(labels.mapValues { .object($0.mapValues(JSONValue.string)) })
        }
        self.state = state
        inputs = pages.map { page, answers in
            InputStateRecord(processID: id, input: answers, kind: .initialState, createdBy: user, inputTime: start, page: page)
        }
    }

    /// A step that succeeded with `updates`, taking a few milliseconds (more for NetBox calls).
    mutating func step(
        _ key: String, _ updates: State = State(), took millis: ClosedRange<Int> = 0...2, status: StepStatus = .success,
        details: JSONValue? = nil, rng: inout ScaleRandom
    ) {
        let started = clock.addingTimeInterval(Double(rng.int(1...3)) / 1000)
        let completed = started.addingTimeInterval(Double(rng.int(millis)) / 1000)
        state = state.merging(updates)
        steps.append(
            StepRecord(
                stepID: rng.uuid(), processID: processID, key: StepKey(key), status: status, state: state, createdBy: user, startedAt: started,
                completedAt: completed, details: details))
        clock = completed
    }

    /// A step that saved `model` (a new version, as `StepContext.save` makes one).
    mutating func save(
        _ key: String, _ model: SubscriptionModel, _ updates: State = State(), took millis: ClosedRange<Int> = 0...2, rng: inout ScaleRandom
    ) {
        step(key, updates.merging(["subscription": model.json]), took: millis, rng: &rng)
        versions.append(BulkVersion(model: model, processID: processID, step: StepKey(key), user: user, time: clock))
    }

    /// An input step: it suspends on `form`; `answerer` answers after `wait` seconds and the
    /// process runs on as that user.
    mutating func ask(
        _ key: String, _ form: Form, answer: State, by answerer: String, after wait: ClosedRange<Int>, rng: inout ScaleRandom
    ) throws {
        try suspend(key, form, rng: &rng)
        waitingOn = nil
        clock = clock.addingTimeInterval(Double(rng.int(wait)))
        user = answerer
        inputs.append(InputStateRecord(processID: processID, input: answer, kind: .userInput, createdBy: answerer, inputTime: clock, page: form.name))
        step(key, answer, rng: &rng)
    }

    /// An input step nobody answered yet: the process stays suspended on `form`.
    mutating func suspend(_ key: String, _ form: Form, rng: inout ScaleRandom) throws {
        step(key, status: .suspend, details: try JSONValue(encoding: form), rng: &rng)
        waitingOn = form
    }

    /// The process as stored: completed with its `done` row, or suspended where it stopped.
    /// Throws when the steps logged are not the workflow's own, in its order.
    mutating func finished(rng: inout ScaleRandom) throws -> BulkProcess {
        if waitingOn == nil { step("done", status: .complete, rng: &rng) }
        var logged: [StepKey] = []
        for step in steps where logged.last != step.key { logged.append(step.key) }
        let expected = definition.steps.keys
        guard waitingOn == nil ? logged == expected : Array(expected.prefix(logged.count)) == logged else {
            throw CLIError(
                "the scale loader's \(definition.name) ran \(logged.map(\.rawValue).joined(separator: ", ")), "
                    + "but the workflow's steps are \(expected.map(\.rawValue).joined(separator: ", ")): update Sources/wf/Bench/ScaleHistory.swift")
        }
        let record = ProcessRecord(
            processID: processID, workflowName: definition.name, workflowVersion: definition.version, isTask: definition.target == .system,
            status: waitingOn == nil ? .completed : .suspended, lastStep: steps.last?.key, state: state, form: waitingOn, createdBy: starter,
            startedAt: startedAt, lastModifiedAt: clock)
        // A create links the subscription when it first saves it; the others lock it at start.
        let linkedAt = definition.target == .create ? versions.first?.time ?? startedAt : startedAt
        return BulkProcess(record: record, steps: steps, inputs: inputs, linkedAt: linkedAt)
    }
}
