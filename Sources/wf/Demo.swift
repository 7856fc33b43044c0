import ArgumentParser
import Foundation
import WorkflowEngine
import Workflows

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the built-in demo task: start, suspend for a confirmation, answer it, complete; then show the step log.")

    @OptionGroup var actor: ActorOptions
    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        try await runCommand {
            let runtime = try await Runtime.open(database)
            let user = actor.resolvedUser
            print("database: \(runtime.store.path)\n")
            print("$ wf start \(EngineDemoTask.name) --input '{\"message\": \"hello from the demo\"}'")
            let started = try await runtime.engine.start(EngineDemoTask.name, input: ["message": "hello from the demo"], user: user)
            _ = OutcomeReport.print(started, json: false)
            guard started.status == .suspended else {
                throw CLIError("the demo task stopped as \(started.status.rawValue) instead of asking for confirmation")
            }
            let short = started.processID.description.prefix(8)
            print("\n$ wf resume \(short) --input '{\"confirmed\": true}'   # the demo answers for you")
            let finished = try await runtime.engine.resume(started.processID, input: ["confirmed": true], user: user)
            _ = OutcomeReport.print(finished, json: false)
            print("\n$ wf process show \(short)")
            try await ProcessView.show(finished.processID, runtime: runtime, json: false)
            print("\nTry it yourself: wf start \(EngineDemoTask.name), then wf resume <id>; wf processes lists every run.")
            return processExitCode(for: finished.status)
        }
    }
}
