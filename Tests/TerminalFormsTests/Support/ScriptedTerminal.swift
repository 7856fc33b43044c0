import Synchronization
import TerminalForms

/// A terminal whose person types the given lines, in order, and whose screen is kept.
final class ScriptedTerminal: TerminalIO {
    private struct Screen {
        var lines: [String]
        var output = ""
    }

    private let screen: Mutex<Screen>

    init(typing lines: [String]) {
        screen = Mutex(Screen(lines: lines))
    }

    /// Everything written so far.
    var output: String { screen.withLock { $0.output } }

    func readLine() -> String? {
        screen.withLock { $0.lines.isEmpty ? nil : $0.lines.removeFirst() }
    }

    func write(_ text: String) {
        screen.withLock { $0.output += text }
    }
}
