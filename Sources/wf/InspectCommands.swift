import ArgumentParser
import Foundation
import WorkflowEngine

struct Processes: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List processes, newest first.")

    @Option(name: .long, help: "Only processes with this status (e.g. suspended, failed); repeatable.") var status: [String] = []
    @Option(name: .long, help: "Only processes of this workflow.") var workflow: String?
    @Option(name: .long, help: "Only suspended processes waiting for this user or team (their input step's assignee, e.g. noc).")
    var waitingFor: String?
    @Option(name: .long, help: "At most this many.") var limit = 50
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard limit > 0 else { throw ValidationError("--limit must be at least 1") }
        for value in status where ProcessStatus(rawValue: value) == nil {
            throw ValidationError(
                "unknown status '\(value)'; one of: \(ProcessStatus.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() async throws {
        try await runCommand {
            let runtime = try await Runtime.open(database)
            let filter = ProcessFilter(
                statuses: Set(status.compactMap(ProcessStatus.init)), workflow: workflow, limit: limit, waitingFor: waitingFor)
            let processes = try await runtime.store.processes(filter)
            if output.json {
                JSONValue.array(processes.map { Rendering.process($0, currentVersion: runtime.engine.registry[$0.workflowName]?.version) })
                    .printJSON()
                return 0
            }
            guard !processes.isEmpty else {
                print(waitingFor.map { "nothing waits for \($0)" } ?? "no processes")
                return 0
            }
            print(
                Rendering.table(
                    ["PROCESS", "WORKFLOW", "STATUS", "LAST STEP", "STARTED", "BY", "WAITS FOR"],
                    processes.map { process in
                        [
                            String(process.processID.description.prefix(8)), process.workflowName,
                            Rendering.isStranded(process) ? "running (runner lost)" : process.status.rawValue,
                            process.lastStep?.rawValue ?? "-", Rendering.shortTime(process.startedAt), process.createdBy,
                            process.status == .suspended ? (process.form?.assignee ?? "anyone") : "-",
                        ]
                    }))
            return 0
        }
    }
}

struct ProcessCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "process", abstract: "Inspect one process.", subcommands: [Show.self])

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a process: its status, and each step with its start, duration, attempt and what it changed in the state.")

        @Argument(help: "The process id, or a unique prefix of it.") var process: String
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await runCommand {
                let runtime = try await Runtime.open(database)
                try await ProcessView.show(try await runtime.engine.resolve(process), runtime: runtime, json: output.json)
                return 0
            }
        }
    }
}

/// The full view of one process, for `wf process show` and `wf demo`.
enum ProcessView {
    static func show(_ id: ProcessID, runtime: Runtime, json: Bool) async throws {
        guard let record = try await runtime.store.process(id) else { throw CLIError("process \(id) does not exist") }
        let steps = try await runtime.store.steps(of: id)
        let inputs = try await runtime.store.inputStates(of: id)
        let currentVersion = runtime.engine.registry[record.workflowName]?.version
        var initial = inputs.first { $0.kind == .initialState }?.input ?? State()
        for key in State.reservedKeys { initial[raw: key] = record.state[raw: key] ?? steps.first?.state[raw: key] }
        let changes = Rendering.stepChanges(steps, initial: initial)
        let ledger = LedgerView.split(try await runtime.store.ledger(LedgerQuery(processID: id)), steps: steps)
        if json {
            guard case .object(var object) = Rendering.process(record, currentVersion: currentVersion) else { return }
            object["state"] = record.state.json
            object["form"] = Rendering.form(record.form)
            object["form_schema"] = record.form?.jsonSchema ?? .null
            object["steps"] = .array(
                changes.map { step, change in
                    guard case .object(var object) = Rendering.step(step, change: change) else { return .null }
                    object["netbox_changes"] = .array((ledger.bySteps[step.stepID] ?? []).map(LedgerView.json))
                    return .object(object)
                })
            object["uncommitted_netbox_changes"] = .array(ledger.uncommitted.joined().map(LedgerView.json))
            object["input_states"] = .array(
                inputs.map { input in
                    .object([
                        "input_type": .string(input.kind.rawValue), "input_state": input.input.json,
                        "created_by": .string(input.createdBy), "input_time": Rendering.timestamp(input.inputTime),
                    ])
                })
            JSONValue.object(object).printJSON()
            return
        }
        printText(record, currentVersion: currentVersion, changes: changes, ledger: ledger, inputs: inputs)
    }

    private static func printText(
        _ record: ProcessRecord, currentVersion: String?, changes: [(StepRecord, Rendering.Change)],
        ledger: (bySteps: [UUID: [LedgerEntry]], uncommitted: [[LedgerEntry]]), inputs: [InputStateRecord]
    ) {
        print("process   \(record.processID)")
        print("workflow  \(record.workflowName) (version \(record.workflowVersion))")
        if let currentVersion, currentVersion != record.workflowVersion {
            print("          note: the workflow's code changed since this process started (now version \(currentVersion));")
            print("          resume and retry continue by step name, in the current code")
        } else if currentVersion == nil {
            print("          note: this build does not have the workflow any more")
        }
        print("status    \(record.status.rawValue)" + (record.lastStep.map { " (last step: \($0))" } ?? ""))
        print("started   \(Rendering.shortTime(record.startedAt)) by \(record.createdBy)")
        if let reason = record.failedReason { print("reason    \(reason)") }
        if let owner = record.leaseOwner, let until = record.leaseExpiresAt {
            if Rendering.isStranded(record) {
                print("runner    \(owner) stopped renewing its lease at \(Rendering.shortTime(until)); `wf recover` takes the process over")
            } else {
                print("runner    \(owner) (lease until \(Rendering.shortTime(until)))")
            }
        }
        if let next = record.nextRetryAt { print("retry at  \(Rendering.shortTime(next))") }
        if let form = record.form {
            print("waiting   for input: \(form.title)")
            for field in form.fields {
                switch field.kind {
                case .display:
                    print("          \(field.label):")
                    for line in (field.text ?? "").split(separator: "\n", omittingEmptySubsequences: false) { print("            \(line)") }
                case .summary:
                    print("          \(field.label):")
                    for item in field.items ?? [] { print("            \(item.label): \(item.value)") }
                default:
                    print("          asks \(FormHelp.describe(field))")
                }
            }
            print("          answer with: wf resume \(record.processID.description.prefix(8)) (prompts), or --input FILE|-")
        }
        print("")
        var rows: [[String]] = []
        for (index, (step, change)) in changes.enumerated() {
            var changed = change.lines
            if step.status == .suspend, let title = step.details?.objectValue?["title"]?.stringValue { changed = ["asks: \(title)"] }
            if let reason = step.failedReason, step.status != .success { changed.append("! \(reason)") }
            changed += (ledger.bySteps[step.stepID] ?? []).map { "NetBox " + LedgerView.line($0) }
            rows.append([
                String(index + 1), step.key.rawValue, step.status.rawValue, Rendering.shortTime(step.startedAt),
                Rendering.duration(step.completedAt.timeIntervalSince(step.startedAt)), String(step.attempt), step.createdBy,
                changed.first ?? "",
            ])
            for more in changed.dropFirst() { rows.append(["", "", "", "", "", "", "", more]) }
        }
        print(Rendering.table(["#", "STEP", "STATUS", "STARTED", "DURATION", "ATTEMPT", "BY", "CHANGED"], rows))
        if !ledger.uncommitted.isEmpty {
            // A run that crashed or lost its lease has no step row to list its writes under.
            print("\nNetBox writes of runs that never committed (crashed, or lost the lease)")
            for run in ledger.uncommitted {
                print("  \(LedgerView.runHeading(run))")
                for entry in run { print("    \(LedgerView.line(entry))") }
            }
        }
        if !inputs.isEmpty {
            print("\ninputs")
            for input in inputs {
                print(
                    "  \(Rendering.shortTime(input.inputTime))  \(input.kind.rawValue)  by \(input.createdBy)  \(input.input.json.jsonText.clipped(80))"
                )
            }
        }
    }
}

struct Workflows: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the workflows this build can run.")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await runCommand {
            let runtime = try await Runtime.open(database)
            let workflows = runtime.engine.registry.workflows
            if output.json {
                JSONValue.array(
                    workflows.map { workflow in
                        .object([
                            "name": .string(workflow.name), "target": .string(workflow.target.rawValue),
                            "description": .string(workflow.description), "version": .string(workflow.version),
                            "steps": .array(workflow.steps.keys.map { .string($0.rawValue) }),
                            "initial_form_pages": .array(
                                (workflow.initialForm?.pages ?? []).map { .object(["name": .string($0.name), "title": .string($0.title)]) }),
                        ])
                    }
                ).printJSON()
                return 0
            }
            print(
                Rendering.table(
                    ["WORKFLOW", "TARGET", "STEPS", "DESCRIPTION"],
                    workflows.map { [$0.name, $0.target.rawValue, String($0.steps.steps.count), $0.description] }))
            return 0
        }
    }
}
