import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A pseudo-terminal: the program under test reads and writes `slave` as its terminal;
/// the test plays the person at the keyboard on `master`.
public final class PseudoTerminal: @unchecked Sendable {
    // @unchecked: `output` is only touched from the test's own task (expect/send), never concurrently.
    public let master: Int32
    public let slave: Int32
    private var output = ""

    public init() throws {
        // posix_openpt and friends are not in Swift's Glibc module (they need _XOPEN_SOURCE):
        // look them up in the C library by name.
        typealias OpenPT = @convention(c) (Int32) -> Int32
        typealias PTCall = @convention(c) (Int32) -> Int32
        typealias PTSName = @convention(c) (Int32) -> UnsafeMutablePointer<CChar>?
        let library = dlopen(nil, RTLD_NOW)
        guard let openSymbol = dlsym(library, "posix_openpt"), let grantSymbol = dlsym(library, "grantpt"),
            let unlockSymbol = dlsym(library, "unlockpt"), let nameSymbol = dlsym(library, "ptsname")
        else { throw PseudoTerminalError("the C library has no pseudo-terminal functions") }
        let openPT = unsafeBitCast(openSymbol, to: OpenPT.self)
        let grantPT = unsafeBitCast(grantSymbol, to: PTCall.self)
        let unlockPT = unsafeBitCast(unlockSymbol, to: PTCall.self)
        let ptsName = unsafeBitCast(nameSymbol, to: PTSName.self)

        master = openPT(O_RDWR | O_NOCTTY)
        guard master >= 0, grantPT(master) == 0, unlockPT(master) == 0, let name = ptsName(master) else {
            throw PseudoTerminalError("cannot open a pseudo-terminal: errno \(errno)")
        }
        let path = String(cString: name)
        slave = open(path, O_RDWR | O_NOCTTY)
        guard slave >= 0 else { throw PseudoTerminalError("cannot open \(path): errno \(errno)") }
    }

    /// The path of the terminal end, for a child process to use as its standard streams.
    public var slavePath: String {
        var buffer = [CChar](repeating: 0, count: 256)
        let count = readlink("/proc/self/fd/\(slave)", &buffer, buffer.count - 1)
        return count > 0 ? String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
    }

    deinit {
        close(slave)
        close(master)
    }

    /// Everything the program wrote (and the terminal echoed) so far.
    public var transcript: String { output }

    /// Waits until the program has written `text` (after what was already consumed), and
    /// returns what came up to and including it.
    @discardableResult
    public func expect(_ text: String, timeout: Double = 30) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let seen = take(text) { return seen }
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { throw PseudoTerminalError("timed out waiting for \(text.debugDescription); the terminal shows:\n\(output)") }
            var descriptor = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
            if poll(&descriptor, 1, Int32(min(left, 0.2) * 1000)) > 0 {
                var buffer = [UInt8](repeating: 0, count: 4096)
                let count = read(master, &buffer, buffer.count)
                if count > 0 { output += String(decoding: buffer[..<count], as: UTF8.self) }
            }
        }
    }

    /// `expect` for a program in this very process (a prompter in a task): between looks it
    /// gives its thread back, which the program may need to write at all; and `timeout`
    /// counts the time spent looking, not the time a busy machine kept the test waiting.
    @discardableResult
    public func expect(_ text: String, timeout: Double = 30) async throws -> String {
        for _ in 0..<max(1, Int(timeout / 0.02)) {
            if let seen = take(text) { return seen }
            var descriptor = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
            while poll(&descriptor, 1, 0) > 0 {
                var buffer = [UInt8](repeating: 0, count: 4096)
                let count = read(master, &buffer, buffer.count)
                guard count > 0 else { break }
                output += String(decoding: buffer[..<count], as: UTF8.self)
            }
            if let seen = take(text) { return seen }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw PseudoTerminalError("timed out waiting for \(text.debugDescription); the terminal shows:\n\(output)")
    }

    /// What came up to and including `text`, consumed; nil while it has not come.
    private func take(_ text: String) -> String? {
        guard let range = output.range(of: text) else { return nil }
        let seen = String(output[..<range.upperBound])
        output.removeSubrange(..<range.upperBound)
        return seen
    }

    /// Types `line` and Enter.
    public func send(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
    }
}

public struct PseudoTerminalError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
