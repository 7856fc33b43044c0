import Foundation
import Persistence
import Testing
import WorkflowEngine

/// Runs the built `wf` binary against a database of its own, as an operator would.
struct WFRunner {
    let database: String
    let directory: URL
    var environment: [String: String] = [:]

    /// `database` is a `postgres://` URL, or nil for a SQLite file in a fresh directory.
    init(leaseSeconds: Int? = nil, database: String? = nil) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("wf-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        self.database = database ?? directory.appendingPathComponent("wf.sqlite").path
        if let leaseSeconds { environment["WF_LEASE_SECONDS"] = String(leaseSeconds) }
    }

    /// The `wf` executable built next to this test bundle (or `$WF_BINARY`).
    static var binary: URL {
        if let path = ProcessInfo.processInfo.environment["WF_BINARY"], !path.isEmpty { return URL(fileURLWithPath: path) }
        let bundle = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
        var directory = bundle.deletingLastPathComponent()
        // On macOS the test binary sits inside a .xctest bundle a few levels down.
        while !FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("wf").path), directory.path != "/" {
            directory = directory.deletingLastPathComponent()
        }
        return directory.appendingPathComponent("wf")
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Starts `wf` with `arguments`; standard input is `stdin` (or empty, never a terminal).
    func launch(_ arguments: [String], stdin: String? = nil, keepStdinOpen: Bool = false) throws -> (process: Process, finish: () -> Result) {
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = arguments + ["--database", database]
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "WF_DATABASE")
        env["USER"] = "tester"
        // With PostgreSQL, NetBoxLite keeps its state under the data directory: this test's own.
        env["XDG_DATA_HOME"] = directory.path
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let out = Pipe()
        let err = Pipe()
        let input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        if !keepStdinOpen { try input.fileHandleForWriting.close() }
        return (
            process,
            {
                let stdout = out.fileHandleForReading.readDataToEndOfFile()
                let stderr = err.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                return Result(
                    status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                    stderr: String(decoding: stderr, as: UTF8.self))
            }
        )
    }

    /// Runs `wf` to completion.
    @discardableResult
    func run(_ arguments: [String], stdin: String? = nil) throws -> Result {
        try launch(arguments, stdin: stdin).finish()
    }

    /// Runs `wf ... --json` and parses what it printed.
    func json(_ arguments: [String], stdin: String? = nil, jsonFlag: Bool = true) throws -> JSONValue {
        let result = try run(arguments + (jsonFlag ? ["--json"] : []), stdin: stdin)
        #expect(result.status == 0, "wf \(arguments.joined(separator: " ")) failed: \(result.stderr)")
        return try JSONValue.parse(result.stdout)
    }

    /// The store the child processes write, opened from the test for assertions.
    func store() throws -> SQLiteStore {
        try SQLiteStore(path: database)
    }

    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }
}

extension Tag {
    @Tag static var cli: Self
}
