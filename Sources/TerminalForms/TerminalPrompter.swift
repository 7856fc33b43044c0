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
    /// it, then shows a summary and asks `confirmation` (default no). Returns nil when the
    /// person declines. A page with a required choice from an empty list ends the form at once
    /// with `.nothingToChoose` and the field's reason, before anything is asked on that page.
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
        // Default no: Enter alone must not start a process with answers nobody looked at.
        return try askYesNo(confirmation, default: false) ? answered : nil
    }

    /// Asks the fields of one page; each answer is checked on its own and asked again until
    /// it is valid. Checks across fields are the caller's (they may need the other answers).
    /// An accept field answered no is asked again ("must be accepted"); see `askOrDecline`.
    /// Throws `.nothingToChoose` when a required choice has an empty list.
    public func ask(_ form: Form) throws -> State {
        // Not declinable: `answers` returns nil only for a declined accept field.
        try answers(to: form, declinable: false) ?? State()
    }

    /// Asks the fields of one page like `ask`, but an accept field ("Both sides are
    /// configured") answered no ends the page at once: returns nil, meaning the person
    /// declined for now (`wf resume` leaves the process suspended).
    public func askOrDecline(_ form: Form) throws -> State? {
        try answers(to: form, declinable: true)
    }

    private func answers(to form: Form, declinable: Bool) throws -> State? {
        try form.requireSomethingToChoose()
        io.write("\n== \(form.title) ==\n")
        var answers = State()
        for field in form.fields {
            switch field.kind {
            case .display:
                io.write(
                    "\(heading(field.label))\n"
                        + (field.text ?? "").split(separator: "\n", omittingEmptySubsequences: false).map { "  \($0)\n" }.joined())
            case .summary:
                io.write("\(heading(field.label))\n" + (field.items ?? []).map { "  \($0.label): \($0.value)\n" }.joined())
            default:
                switch try askField(field, declinable: declinable) {
                case .value(let value): answers[raw: field.name] = value
                case .declined: return nil
                }
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

    private enum FieldAnswer {
        /// The value to store (nil: nothing, the field is optional).
        case value(JSONValue?)
        /// An accept field answered no, where declining is allowed.
        case declined
    }

    private func askField(_ field: FormField, declinable: Bool) throws -> FieldAnswer {
        let choices = field.choices ?? []
        let isChoice = field.kind == .choice || field.kind == .multiChoice
        if isChoice {
            io.write("\(heading(field.label))\n")
            for (number, choice) in choices.enumerated() { io.write("  \(number + 1)) \(choice.label)\n") }
            if choices.isEmpty {
                // Only an optional field gets here (`requireSomethingToChoose`): skip it, saying why.
                io.write("  (nothing to choose from\(field.ifEmpty.map { ": \($0)" } ?? ""); left out)\n")
                return .value(field.defaultValue)
            }
        }
        while true {
            io.write(prompt(for: field))
            guard let line = io.readLine() else {
                throw WorkflowError(.invalidInput, "the input ended before '\(field.name)' was answered; nothing was stored")
            }
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.isEmpty && field.defaultValue == nil && field.isRequired {
                io.write(
                    field.kind == .accept
                        ? "  answer y to confirm\(declinable ? ", or n if not yet" : "")\n" : "  \(subject(field.label)) is required\n")
                continue
            }
            if declinable && field.kind == .accept && parse(text, for: field) == .bool(false) { return .declined }
            if isChoice, !text.isEmpty, let unknown = unknownChoice(in: text, for: field) {
                let shown = choices.count == 1 ? "1 (the only choice)" : "one of 1–\(choices.count)"
                io.write("  \"\(unknown)\" is not \(shown)\n")
                continue
            }
            var single = State()
            single[raw: field.name] = text.isEmpty ? nil : parse(text, for: field)
            let (accepted, problems) = Form(name: "answer", title: field.label, fields: [field]).check(single)
            guard problems.isEmpty else {
                io.write(problems.map { "  \($0.reason)\n" }.joined())
                continue
            }
            let value = accepted[raw: field.name]
            // Echo what a number stands for: a list renumbered since the last run shows here.
            if isChoice, let value { io.write("  → \(field.label(of: value))\n") }
            return .value(value)
        }
    }

    /// A label as a heading: `Which planned device?` as it is, `A-side node` → `A-side node:`.
    private func heading(_ label: String) -> String {
        label.hasSuffix("?") || label.hasSuffix(":") ? label : label + ":"
    }

    /// A label as the subject of a sentence: `Which planned device?` → `Which planned device`.
    private func subject(_ label: String) -> String {
        var text = Substring(label)
        while let last = text.last, last == "?" || last == ":" || last == "." || last == " " { text = text.dropLast() }
        return String(text)
    }

    /// A label before its brackets: `Tier:` → `Tier` (the prompt ends with its own colon).
    private func promptLabel(_ label: String) -> String {
        label.hasSuffix(":") ? String(label.dropLast()) : label
    }

    private func prompt(for field: FormField) -> String {
        let choices = field.choices ?? []
        let label = promptLabel(field.label)
        switch field.kind {
        case .accept:
            return "\(label) [y/N]: "
        case .boolean:
            let suffix = field.defaultValue?.boolValue.map { $0 ? " [Y/n]" : " [y/N]" } ?? " [y/n]"
            return "\(label)\(suffix): "
        case .choice:
            let number = field.defaultValue.flatMap { value in choices.firstIndex { $0.value == value } }.map { " [\($0 + 1)]" } ?? ""
            return "Choose 1-\(choices.count)\(number): "
        case .multiChoice:
            let numbers = field.defaultValue?.arrayValue?.compactMap { value in choices.firstIndex { $0.value == value }.map { String($0 + 1) } }
            return "Choose numbers separated by commas\(numbers.map { " [\($0.joined(separator: ","))]" } ?? ""): "
        default:
            let shown = field.defaultValue.map { " [\($0.stringValue ?? $0.jsonText)]" } ?? ""
            return "\(label)\(shown): "
        }
    }

    /// The first typed item that is neither a shown number nor a choice's value or label.
    private func unknownChoice(in text: String, for field: FormField) -> String? {
        let items = field.kind == .multiChoice ? text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } : [text]
        return items.first { choiceValue(for: $0, in: field.choices ?? []) == nil }
    }

    /// A typed item as a choice's value: its number as shown, else its value or label as written.
    private func choiceValue(for item: String, in choices: [Choice]) -> JSONValue? {
        if let number = Int(item), choices.indices.contains(number - 1) { return choices[number - 1].value }
        return choices.first { $0.value.stringValue == item || $0.label == item }?.value
    }

    /// Turns typed text into the JSON the field expects: a choice's number into its value.
    private func parse(_ text: String, for field: FormField) -> JSONValue {
        let choices = field.choices ?? []
        switch field.kind {
        case .integer: return Int(text).map(JSONValue.int) ?? .string(text)
        case .boolean, .accept:
            switch text.lowercased() {
            case "y", "yes", "true": return .bool(true)
            case "n", "no", "false": return .bool(false)
            default: return .string(text)
            }
        case .choice: return choiceValue(for: text, in: choices) ?? .string(text)
        case .multiChoice:
            return .array(
                text.split(separator: ",").map { item in
                    let item = item.trimmingCharacters(in: .whitespaces)
                    return choiceValue(for: item, in: choices) ?? .string(item)
                })
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
