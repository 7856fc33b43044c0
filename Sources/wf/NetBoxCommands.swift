import ArgumentParser
import Dispatch
import Foundation
import NetBox
import NetBoxLite
import Persistence

#if canImport(Glibc)
    import Glibc
#endif

struct NetBoxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "netbox", abstract: "The NetBox the workflows use: serve the embedded NetBoxLite, or check a NetBox.",
        subcommands: [Serve.self, Status.self])

    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run NetBoxLite on 127.0.0.1 until interrupted, printing its URL and the token it accepts.",
            discussion:
                "Its state is kept in --data (default: netboxlite.sqlite beside the database), seeded from --seed (default: the six-router lab) on first start."
        )

        @Option(name: .long, help: "The port (default: a free one).") var port = 0
        @Option(name: .long, help: "The token to accept: a 40-character v1 token, or nbt_<key>.<secret> (default: a new one).")
        var token: String?
        @Option(name: .long, help: "The topology file to seed a new state with (JSON, as seed-inventory.json).") var seed: String?
        @Option(name: .long, help: "The SQLite file holding NetBoxLite's state.") var data: String?
        @OptionGroup var database: DatabaseOptions

        func validate() throws {
            guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
            if let seed, !FileManager.default.fileExists(atPath: seed) { throw ValidationError("--seed: no file at \(seed)") }
        }

        func run() async throws {
            try await runCommand {
                Runtime.bootstrapLogging()
                let location = Runtime.databaseLocation(database)
                if data == nil { try Stores.check(location) }  // a mistyped URL must not become a directory name
                let dataPath = data ?? NetBoxDefaults.liteDataPath(beside: location)
                let server = try await NetBoxLiteServer.start(
                    NetBoxLiteConfiguration(port: port, token: token, dataPath: dataPath, seed: seed.map { URL(fileURLWithPath: $0) }))
                // Written straight to the file handle, so it shows at once even when the output is a pipe.
                FileHandle.standardOutput.write(
                    Data(
                        """
                        NetBoxLite serving \(server.url.absoluteString)/api/ (state in \(dataPath))
                        token: \(server.token)   (send it as: Authorization: \(server.token.hasPrefix("nbt_") ? "Bearer" : "Token") \(server.token))
                        stop with Ctrl-C

                        """.utf8))
                await Signals.waitForTermination()
                await server.stop()
                print("stopped")
                return 0
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check that the configured NetBox (NETBOX_URL, NETBOX_TOKEN) answers and accepts the token.")

        func run() async throws {
            try await runCommand {
                Runtime.bootstrapLogging()
                guard let configuration = try NetBoxConfiguration.fromEnvironment() else {
                    print("NETBOX_URL is not set: the workflows use the embedded NetBoxLite (see `wf netbox serve`)")
                    return 0
                }
                let version = try await NetBoxClient(configuration).status()
                print("\(configuration): NetBox \(version), token accepted")
                return 0
            }
        }
    }
}

/// Which NetBox the workflows talk to, in one line.
enum NetBoxInUse {
    static func describe(beside database: String) throws -> String {
        if let configuration = try NetBoxConfiguration.fromEnvironment() { return configuration.description + " (NETBOX_URL)" }
        return "embedded NetBoxLite, state in \(NetBoxDefaults.liteDataPath(beside: database))"
    }
}

enum NetBoxDefaults {
    /// NetBoxLite's state beside the database file, so the two travel together. With
    /// PostgreSQL, in the directory the default SQLite file would be in, named after the
    /// database (and schema), so that two databases never share one lab.
    static func liteDataPath(beside database: String) -> String {
        if PostgresLocation.isPostgres(database), let location = try? PostgresLocation(database) {
            let directory = (SQLiteStore.defaultPath as NSString).deletingLastPathComponent
            let name = [location.host, String(location.port), location.database, location.schema].compactMap { $0 }.joined(separator: "-")
            return directory + "/netboxlite-\(name).sqlite"
        }
        let directory = (database as NSString).deletingLastPathComponent
        return (directory.isEmpty ? "." : directory) + "/netboxlite.sqlite"
    }
}

/// Waiting for Ctrl-C or SIGTERM in a long-running command.
enum Signals {
    static func waitForTermination() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let queue = DispatchQueue(label: "wf.signals")
            let once = Once(continuation)
            for signalNumber in [SIGINT, SIGTERM] {
                signal(signalNumber, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
                source.setEventHandler { once.resume() }
                source.resume()
                Self.sources.append(source)
            }
        }
    }

    // The signal sources must outlive the wait; they are only touched from the start of one command.
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []

    private final class Once: @unchecked Sendable {
        // @unchecked: `continuation` is only read and cleared on the serial queue "wf.signals".
        private var continuation: CheckedContinuation<Void, Never>?
        init(_ continuation: CheckedContinuation<Void, Never>) { self.continuation = continuation }
        func resume() {
            continuation?.resume()
            continuation = nil
        }
    }
}
