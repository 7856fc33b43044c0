import ArgumentParser
import Foundation
import TerminalForms
import WorkflowEngine

struct FormCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "form",
        abstract: "Print a workflow's initial form, page by page; with --schema as JSON Schema, as the HTTP API serves it.",
        discussion: """
            Later pages may depend on earlier answers (the port page lists the ports of the chosen node). Pass the answers so far \
            with --input to see the pages they lead to; pages that need more answers are listed as pending.
            """)

    @Argument(help: "The workflow's name (see `wf workflows`).") var workflow: String
    @Flag(name: .long, help: "Print JSON Schema, one per page.") var schema = false
    @Option(name: .long, help: "Answers so far as JSON: a file, or - for standard input.") var input: String?
    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        try await runCommand {
            let runtime = try await Runtime.open(database)
            let definition = try runtime.engine.registry.workflow(named: workflow)
            guard let flow = definition.initialForm else {
                if schema {
                    JSONValue.object(["workflow": .string(workflow), "pages": [], "pending_pages": []]).printJSON()
                } else {
                    print("\(workflow) takes no input")
                }
                return 0
            }
            let answers = try input.map { try ScriptedAnswers.read($0) } ?? .merged(State())
            let (pages, pending) = try await FormHelp.pages(of: runtime.engine.makeFormSession(flow), answers: answers)
            if schema {
                JSONValue.object([
                    "workflow": .string(workflow),
                    "pages": .array(pages.map(\.jsonSchema)),
                    "pending_pages": .array(pending.map { .object(["name": .string($0.name), "title": .string($0.title)]) }),
                ]).printJSON()
                return 0
            }
            for (index, page) in pages.enumerated() {
                print("page \(index + 1): \(page.title) (\(page.name))")
                for field in page.fields { print("  " + FormHelp.describe(field)) }
            }
            for (offset, page) in pending.enumerated() {
                print("page \(pages.count + 1 + offset): \(page.title) (\(page.name)) — depends on the answers before it; pass them with --input")
            }
            return 0
        }
    }
}

/// Texts that explain a form to someone who has to answer it from a script.
enum FormHelp {
    /// The pages that can be built from `answers` (each page built from the valid answers
    /// before it), and the ones that cannot yet.
    static func pages(of session: FormSession, answers: FormInput) async throws -> (built: [Form], pending: [FormFlow.Page]) {
        var built: [Form] = []
        var soFar = State()
        for index in session.flow.pages.indices {
            let form: Form
            do {
                form = try await session.page(index, answers: soFar)
            } catch let error as WorkflowError where error.code == .missingStateKey || error.code == .mistypedStateKey {
                return (built, Array(session.flow.pages[index...]))
            }
            built.append(form)
            let answer: State
            switch answers {
            case .merged(let all): answer = all
            case .pages(let pages): answer = index < pages.count ? pages[index] : State()
            }
            guard let accepted = try? session.accept(index, form: form, answer: answer, earlier: soFar, unknownFieldsAreProblems: false)
            else {
                return (built, Array(session.flow.pages[(index + 1)...]))
            }
            soFar = soFar.merging(accepted)
        }
        return (built, [])
    }

    static func describe(_ field: FormField) -> String {
        var text = "\(field.name) (\(field.kind.rawValue)\(field.isRequired && field.defaultValue == nil ? ", required" : "")): \(field.label)"
        if let value = field.defaultValue { text += " [default \(value.jsonText)]" }
        if let pattern = field.pattern { text += " pattern \(pattern)" }
        if field.minimum != nil || field.maximum != nil {
            text += " range \(field.minimum.map(String.init) ?? "…")...\(field.maximum.map(String.init) ?? "…")"
        }
        if let choices = field.choices {
            text += " one of: " + choices.prefix(10).map { "\($0.value.jsonText) (\($0.label))" }.joined(separator: ", ")
            if choices.count > 10 { text += ", … (\(choices.count) in all)" }
        }
        return text
    }

    static func fieldList(_ form: Form) -> String {
        form.answerableFields.map { "\($0.name) (\($0.kind.rawValue))" }.joined(separator: ", ")
    }

    /// Why `wf start` will not wait for answers, and how to give them.
    static func noTerminal(for workflow: WorkflowDefinition, session: FormSession) async throws -> String {
        var text =
            "wf start \(workflow.name) needs answers and there is no terminal to ask on; pass them with --input FILE or --input - "
            + "(a JSON object with every answer, or an array with one object per page)"
        if let first = try? await session.page(0, answers: State()) {
            text += ". Page 1 '\(first.name)': \(fieldList(first))"
        }
        return text + ". `wf form \(workflow.name) --schema` describes every page."
    }
}
