import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where a person's answers come from and where the questions go.
public protocol TerminalIO: Sendable {
    /// The next line the person typed, without its newline; nil when the input ended.
    func readLine() -> String?
    func write(_ text: String)
}

/// Standard input and output.
public struct StandardTerminal: TerminalIO {
    public init() {}

    public func readLine() -> String? {
        Swift.readLine(strippingNewline: true)
    }

    public func write(_ text: String) {
        FileHandle.standardOutput.write(Data(terminalSafe(text).utf8))
    }

    /// Whether standard input is a terminal a person can answer on.
    public static var isInteractive: Bool { isatty(STDIN_FILENO) == 1 }
}

/// A terminal on raw file descriptors, such as the far end of a pseudo-terminal.
public struct FileDescriptorTerminal: TerminalIO {
    public let input: Int32
    public let output: Int32

    public init(input: Int32, output: Int32) {
        self.input = input
        self.output = output
    }

    public func readLine() -> String? {
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            let count = read(input, &byte, 1)
            if count <= 0 { return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self) }
            if byte == UInt8(ascii: "\n") { break }
            if byte != UInt8(ascii: "\r") { bytes.append(byte) }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    public func write(_ text: String) {
        var bytes = Array(terminalSafe(text).utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeMutableBytes { buffer in
                Glibc.write(output, buffer.baseAddress! + offset, buffer.count - offset)
            }
            if written <= 0 { return }
            offset += written
        }
    }
}
