import Foundation
import WorkflowEngine

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where the answers to a form come from: `--input`, or a person at the terminal.
enum Answers {
    /// Parses `--input` text: one object holding all answers, or an array with one answer
    /// object per page (as orchestrator-core's API takes them), merged in order.
    static func parse(_ text: String) throws -> State {
        let value: JSONValue
        do {
            value = try JSONValue.parse(text)
        } catch {
            throw CLIError("the input is not valid JSON: \(error)")
        }
        switch value {
        case .object(let members):
            return State(members)
        case .array(let pages):
            var merged = State()
            for (index, page) in pages.enumerated() {
                guard case .object(let members) = page else {
                    throw CLIError("page \(index + 1) of the input is \(page.typeName); each page must be a JSON object")
                }
                merged = merged.merging(State(members))
            }
            return merged
        default:
            throw CLIError("the input must be a JSON object or an array of objects, got \(value.typeName)")
        }
    }

    static var isInteractive: Bool { isatty(STDIN_FILENO) == 1 }

    /// Gets the answers for `form`: from `--input` when given, else by asking on the terminal.
    /// Without either, fails at once and says how to pass them, instead of waiting.
    static func collect(for form: Form?, input: String?, command: String) throws -> State {
        if let input { return try parse(try InputFile.read(input)) }
        guard let form, form.fields.contains(where: { $0.kind != .display }) else { return State() }
        guard isInteractive else {
            let fields = form.fields.filter { $0.kind != .display }.map { "\($0.name) (\($0.kind.rawValue))" }
            throw CLIError(
                "\(command) needs answers and there is no terminal to ask on; pass them with --input FILE or --input - "
                    + "as a JSON object with: \(fields.joined(separator: ", "))")
        }
        return try prompt(form)
    }

    /// Asks each field in turn; an invalid answer is asked again with the reason.
    /// Nothing is stored until every answer is in, so Ctrl-C leaves nothing behind.
    static func prompt(_ form: Form) throws -> State {
        print("== \(form.title) ==")
        var answers = State()
        for field in form.fields {
            if field.kind == .display {
                print("\(field.label):\n\(field.text ?? "")\n")
                continue
            }
            while true {
                let suffix: String
                switch field.kind {
                case .accept: suffix = " [y/N]"
                case .boolean: suffix = field.defaultValue?.boolValue.map { $0 ? " [Y/n]" : " [y/N]" } ?? " [y/n]"
                default: suffix = field.defaultValue.map { " [\($0.stringValue ?? $0.jsonText)]" } ?? ""
                }
                print("\(field.label)\(suffix): ", terminator: "")
                guard let line = readLine() else { throw CLIError("input ended before '\(field.name)' was answered; nothing was stored") }
                let text = line.trimmingCharacters(in: .whitespaces)
                let value: JSONValue? = text.isEmpty ? nil : parseAnswer(text, kind: field.kind)
                var single = State()
                single[raw: field.name] = value
                do {
                    let checked = try Form(title: form.title, fields: [field]).validate(single)
                    answers = answers.merging(checked)
                    break
                } catch let error as WorkflowError {
                    print("  \(error.problems.map(\.reason).joined(separator: "; "))")
                }
            }
        }
        return answers
    }

    private static func parseAnswer(_ text: String, kind: FormField.Kind) -> JSONValue {
        switch kind {
        case .integer: return Int(text).map(JSONValue.int) ?? .string(text)
        case .boolean, .accept:
            switch text.lowercased() {
            case "y", "yes", "true": return .bool(true)
            case "n", "no", "false": return .bool(false)
            default: return .string(text)
            }
        case .text, .display: return .string(text)
        }
    }
}
