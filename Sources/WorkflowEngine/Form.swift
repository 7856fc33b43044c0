import Foundation

/// One page of questions: the page of a workflow's initial form, or the question a
/// suspended process waits on. Stored with the process, so any client (terminal, API) can
/// show it later; `jsonSchema` is what an API client renders.
public struct Form: Sendable, Hashable, Codable {
    /// The page's key, used in error messages (`a_side.node: is required`) and in `input_states`.
    public var name: String
    public var title: String
    public var fields: [FormField]
    /// Who is expected to answer (a user or a team, as orchestrator-core's input steps have);
    /// nil: anyone.
    public var assignee: String?

    public init(name: String? = nil, title: String, fields: [FormField], assignee: String? = nil) {
        self.name = name ?? Form.key(for: title)
        self.title = title
        self.fields = fields
        self.assignee = assignee
    }

    /// The fields a person answers (everything but read-only ones).
    public var answerableFields: [FormField] { fields.filter { !$0.kind.isReadOnly } }

    /// Checks an answer against the fields and returns the values to merge into the state:
    /// known fields only, defaults filled in, read-only fields left out.
    ///
    /// Every problem is reported at once, one per field (`page.field: reason`), so a person
    /// fixes them in one go.
    public func validate(_ answer: State) throws -> State {
        try requireSomethingToChoose()
        let (accepted, problems) = check(answer)
        if !problems.isEmpty {
            throw WorkflowError(.invalidInput, "the answers to '\(title)' are not valid", problems: problems)
        }
        return accepted
    }

    /// Throws `.nothingToChoose` with the field's reason (its `ifEmpty`) when a required
    /// choice has an empty list: no answer can be valid, so asking (or checking a scripted
    /// answer, which would only say "is required") helps no one.
    public func requireSomethingToChoose() throws {
        for field in answerableFields {
            guard let reason = field.nothingToChoose else { continue }
            throw WorkflowError(.nothingToChoose, reason)
        }
    }

    /// The accepted values and the problems of an answer, without throwing.
    public func check(_ answer: State, unknownFieldsAreProblems: Bool = true) -> (accepted: State, problems: [FieldProblem]) {
        var problems: [FieldProblem] = []
        var accepted = State()
        let byName = Dictionary(fields.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        if unknownFieldsAreProblems {
            for name in answer.keys.sorted() {
                guard let field = byName[name] else {
                    let names = answerableFields.map(\.name).joined(separator: ", ")
                    problems.append(FieldProblem(field: "\(self.name).\(name)", reason: "is not a field of this page (fields: \(names))"))
                    continue
                }
                if field.kind.isReadOnly {
                    problems.append(FieldProblem(field: "\(self.name).\(name)", reason: "is read-only; leave it out"))
                }
            }
        }
        for field in answerableFields {
            switch field.check(answer[raw: field.name]) {
            case .success(let value?): accepted[raw: field.name] = value
            case .success(nil): break
            case .failure(let problem): problems.append(FieldProblem(field: "\(name).\(problem.field)", reason: problem.reason))
            }
        }
        return (accepted, problems)
    }

    /// `"A-side port"` → `"a_side_port"`.
    static func key(for title: String) -> String {
        let lowered = title.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "_" }
        let key = String(lowered).split(separator: "_", omittingEmptySubsequences: true).joined(separator: "_")
        return key.isEmpty ? "page" : key
    }
}

/// One value a choice field offers, with what a person reads.
public struct Choice: Sendable, Hashable, Codable {
    public var value: JSONValue
    public var label: String

    public init(_ value: JSONValue, label: String) {
        self.value = value
        self.label = label
    }
}

/// A line of a read-only summary (of a subscription, of the answers so far).
public struct SummaryItem: Sendable, Hashable, Codable {
    public var label: String
    public var value: String

    public init(_ label: String, _ value: String) {
        self.label = label
        self.value = value
    }
}
