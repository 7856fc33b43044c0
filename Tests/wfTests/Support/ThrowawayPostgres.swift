import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A PostgreSQL cluster of a test's own, in a temporary directory on a free port, so that the
/// test can restart or stop it without disturbing the other suites' database. Needs the
/// Debian `postgresql-15` binaries and root (the cluster runs as user `postgres`), as CI has.
final class ThrowawayPostgres {
    static let binaries = "/usr/lib/postgresql/15/bin"

    /// Why a throwaway cluster cannot be started here, or nil when it can.
    static var unavailableReason: String? {
        if !FileManager.default.isExecutableFile(atPath: binaries + "/pg_ctl") {
            return "\(binaries)/pg_ctl is missing: install postgresql-15 to run the PostgreSQL restart test"
        }
        if getuid() != 0 { return "starting a throwaway PostgreSQL cluster needs root (it runs as user postgres)" }
        return nil
    }

    let directory: String
    let port: Int
    /// `postgres://wf:…@127.0.0.1:PORT/wf_test`.
    let url: String

    /// initdb, start, and create the role `wf` and its database `wf_test`.
    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("wf-pg-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        port = try Self.freePort()
        let password = UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16)
        // Lost calls (a restart can make postgres-nio lose one) fail after 5 s, not 20.
        url = "postgres://wf:\(password)@127.0.0.1:\(port)/wf_test?query_timeout=5"
        try "\(password)\n".write(toFile: directory + "/pwfile", atomically: true, encoding: .utf8)
        try Self.shell("chown -R postgres '\(directory)'")
        try asPostgres(
            "\(Self.binaries)/initdb -D '\(directory)/data' -U postgres --pwfile='\(directory)/pwfile' --auth-host=scram-sha-256 --auth-local=trust")
        try start()
        try asPostgres(
            "psql -h '\(directory)' -p \(port) -U postgres -qc \"CREATE ROLE wf LOGIN PASSWORD '\(password)'\" -c 'CREATE DATABASE wf_test OWNER wf'")
    }

    func start() throws {
        try pgctl(
            "-l '\(directory)/log' -w -o \"-p \(port) -k '\(directory)' -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=200\" start"
        )
    }

    /// `pg_ctl restart -m fast`: every session is ended at once (SQLSTATE 57P01) and the
    /// server comes back on the same port.
    func restart() throws {
        try pgctl("-m fast -w restart")
    }

    /// Stops the cluster and deletes its directory.
    func remove() {
        try? pgctl("-m immediate stop")
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func pgctl(_ arguments: String) throws {
        try asPostgres("\(Self.binaries)/pg_ctl -D '\(directory)/data' \(arguments)")
    }

    private func asPostgres(_ command: String) throws {
        let quoted = command.replacingOccurrences(of: "'", with: "'\\''")
        try Self.shell("su postgres -s /bin/sh -c '\(quoted)'")
    }

    /// Runs `command` with its output in a file, not a pipe, which the server would hold open.
    private static func shell(_ command: String) throws {
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("wf-pg-shell-\(UUID().uuidString)").path
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        let process = Process()
        // Foundation learns that a child exited when a socket the child inherits closes; the
        // server `pg_ctl start` leaves running would inherit it too, so it is closed first.
        let closeInherited = "for fd in $(ls /proc/$$/fd); do [ \"$fd\" -gt 2 ] && eval \"exec $fd>&-\"; done; "
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", closeInherited + command]
        process.standardOutput = FileHandle(forWritingAtPath: outputPath)
        process.standardError = FileHandle(forWritingAtPath: outputPath)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
            throw ShellFailure(description: "`\(command)` exited \(process.terminationStatus): \(text)")
        }
    }

    struct ShellFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// A port nothing listens on, from 56100 up (away from CI's 55432 and the local 55499).
    private static func freePort() throws -> Int {
        for port in 56100..<56400 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            if bound == 0 { return port }
        }
        throw ShellFailure(description: "no free port from 56100 to 56400 for a throwaway PostgreSQL")
    }
}
