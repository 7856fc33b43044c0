import Foundation

/// One field of a form page: its kind, its rules and its default (a prefill, in a modify form).
public struct FormField: Sendable, Hashable, Codable {
    /// Persisted in stored forms (`processes.form`).
    public enum Kind: String, Sendable, Hashable, Codable {
        case text
        case integer
        case boolean
        /// One value from `choices`.
        case choice
        /// Several distinct values from `choices`.
        case multiChoice = "multi_choice"
        /// Must be answered `true` to continue ("I have applied this config").
        case accept
        /// Read-only long text shown to the person (a rendered router config).
        case display
        /// Read-only lines describing something (a subscription).
        case summary

        public var isReadOnly: Bool { self == .display || self == .summary }
    }

    public var name: String
    public var label: String
    public var kind: Kind
    public var isRequired: Bool
    /// The value used when the answer leaves the field out; in a modify form, the current value.
    public var defaultValue: JSONValue?
    /// The text of a `display` field.
    public var text: String?
    /// A regular expression the whole text must match.
    public var pattern: String?
    public var minLength: Int?
    public var maxLength: Int?
    public var minimum: Int?
    public var maximum: Int?
    public var choices: [Choice]?
    public var minItems: Int?
    public var maxItems: Int?
    /// The lines of a `summary` field.
    public var items: [SummaryItem]?
    /// Why a choice field has nothing to offer, when its list is empty ("no active Node to
    /// connect yet: run create_node first"); see `nothingToChoose`.
    public var ifEmpty: String?
    /// A text field whose answer may span lines (tabs and line breaks allowed); nil: one line.
    public var multiline: Bool?

    public init(name: String, label: String, kind: Kind, isRequired: Bool = true, defaultValue: JSONValue? = nil, text: String? = nil) {
        self.name = name
        self.label = label
        self.kind = kind
        self.isRequired = isRequired && !kind.isReadOnly
        self.defaultValue = defaultValue
        self.text = text
    }

    private enum CodingKeys: String, CodingKey {
        case name, label, kind, text, pattern, choices, items, minimum, maximum
        case isRequired = "required"
        case defaultValue = "default"
        case minLength = "min_length"
        case maxLength = "max_length"
        case minItems = "min_items"
        case maxItems = "max_items"
        case ifEmpty = "if_empty"
        case multiline
    }
}

// MARK: - Building fields

extension FormField {
    /// Free text, optionally matching `pattern` (whole text) and of a length in `length`.
    /// Control characters are refused; a `multiline` field accepts tabs and line breaks.
    public static func text(
        _ name: String, _ label: String, required: Bool = true, default value: String? = nil, pattern: String? = nil,
        length: ClosedRange<Int>? = nil, multiline: Bool = false
    ) -> FormField {
        var field = FormField(name: name, label: label, kind: .text, isRequired: required, defaultValue: value.map(JSONValue.string))
        field.multiline = multiline ? true : nil
        field.pattern = pattern
        field.minLength = length?.lowerBound
        field.maxLength = length?.upperBound
        return field
    }

    public static func integer(
        _ name: String, _ label: String, required: Bool = true, default value: Int? = nil, range: ClosedRange<Int>? = nil
    ) -> FormField {
        var field = FormField(name: name, label: label, kind: .integer, isRequired: required, defaultValue: value.map(JSONValue.int))
        field.minimum = range?.lowerBound
        field.maximum = range?.upperBound
        return field
    }

    public static func boolean(_ name: String, _ label: String, default value: Bool? = nil) -> FormField {
        FormField(name: name, label: label, kind: .boolean, isRequired: value == nil, defaultValue: value.map(JSONValue.bool))
    }

    /// One of `choices`; the answer is the chosen value. `ifEmpty` says why the list may be
    /// empty and what to do about it; a required choice with nothing to choose from stops the
    /// form with that reason (see `nothingToChoose`).
    public static func choice(
        _ name: String, _ label: String, choices: [Choice], required: Bool = true, default value: JSONValue? = nil, ifEmpty: String? = nil
    ) -> FormField {
        var field = FormField(name: name, label: label, kind: .choice, isRequired: required, defaultValue: value)
        field.choices = choices
        field.ifEmpty = ifEmpty
        return field
    }

    /// Several distinct values of `choices`, between `count` bounds; `ifEmpty` as for `choice`.
    public static func multiChoice(
        _ name: String, _ label: String, choices: [Choice], count: ClosedRange<Int>? = nil, default values: [JSONValue]? = nil,
        ifEmpty: String? = nil
    ) -> FormField {
        var field = FormField(
            name: name, label: label, kind: .multiChoice, isRequired: (count?.lowerBound ?? 0) > 0, defaultValue: values.map(JSONValue.array))
        field.choices = choices
        field.ifEmpty = ifEmpty
        field.minItems = count?.lowerBound
        field.maxItems = count?.upperBound
        return field
    }

    public static func accept(_ name: String, _ label: String) -> FormField {
        FormField(name: name, label: label, kind: .accept)
    }

    public static func display(_ name: String, _ label: String, text: String) -> FormField {
        FormField(name: name, label: label, kind: .display, isRequired: false, text: text)
    }

    public static func summary(_ name: String, _ label: String, items: [SummaryItem]) -> FormField {
        var field = FormField(name: name, label: label, kind: .summary, isRequired: false)
        field.items = items
        return field
    }

    /// Why this field cannot be answered: it is a required choice with an empty list. The
    /// field's `ifEmpty`, else "nothing to choose from for <label>"; nil when it can be answered.
    public var nothingToChoose: String? {
        guard kind == .choice || kind == .multiChoice, isRequired, (choices ?? []).isEmpty else { return nil }
        return ifEmpty ?? "nothing to choose from for \(label)"
    }

    /// The label of `value` among the choices, or the value itself written as JSON.
    public func label(of value: JSONValue) -> String {
        if let choice = choices?.first(where: { $0.value == value }) { return choice.label }
        if case .array(let values) = value, kind == .multiChoice { return values.map { label(of: $0) }.joined(separator: ", ") }
        return value.stringValue ?? value.jsonText
    }
}

// MARK: - Validation

extension FormField {
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
            if isRequired && text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return problem("must not be empty") }
            if let found = firstControlCharacter(in: text) {
                let allowed = multiline == true ? " other than tabs and line breaks" : ""
                return problem("must not contain control characters\(allowed) (found \(found.scalar) at position \(found.position))")
            }
            if let minLength, text.count < minLength { return problem("must be at least \(minLength) characters long") }
            if let maxLength, text.count > maxLength { return problem("must be at most \(maxLength) characters long") }
            if let pattern {
                guard let regex = try? Regex(pattern) else { return problem("has an invalid pattern \(pattern) in its definition") }
                if (try? regex.wholeMatch(in: text)) == nil { return problem("must match \(pattern)") }
            }
            return .success(.string(text))
        case .integer:
            guard let number = given.intValue else { return problem("expected an integer, got \(given.typeName)") }
            if let minimum, number < minimum { return problem("must be at least \(minimum), got \(number)") }
            if let maximum, number > maximum { return problem("must be at most \(maximum), got \(number)") }
            return .success(.int(number))
        case .boolean:
            guard let flag = given.boolValue else { return problem("expected true or false, got \(given.typeName)") }
            return .success(.bool(flag))
        case .accept:
            guard given.boolValue == true else { return problem("must be accepted (true) to continue") }
            return .success(.bool(true))
        case .choice:
            guard let match = choices?.first(where: { $0.value == given || ($0.value.intValue != nil && $0.value.intValue == given.intValue) })
            else {
                return problem("\(given.jsonText) is not one of\(choiceList)")
            }
            return .success(match.value)
        case .multiChoice:
            guard case .array(let values) = given else { return problem("expected an array of choices, got \(given.typeName)") }
            var chosen: [JSONValue] = []
            for value in values {
                guard let match = choices?.first(where: { $0.value == value }) else {
                    return problem("\(value.jsonText) is not one of\(choiceList)")
                }
                guard !chosen.contains(match.value) else { return problem("\(value.jsonText) is chosen twice") }
                chosen.append(match.value)
            }
            if let minItems, chosen.count < minItems { return problem("choose at least \(minItems)") }
            if let maxItems, chosen.count > maxItems { return problem("choose at most \(maxItems)") }
            return .success(.array(chosen))
        case .display, .summary:
            return .success(nil)
        }
    }

    /// The choices as a script gives them, with what a person reads: `: 45 (loc1-core), 46 (loc2-core)`;
    /// the first eight of a long list, then how many more.
    private var choiceList: String {
        let all = (choices ?? []).map { choice in
            let value = choice.value.stringValue ?? choice.value.jsonText
            return choice.label == value ? value : "\(value) (\(choice.label))"
        }
        if all.isEmpty { return " the choices (there are none)" }
        let shown = all.count > 8 ? all.prefix(8).joined(separator: ", ") + ", … (\(all.count - 8) more)" : all.joined(separator: ", ")
        return ": " + shown
    }

    /// The first control character of `text` and its position (1-based, in characters):
    /// C0 (U+0000–U+001F), DEL and C1 (U+0080–U+009F). A `multiline` field allows tab, LF and CR.
    /// NUL is what matters most: SQLite cuts text at it and PostgreSQL refuses it.
    private func firstControlCharacter(in text: String) -> (scalar: String, position: Int)? {
        let allowed: Set<UInt32> = multiline == true ? [0x09, 0x0A, 0x0D] : []
        for (offset, character) in text.enumerated() {
            for scalar in character.unicodeScalars {
                let value = scalar.value
                guard value < 0x20 || (0x7F...0x9F).contains(value), !allowed.contains(value) else { continue }
                let hex = String(value, radix: 16, uppercase: true)
                return ("U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex, offset + 1)
            }
        }
        return nil
    }
}
