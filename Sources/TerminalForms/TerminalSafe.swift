// Text that reaches the terminal comes partly from people: user names, answers, failure
// messages, NetBox names and descriptions. A control character among it would be obeyed by
// the terminal (`\e[2J` clears the screen, `\e]0;…\a` retitles the window, `\r` overwrites
// a line), so the prompter and `wf` write everything through `terminalSafe`.
//
// The spelling of a replaced character is JSON's: ESC prints as `\u001b`, DEL as `\u007f`,
// U+009B as `\u009b`, the same as in the JSON snippets `wf` shows and in `--json` output.

/// `text` with every control character except newline and tab made visible as `\uXXXX`:
/// C0 (U+0000–U+001F), DEL (U+007F) and C1 (U+0080–U+009F).
public func terminalSafe(_ text: String) -> String {
    guard text.unicodeScalars.contains(where: isControl) else { return text }
    var safe = String.UnicodeScalarView()
    for scalar in text.unicodeScalars {
        guard isControl(scalar) else {
            safe.append(scalar)
            continue
        }
        let hex = String(scalar.value, radix: 16)
        safe.append(contentsOf: "\\u\(String(repeating: "0", count: 4 - hex.count))\(hex)".unicodeScalars)
    }
    return String(safe)
}

private func isControl(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0x0A, 0x09: false
    case 0x00...0x1F, 0x7F, 0x80...0x9F: true
    default: false
    }
}
