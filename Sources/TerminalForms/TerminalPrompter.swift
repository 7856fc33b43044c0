import Foundation
import WorkflowEngine

/// Asks a form's questions on a terminal: numbered choices with their labels, defaults in
/// brackets, the same question again with the reason when an answer is wrong, and a summary
/// to confirm before anything starts. Nothing is stored by asking, so Ctrl-C at any prompt
/// leaves nothing behind.
public struct TerminalPrompter: Sendable {
    public let io: any TerminalIO

    public init(io: any TerminalIO = StandardTerminal()) {
        self.io = io
    }

    /// Asks every page of the session's form in order, each built from the answers before
    /// it, then shows a summary and asks `confirmation`. Returns nil when the person declines.
    public func fill(_ session: FormSession, confirmation: String) async throws -> [AnsweredPage]? {
        var answered: [AnsweredPage] = []
        var soFar = State()
        for index in session.flow.pages.indices {
            let form = try await session.page(index, answers: soFar)
            while true {
                let answer = try ask(form)
                do {
                    let accepted = try session.accept(index, form: form, answer: answer, earlier: soFar)
                    answered.append(AnsweredPage(form: form, answers: accepted))
                    soFar = soFar.merging(accepted)
                    break
                } catch let error as WorkflowError where error.code == .invalidInput {
                    io.write(error.problems.map { "  \($0)\n" }.joined() + "  Please answer this page again.\n")
                }
            }
        }
        io.write("\n" + summary(answered))
        let go = try askYesNo(confirmation, default: true)
        return go ? answered : nil
    }

    /// Asks the fields of one page; each answer is checked on its own and asked again until
    /// it is valid. Checks across fields are the caller's (they may need the other answers).
    public func ask(_ form: Form) throws -> State {
        io.write("\n== \(form.title) ==\n")
        var answers = State()
        for field in form.fields {
            switch field.kind {
            case .display:
                io.write(
                    "\(field.label):\n" + (field.text ?? "").split(separator: "\n", omittingEmptySubsequences: false).map { "  \($0)\n" }.joined())
            case .summary:
                io.write("\(field.label):\n" + (field.items ?? []).map { "  \($0.label): \($0.value)\n" }.joined())
            default:
                answers[raw: field.name] = try askField(field)
            }
        }
        return answers
    }

    /// The answers of every page, as a person reads them: labels, and choices by their label.
    public func summary(_ pages: [AnsweredPage]) -> String {
        var text = "== Summary ==\n"
        for page in pages {
            for field in page.form.answerableFields {
                guard let value = page.answers[raw: field.name] else { continue }
                text += "  \(field.label): \(field.label(of: value))\n"
            }
        }
        return text
    }

    // MARK: - Fields

    private func askField(_ field: FormField) throws -> JSONValue? {
        if let choices = field.choices, field.kind == .choice || field.kind == .multiChoice {
            io.write("\(field.label):\n")
            for (number, choice) in choices.enumerated() { io.write("  \(number + 1)) \(choice.label)\n") }
            if choices.isEmpty { io.write("  (nothing to choose from)\n") }
        }
        while true {
            io.write(prompt(for: field))
            guard let line = io.readLine() else {
                throw WorkflowError(.invalidInput, "the input ended before '\(field.name)' was answered; nothing was stored")
            }
            let text = line.trimmingCharacters(in: .whitespaces)
            var single = State()
            single[raw: field.name] = text.isEmpty ? nil : parse(text, for: field)
            let (accepted, problems) = Form(name: "answer", title: field.label, fields: [field]).check(single)
            if problems.isEmpty { return accepted[raw: field.name] }
            io.write(problems.map { "  \($0.reason)\n" }.joined())
        }
    }

    private func prompt(for field: FormField) -> String {
        let choices = field.choices ?? []
        switch field.kind {
        case .accept:
            return "\(field.label) [y/N]: "
        case .boolean:
            let suffix = field.defaultValue?.boolValue.map { $0 ? " [Y/n]" : " [y/N]" } ?? " [y/n]"
            return "\(field.label)\(suffix): "
        case .choice:
            let number = field.defaultValue.flatMap { value in choices.firstIndex { $0.value == value } }.map { " [\($0 + 1)]" } ?? ""
            return "Choose 1-\(choices.count)\(number): "
        case .multiChoice:
            let numbers = field.defaultValue?.arrayValue?.compactMap { value in choices.firstIndex { $0.value == value }.map { String($0 + 1) } }
            return "Choose numbers separated by commas\(numbers.map { " [\($0.joined(separator: ","))]" } ?? ""): "
        default:
            let shown = field.defaultValue.map { " [\($0.stringValue ?? $0.jsonText)]" } ?? ""
            return "\(field.label)\(shown): "
        }
    }

    /// Turns typed text into the JSON the field expects: a choice's number into its value.
    private func parse(_ text: String, for field: FormField) -> JSONValue {
        let choices = field.choices ?? []
        func choice(_ item: String) -> JSONValue {
            if let number = Int(item), (1...choices.count).contains(number) { return choices[number - 1].value }
            return choices.first { $0.value.stringValue == item || $0.label == item }?.value ?? .string(item)
        }
        switch field.kind {
        case .integer: return Int(text).map(JSONValue.int) ?? .string(text)
        case .boolean, .accept:
            switch text.lowercased() {
            case "y", "yes", "true": return .bool(true)
            case "n", "no", "false": return .bool(false)
            default: return .string(text)
            }
        case .choice: return choice(text)
        case .multiChoice:
            return .array(text.split(separator: ",").map { choice($0.trimmingCharacters(in: .whitespaces)) })
        case .text, .display, .summary: return .string(text)
        }
    }

    private func askYesNo(_ question: String, default answer: Bool) throws -> Bool {
        while true {
            io.write("\(question) \(answer ? "[Y/n]" : "[y/N]"): ")
            guard let line = io.readLine() else { throw WorkflowError(.invalidInput, "the input ended; nothing was stored") }
            switch line.trimmingCharacters(in: .whitespaces).lowercased() {
            case "": return answer
            case "y", "yes": return true
            case "n", "no": return false
            default: io.write("  answer y or n\n")
            }
        }
    }
}
