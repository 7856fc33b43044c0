import TerminalForms
import Testing
import WorkflowEngine

/// The state of a `.merged` input, nil for `.pages`.
private func merged(_ input: FormInput) -> State? {
    if case .merged(let state) = input { return state }
    return nil
}

/// The states of a `.pages` input, nil for `.merged`.
private func pages(_ input: FormInput) -> [State]? {
    if case .pages(let states) = input { return states }
    return nil
}

/// The message of the `.invalidInput` error that parsing `text` throws.
private func refusal(_ text: String) -> String? {
    let error = #expect(throws: WorkflowError.self) { try ScriptedAnswers.parse(text) }
    #expect(error?.code == .invalidInput)
    return error?.message
}

@Suite("Scripted answers")
struct ScriptedAnswersTests {
    @Test func objectIsOneMergedAnswer() throws {
        let input = try ScriptedAnswers.parse(#"{"node_a": 1, "port_a": "xe-0/0/0", "tags": ["a", {"b": null}], "ok": true}"#)

        #expect(merged(input) == ["node_a": 1, "port_a": "xe-0/0/0", "tags": ["a", ["b": nil]], "ok": true])
    }

    @Test func arrayOfObjectsIsOneAnswerPerPageInOrder() throws {
        let input = try ScriptedAnswers.parse(#"[{"node_a": 1}, {}, {"node_b": 2, "note": "x"}]"#)

        #expect(pages(input) == [["node_a": 1], [:], ["node_b": 2, "note": "x"]])
        #expect(pages(try ScriptedAnswers.parse("[]")) == [])
    }

    @Test(arguments: [
        (#"[{"node_a": 1}, 2, {}]"#, "page 2 of the input is an integer; each page must be a JSON object"),
        (#"[[{"node_a": 1}]]"#, "page 1 of the input is an array; each page must be a JSON object"),
        (#"[{}, {}, null]"#, "page 3 of the input is null; each page must be a JSON object"),
        (#"[{}, "page"]"#, "page 2 of the input is a string; each page must be a JSON object"),
    ])
    func arrayWithANonObjectIsRefusedNamingThePage(text: String, message: String) {
        #expect(refusal(text) == message)
    }

    @Test(arguments: [("1", "an integer"), ("2.5", "a number"), (#""text""#, "a string"), ("true", "a boolean"), ("null", "null")])
    func scalarIsRefused(text: String, type: String) {
        #expect(refusal(text) == "the input must be a JSON object or an array of objects, got \(type)")
    }

    @Test(arguments: ["", "   ", "{", #"{"a": }"#, "[1,", "nope", #"{"a": 1} {"b": 2}"#, #"{'a': 1}"#])
    func invalidJSONIsRefused(text: String) {
        #expect(refusal(text)?.hasPrefix("the input is not valid JSON: ") == true)
    }

    @Test func mergedInputMergesPagesInOrderLaterPagesWinning() {
        let input = FormInput.pages([["a": 1, "b": 1], ["b": 2, "c": 2], [:], ["c": 3]])

        #expect(input.merged == ["a": 1, "b": 2, "c": 3])
        #expect(FormInput.merged(["a": 1]).merged == ["a": 1])
        #expect(FormInput.pages([]).merged == [:])
    }
}
