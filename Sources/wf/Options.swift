import ArgumentParser
import Foundation

/// Options every command that touches the database takes.
struct DatabaseOptions: ParsableArguments {
    @Option(
        name: .long,
        help: "A SQLite database file or a postgres://user:password@host:port/database URL (default: $WF_DATABASE, else ~/.local/share/wf/wf.sqlite)."
    )
    var database: String?
}

/// Options of commands that act on processes.
struct ActorOptions: ParsableArguments {
    @Option(name: .long, help: "Who is acting, recorded in the audit trail (default: $USER).")
    var user: String?

    var resolvedUser: String {
        if let user, !user.isEmpty { return user }
        let environment = ProcessInfo.processInfo.environment
        if let user = environment["USER"] ?? environment["LOGNAME"], !user.isEmpty { return user }
        return NSUserName()
    }
}

struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print JSON (snake_case keys) instead of text.")
    var json = false
}

/// A message for the operator and the exit code to leave with.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    var code: Int32
    init(_ description: String, code: Int32 = 1) {
        self.description = description
        self.code = code
    }
}
