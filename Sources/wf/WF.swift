import ArgumentParser
import Foundation

@main
struct WF: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wf",
        abstract: "Run network-service workflows durably: start, resume, retry, abort and inspect processes.",
        discussion: """
            The database is SQLite by default (see `wf db status` for its path); set WF_DATABASE or --database to use another file or a postgres:// URL.
            The user recorded for every action is --user, else $USER.

            Exit codes:
              0  done: the process completed or is suspended waiting for input, a confirmation was answered "not yet"
                 (the process stays suspended), or the command succeeded; `wf abort` exits 0 once the process is aborted
              1  the command was refused or failed: unknown workflow or process, invalid input, nothing to choose from, a
                 subscription held by another process or out of sync, a database error
              3  the process stopped as failed, aborted, api_unavailable or inconsistent_data
              4  the process is waiting to retry a step after a transient failure
              64 the command line itself is wrong (an unknown option, a bad --user, --at, --since or --netbox)
            """,
        subcommands: [
            Demo.self, Start.self, Plan.self, Resume.self, Retry.self, Abort.self, Recover.self, Processes.self, ProcessCommand.self, Workflows.self,
            FormCommand.self, NetBoxCommand.self, ProductsCommand.self, SubscriptionsCommand.self, SubscriptionCommand.self, AuditCommand.self,
            WorkerCommand.self, WorkersCommand.self, ServeCommand.self, TokenCommand.self, ScheduleCommand.self, HookCommand.self,
            WebhookCommand.self, DB.self,
            Bench.self,
        ]
    )

    /// Errors of the command line itself start like every other error of `wf`.
    static var _errorPrefix: String { "error: " }

    /// ArgumentParser's `main`, except that its error messages, which may quote what was typed
    /// (`unknown status '…'`), reach standard error with control characters made visible.
    static func main() async {
        do {
            var command = try await asyncParseAsRoot(nil)
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            // Help, --version and our own exit codes (their message is already printed) go the usual way.
            guard code != .success, !(error is ExitCode) else { exit(withError: error) }
            var message = fullMessage(for: error)
            if message.hasSuffix("\n") { message.removeLast() }
            printError(message)
            Foundation.exit(code.rawValue)
        }
    }
}
