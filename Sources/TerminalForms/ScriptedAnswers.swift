import Foundation
import WorkflowEngine

/// Answers given by a script (`--input FILE|-`).
public enum ScriptedAnswers {
    /// Parses the text: one JSON object holding every answer, or an array with one object
    /// per page (as orchestrator-core's API takes them).
    public static func parse(_ text: String) throws -> FormInput {
        let value: JSONValue
        do {
            value = try JSONValue.parse(text)
        } catch {
            // A JSONSyntaxError says where and why: "line 2, column 5: expected ':' after the member name, found '2'".
            throw WorkflowError(.invalidInput, "the input is not valid JSON: \(error)")
        }
        switch value {
        case .object(let members):
            return .merged(State(members))
        case .array(let pages):
            return .pages(
                try pages.enumerated().map { index, page in
                    guard case .object(let members) = page else {
                        throw WorkflowError(.invalidInput, "page \(index + 1) of the input is \(page.typeName); each page must be a JSON object")
                    }
                    return State(members)
                })
        default:
            throw WorkflowError(.invalidInput, "the input must be a JSON object or an array of objects, got \(value.typeName)")
        }
    }

    /// Reads `--input`: a file path, or `-` for standard input.
    public static func read(_ argument: String) throws -> FormInput {
        if argument == "-" {
            var text = ""
            while let line = readLine(strippingNewline: false) { text += line }
            return try parse(text)
        }
        guard let data = FileManager.default.contents(atPath: argument) else {
            throw WorkflowError(.invalidInput, "cannot read the input file \(argument)")
        }
        return try parse(String(decoding: data, as: UTF8.self))
    }
}

extension FormInput {
    /// The answers as one object (pages merged in order), for a single-page question.
    public var merged: State {
        switch self {
        case .merged(let state): state
        case .pages(let pages): pages.reduce(State()) { $0.merging($1) }
        }
    }
}
