import Foundation
import Testing
import WorkflowEngine

@testable import TerminalForms

/// What a form shows comes partly from NetBox and from people: a device named with an escape
/// sequence must be shown, not obeyed by the terminal.
@Suite("Terminal-safe output")
struct TerminalSafeTests {
    @Test func controlCharactersAreShownInJSONSpellingButLineBreaksStay() {
        #expect(terminalSafe("loc1\u{1B}[2J-core\n\tok") == "loc1\\u001b[2J-core\n\tok")
        #expect(terminalSafe("\u{1B}]0;pwned\u{07}") == "\\u001b]0;pwned\\u0007")
        #expect(terminalSafe("a\u{7F}b\u{9B}c\r") == "a\\u007fb\\u009bc\\u000d")
        #expect(terminalSafe("plain text, ünïcödé") == "plain text, ünïcödé")
    }

    @Test func aChoiceLabelWithAnEscapeSequenceReachesTheTerminalVisible() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]) }
        let terminal = FileDescriptorTerminal(input: -1, output: fds[1])
        let form = Form(
            title: "Device", fields: [.display("name", "NetBox says", text: "evil\u{1B}[2J\u{1B}]0;owned\u{07}router")])
        _ = try TerminalPrompter(io: terminal).ask(form)
        close(fds[1])
        let written = String(decoding: FileHandle(fileDescriptor: fds[0]).readDataToEndOfFile(), as: UTF8.self)
        #expect(!written.contains("\u{1B}"), "no raw escape reaches the terminal")
        #expect(written.contains("evil\\u001b[2J\\u001b]0;owned\\u0007router"))
    }
}
