import ArgumentParser
import Foundation
import Persistence
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
        commandName: "process", abstract: "Inspect one process, or follow it live.", subcommands: [Show.self, Watch.self])

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
    /// What `show` reads of one process.
    struct Loaded {
        var record: ProcessRecord
        var currentVersion: String?
        var changes: [(StepRecord, Rendering.Change)]
        var ledger: (bySteps: [UUID: [LedgerEntry]], uncommitted: [[LedgerEntry]])
        var inputs: [InputStateRecord]
        /// The schedule run that started it, if a schedule did.
        var scheduleRun: ScheduleRun?

        static func load(_ id: ProcessID, store: any WorkflowStore, registry: WorkflowRegistry) async throws -> Loaded? {
            guard let records = try await store.processRecords(id) else { return nil }
            let (record, steps, inputs) = (records.process, records.steps, records.inputs)
            var initial = inputs.first { $0.kind == .initialState }?.input ?? State()
            for key in State.reservedKeys { initial[raw: key] = record.state[raw: key] ?? steps.first?.state[raw: key] }
            return Loaded(
                record: record, currentVersion: registry[record.workflowName]?.version, changes: Rendering.stepChanges(steps, initial: initial),
                ledger: LedgerView.split(records.ledger, steps: steps), inputs: inputs,
                scheduleRun: try await store.scheduleRun(startedProcess: id))
        }
    }

    static func show(_ id: ProcessID, runtime: Runtime, json: Bool) async throws {
        if json {
            guard let object = try await ResourceJSON.process(id, store: runtime.store, registry: runtime.engine.registry) else {
                throw CLIError("process \(id) does not exist")
            }
            object.printJSON()
            return
        }
        guard let view = try await Loaded.load(id, store: runtime.store, registry: runtime.engine.registry) else {
            throw CLIError("process \(id) does not exist")
        }
        printText(
            view.record, currentVersion: view.currentVersion, changes: view.changes, ledger: view.ledger, inputs: view.inputs,
            scheduleRun: view.scheduleRun)
    }

    private static func printText(
        _ record: ProcessRecord, currentVersion: String?, changes: [(StepRecord, Rendering.Change)],
        ledger: (bySteps: [UUID: [LedgerEntry]], uncommitted: [[LedgerEntry]]), inputs: [InputStateRecord], scheduleRun: ScheduleRun?
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
        if let run = scheduleRun { print("schedule  \(run.scheduleName) (due \(Rendering.shortTime(run.dueAt)))") }
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
                JSONValue.array(workflows.map(ResourceJSON.workflow)).printJSON()
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
