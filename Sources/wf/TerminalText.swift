import Foundation
import TerminalForms

// Everything `wf` prints goes through `terminalSafe` (TerminalForms), which makes control
// characters in stored text visible instead of letting the terminal obey them.

/// Shadows `Swift.print` for every unqualified `print` in `wf`: the same arguments, written
/// with control characters made visible (see `terminalSafe`).
func print(_ items: Any..., separator: String = " ", terminator: String = "\n") {
    Swift.print(terminalSafe(items.map { String(describing: $0) }.joined(separator: separator)), terminator: terminalSafe(terminator))
}
