import Foundation

extension WFRunner {
    /// Runs `wf` without the `--database` this runner adds, in `directory`, with `environment`
    /// over this runner's: for what `WF_DATABASE` and a bad `--database` do.
    func runOutsideDatabaseOption(_ arguments: [String], in directory: URL, environment extra: [String: String]) throws -> Result {
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "WF_DATABASE")
        env["USER"] = "tester"
        env["XDG_DATA_HOME"] = self.directory.path
        for (key, value) in environment.merging(extra, uniquingKeysWith: { $1 }) { env[key] = value }
        process.environment = env
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }
}
