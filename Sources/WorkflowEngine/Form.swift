import Foundation

/// What a workflow asks a person: the initial input of a workflow, or the question a
/// suspended process waits on. Stored with the process so any client (terminal, API) can
/// show it later. Deliberately small: typed fields and their validation.
public struct Form: Sendable, Hashable, Codable {
    public var title: String
    public var fields: [FormField]

    public init(title: String, fields: [FormField]) {
        self.title = title
        self.fields = fields
    }

    /// Checks an answer against the fields and returns the values to merge into the state:
    /// known fields only, defaults filled in, display-only fields left out.
    ///
    /// Every problem is reported at once, one per field, so a person fixes them in one go.
    public func validate(_ answer: State) throws -> State {
        var problems: [FieldProblem] = []
        var accepted = State()
        let known = Set(fields.map(\.name))
        for name in answer.keys.sorted() where !known.contains(name) {
            problems.append(FieldProblem(field: name, reason: "is not a field of this form (fields: \(fields.map(\.name).joined(separator: ", ")))"))
        }
        for field in fields where field.kind != .display {
            let given = answer[raw: field.name]
            switch field.check(given) {
            case .success(let value?): accepted[raw: field.name] = value
            case .success(nil): break
            case .failure(let problem): problems.append(problem)
            }
        }
        if !problems.isEmpty {
            throw WorkflowError(.invalidInput, "the answer to '\(title)' is not valid", problems: problems)
        }
        return accepted
    }
}

/// One field of a form.
public struct FormField: Sendable, Hashable, Codable {
    /// Persisted in stored forms; new kinds are added by the form module.
    public enum Kind: String, Sendable, Hashable, Codable {
        case text
        case integer
        case boolean
        /// Must be answered `true` to continue ("I have applied this config").
        case accept
        /// Read-only text shown to the person (a rendered config); never answered.
        case display
    }

    public var name: String
    public var label: String
    public var kind: Kind
    public var isRequired: Bool
    public var defaultValue: JSONValue?
    /// The text of a `display` field.
    public var text: String?

    public init(name: String, label: String, kind: Kind, isRequired: Bool = true, defaultValue: JSONValue? = nil, text: String? = nil) {
        self.name = name
        self.label = label
        self.kind = kind
        self.isRequired = isRequired
        self.defaultValue = defaultValue
        self.text = text
    }

    public static func text(_ name: String, _ label: String, required: Bool = true, default value: String? = nil) -> FormField {
        FormField(name: name, label: label, kind: .text, isRequired: required, defaultValue: value.map(JSONValue.string))
    }

    public static func integer(_ name: String, _ label: String, required: Bool = true, default value: Int? = nil) -> FormField {
        FormField(name: name, label: label, kind: .integer, isRequired: required, defaultValue: value.map(JSONValue.int))
    }

    public static func boolean(_ name: String, _ label: String, default value: Bool? = nil) -> FormField {
        FormField(name: name, label: label, kind: .boolean, isRequired: value == nil, defaultValue: value.map(JSONValue.bool))
    }

    public static func accept(_ name: String, _ label: String) -> FormField {
        FormField(name: name, label: label, kind: .accept)
    }

    public static func display(_ name: String, _ label: String, text: String) -> FormField {
        FormField(name: name, label: label, kind: .display, isRequired: false, text: text)
    }

    private enum CodingKeys: String, CodingKey {
        case name, label, kind, text
        case isRequired = "required"
        case defaultValue = "default"
    }

    /// The value to store for this field, nil to store nothing, or the problem with it.
    func check(_ given: JSONValue?) -> Result<JSONValue?, FieldProblem> {
        func problem(_ reason: String) -> Result<JSONValue?, FieldProblem> {
            .failure(FieldProblem(field: name, reason: reason))
        }
        guard let given, given != .null else {
            if let defaultValue { return .success(defaultValue) }
            return isRequired ? problem("is required") : .success(nil)
        }
        switch kind {
        case .text:
            guard let text = given.stringValue else { return problem("expected a string, got \(given.typeName)") }
            if isRequired && text.trimmingCharacters(in: .whitespaces).isEmpty { return problem("must not be empty") }
            return .success(.string(text))
        case .integer:
            guard let number = given.intValue else { return problem("expected an integer, got \(given.typeName)") }
            return .success(.int(number))
        case .boolean:
            guard let flag = given.boolValue else { return problem("expected true or false, got \(given.typeName)") }
            return .success(.bool(flag))
        case .accept:
            guard given.boolValue == true else { return problem("must be accepted (true) to continue") }
            return .success(.bool(true))
        case .display:
            return .success(nil)
        }
    }
}
