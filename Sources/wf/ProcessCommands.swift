import ArgumentParser
import Foundation
import TerminalForms
import WorkflowEngine
import Workflows

struct Start: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start a workflow and run it until it completes, suspends for input, or stops.",
        discussion:
            "Answers to the workflow's initial form come from --input (a JSON object, or an array of one object per page) or, on a terminal, from prompts. Nothing is stored unless every answer is valid."
    )

    @Argument(help: "The workflow's name (see `wf workflows`).") var workflow: String
    @Option(name: .long, help: "Answers as JSON: a file, or - for standard input.") var input: String?
    @Flag(name: .long, help: "Validate the answers and enqueue the process for the workers (`wf worker`) instead of running it here.")
    var async = false
    @Flag(name: .customLong("dry-run"), help: "Plan it instead: what it would change in NetBox, writing nothing (as `wf plan`).")
    var dryRun = false
    @OptionGroup var actor: ActorOptions
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if async, dryRun { throw ValidationError("--async runs the workflow and --dry-run plans it: pick one") }
    }

    func run() async throws {
        try await runCommand {
            let runtime = try await Runtime.open(database)
            let definition = try runtime.engine.registry.workflow(named: workflow)
            let session = definition.initialForm.map(runtime.engine.makeFormSession)
            guard let answers = try await Self.answers(to: definition, session: session, input: input, verb: dryRun ? "Plan" : "Start") else {
                print("nothing was started")
                return 1
            }
            if dryRun {
                try await WorkflowPlan.make(workflow, input: answers, runtime: runtime, user: actor.resolvedUser).print(json: output.json)
                return 0
            }
            if async {
                let id = try await runtime.engine.enqueue(workflow, input: answers, session: session, user: actor.resolvedUser)
                if output.json {
                    JSONValue.object(["process_id": .string(id.description), "workflow": .string(workflow), "status": "created"]).printJSON()
                } else {
                    print(
                        "process \(id) (\(workflow)) enqueued: a worker runs it (`wf worker`); follow it with `wf process show \(id.description.prefix(8))`"
                    )
                }
                return 0
            }
            try await runtime.recoverStranded(user: actor.resolvedUser)
            let outcome = try await runtime.engine.start(workflow, input: answers, session: session, user: actor.resolvedUser)
            return OutcomeReport.show(outcome, json: output.json)
        }
    }
}

extension Start {
    /// The answers to `definition`'s initial form: from `input` (a file, or - for standard
    /// input), else asked on the terminal; nil when the person declined at the summary.
    static func answers(to definition: WorkflowDefinition, session: FormSession?, input: String?, verb: String) async throws -> FormInput? {
        if let input { return try ScriptedAnswers.read(input) }
        guard let session else { return .merged(State()) }
        guard StandardTerminal.isInteractive else {
            throw CLIError(try await FormHelp.noTerminal(for: definition, session: session))
        }
        guard let pages = try await TerminalPrompter().fill(session, confirmation: "\(verb) \(definition.name) with these answers?") else {
            return nil
        }
        return .pages(pages.map(\.answers))
    }
}

/// `wf plan`: what a workflow would change, written nowhere.
struct Plan: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what a workflow would change in NetBox, and the subscription it would leave, without changing anything.",
        discussion:
            "The answers are checked against the real database and NetBox; the workflow then runs against a private copy of NetBox (a "
            + "NetBoxLite holding the same objects and ids, with NetBox's rules for next free prefixes and addresses, cables and unique "
            + "addresses) and of the subscriptions it reads. Answers to the forms it stops at (\"confirmed\": true) may be in --input; "
            + "without them the plan says what it would ask and stops there.")

    @Argument(help: "The workflow's name (see `wf workflows`).") var workflow: String
    @Option(name: .long, help: "Answers as JSON: a file, or - for standard input.") var input: String?
    @OptionGroup var actor: ActorOptions
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await runCommand {
            let runtime = try await Runtime.open(database)
            let definition = try runtime.engine.registry.workflow(named: workflow)
            let session = definition.initialForm.map(runtime.engine.makeFormSession)
            guard let answers = try await Start.answers(to: definition, session: session, input: input, verb: "Plan") else {
                print("nothing was planned")
                return 1
            }
            try await WorkflowPlan.make(workflow, input: answers, runtime: runtime, user: actor.resolvedUser).print(json: output.json)
            return 0
        }
    }
}

struct Resume: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Answer the form a suspended process waits on, and run it on.",
        discussion: "An invalid answer is refused with one line per field; the process stays suspended and nothing is stored.")

    @Argument(help: "The process id, or a unique prefix of it.") var process: String
    @Option(name: .long, help: "Answers as JSON: a file, or - for standard input.") var input: String?
    @OptionGroup var actor: ActorOptions
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await runCommand {
            let runtime = try await Runtime.open(database)
            let id = try await runtime.engine.resolve(process)
            guard let record = try await runtime.store.process(id) else { throw CLIError("process \(id) does not exist") }
            guard record.status.isResumable else {
                throw CLIError("process \(id) is \(record.status.rawValue), not waiting for input; only suspended processes can be resumed")
            }
            guard let form = record.form else { throw CLIError("process \(id) is suspended but has no stored form") }
            try await runtime.recoverStranded(user: actor.resolvedUser)
            if let input {
                let answers = try ScriptedAnswers.read(input).merged
                return OutcomeReport.show(try await runtime.engine.resume(id, input: answers, user: actor.resolvedUser), json: output.json)
            }
            guard StandardTerminal.isInteractive else {
                throw CLIError(
                    "wf resume needs answers and there is no terminal to ask on; pass them with --input FILE or --input - "
                        + "as a JSON object with: \(FormHelp.fieldList(form))")
            }
            let prompter = TerminalPrompter()
            while true {
                guard let answers = try prompter.askOrDecline(form) else {
                    print(
                        "not applied yet: process \(id.description.prefix(8)) stays suspended; "
                            + "resume it with `wf resume \(id.description.prefix(8))` when it is")
                    return 0
                }
                do {
                    return OutcomeReport.show(try await runtime.engine.resume(id, input: answers, user: actor.resolvedUser), json: output.json)
                } catch let error as WorkflowError where error.code == .invalidInput {
                    print(error.problems.map { "  \($0)" }.joined(separator: "\n") + "\n  Please answer again.")
                }
            }
        }
    }
}

struct Retry: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the failed (or waiting) step of a process again, with the state from before it.")

    @Argument(help: "The process id, or a unique prefix of it.") var process: String
    @OptionGroup var actor: ActorOptions
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await runCommand {
            let runtime = try await Runtime.open(database)
            let id = try await runtime.engine.resolve(process)
            try await runtime.recoverStranded(user: actor.resolvedUser)
            let outcome = try await runtime.engine.retry(id, user: actor.resolvedUser)
            return OutcomeReport.show(outcome, json: output.json)
        }
    }
}

struct Abort: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stop a process for good. Allowed unless it is completed or aborted already.",
        discussion:
            "Undoes nothing: it says what the process leaves behind (the subscription's status and sync, changes never confirmed as applied, "
            + "the NetBox objects it names) and the command that cleans it up. With --undo, an undo_process then deletes what it created in "
            + "NetBox, sets back what it changed and restores its subscription (of an aborted process too).")

    @Argument(help: "The process id, or a unique prefix of it.") var process: String
    @Option(name: .long, help: "Why, for the audit trail.") var reason: String?
    @Flag(name: .long, help: "Then undo what it did, from the ledger, as a process of its own.") var undo = false
    @OptionGroup var actor: ActorOptions
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await runCommand {
            let runtime = try await Runtime.open(database)
            let id = try await runtime.engine.resolve(process)
            if undo { return try await abortAndUndo(id, runtime: runtime) }
            let outcome = try await runtime.engine.abort(id, user: actor.resolvedUser, reason: reason)
            let report = try await AbortReport.build(outcome, runtime: runtime)
            if output.json {
                guard case .object(var object) = OutcomeReport.json(outcome) else { return 0 }
                object["left_behind"] = .array(report.json)
                JSONValue.object(object).printJSON()
            } else {
                _ = OutcomeReport.show(outcome, json: false)
                for line in report.lines { print(line) }
            }
            return 0
        }
    }
}

extension Abort {
    private func abortAndUndo(_ id: ProcessID, runtime: Runtime) async throws -> Int32 {
        let (aborted, undo) = try await UndoProcess.abortAndUndo(id, engine: runtime.engine, user: actor.resolvedUser, reason: reason)
        if output.json {
            JSONValue.object(["aborted": OutcomeReport.json(aborted), "undo": undo.map(OutcomeReport.json) ?? .null]).printJSON()
            return undo.map { processExitCode(for: $0.status) } ?? 0
        }
        _ = OutcomeReport.show(aborted, json: false)
        guard let undo else {
            print("  nothing to undo: it stored no subscription and made no NetBox change")
            return 0
        }
        let code = OutcomeReport.show(undo, json: false)
        if undo.status == .completed, let undone = undo.state[raw: "undone"]?.arrayValue {
            for line in undone { print("  \(line.stringValue ?? line.jsonText)") }
            if undone.isEmpty { print("  NetBox: nothing to undo") }
        }
        return code
    }
}

struct Recover: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Take over processes whose runner died (lease expired) and waiting processes that are due, and run them.")

    @OptionGroup var actor: ActorOptions
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await runCommand {
            let runtime = try await Runtime.open(database)
            let outcomes = try await runtime.engine.recover(user: actor.resolvedUser)
            if output.json {
                JSONValue.array(outcomes.map(OutcomeReport.json)).printJSON()
            } else if outcomes.isEmpty {
                print("nothing to recover")
            } else {
                for outcome in outcomes { _ = OutcomeReport.show(outcome, json: false) }
            }
            return outcomes.map { processExitCode(for: $0.status) }.max() ?? 0
        }
    }
}

/// How `start`, `resume`, `retry` and `recover` report where a process stopped.
enum OutcomeReport {
    static func json(_ outcome: ProcessOutcome) -> JSONValue {
        .object([
            "process_id": .string(outcome.processID.description),
            "workflow": .string(outcome.workflowName),
            "last_status": .string(outcome.status.rawValue),
            "last_step": outcome.lastStep.map { .string($0.rawValue) } ?? .null,
            "failed_reason": outcome.failedReason.map(JSONValue.string) ?? .null,
            "form": Rendering.form(outcome.form),
            "form_schema": outcome.form?.jsonSchema ?? .null,
            "state": outcome.state.json,
        ])
    }

    /// Prints the outcome and returns the exit code for it.
    static func show(_ outcome: ProcessOutcome, json: Bool) -> Int32 {
        if json {
            self.json(outcome).printJSON()
            return processExitCode(for: outcome.status)
        }
        var text = "process \(outcome.processID) (\(outcome.workflowName)): \(outcome.status.rawValue)"
        if let step = outcome.lastStep { text += " at step \(step)" }
        print(text)
        if let reason = outcome.failedReason { print("  reason: \(reason)") }
        switch outcome.status {
        case .suspended:
            if let form = outcome.form {
                print("  waiting for: \(form.title)" + (form.assignee.map { " (assigned to \($0))" } ?? ""))
                for field in form.fields where field.kind == .display {
                    print("  \(field.label):")
                    for line in (field.text ?? "").split(separator: "\n", omittingEmptySubsequences: false) { print("    \(line)") }
                }
                let names = form.fields.filter { $0.kind != .display }.map { "\"\($0.name)\": ..." }
                print(
                    "  answer with: wf resume \(outcome.processID.description.prefix(8)) (or --input with {\(names.joined(separator: ", "))})")
            }
        case .waiting:
            print("  it will be retried by `wf recover` once due, or now with: wf retry \(outcome.processID.description.prefix(8))")
        case .failed, .apiUnavailable, .inconsistentData:
            print(
                "  see `wf process show \(outcome.processID.description.prefix(8))`; run it again with `wf retry`, or give up with `wf abort`")
        default:
            break
        }
        return processExitCode(for: outcome.status)
    }
}
