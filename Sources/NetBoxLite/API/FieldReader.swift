import Foundation

/// Reads the writable fields of a JSON body as Django REST framework's serializers do,
/// collecting NetBox's error messages field by field.
struct FieldReader {
    let body: JSON
    private(set) var errors = FieldErrors()

    /// Fails with DRF's error for a body that is not a JSON object; no body reads as `{}`.
    init(_ body: JSON?) throws {
        let body = body ?? .emptyObject
        guard body.isObject else {
            let kind = FieldReader.pythonTypeName(body)
            throw APIError.field("non_field_errors", "Invalid data. Expected a dictionary, but got \(kind).")
        }
        self.body = body
    }

    func has(_ name: String) -> Bool {
        body[name] != nil
    }

    mutating func reject(_ name: String, _ message: String) {
        errors.add(name, message)
    }

    /// Adds "This field is required." for each of `names` that is missing.
    mutating func require(_ names: String...) {
        for name in names where !has(name) {
            reject(name, "This field is required.")
        }
    }

    /// A text field (`CharField`); numbers are accepted as their text, as DRF does.
    mutating func string(_ name: String, maxLength: Int? = nil) -> String? {
        guard let value = body[name] else { return nil }
        let text: String
        switch value {
        case .string(let string): text = string
        case .int(let number): text = String(number)
        case .double(let number): text = String(number)
        case .null:
            reject(name, "This field may not be null.")
            return nil
        default:
            reject(name, "Not a valid string.")
            return nil
        }
        if let maxLength, text.count > maxLength {
            reject(name, "Ensure this field has no more than \(maxLength) characters.")
            return nil
        }
        return text
    }

    /// A choice field: the value must be one of `set` (or blank, where allowed).
    mutating func choice(_ name: String, in set: ChoiceSet, allowBlank: Bool = false) -> String? {
        guard let value = body[name] else { return nil }
        if value.isNull {
            reject(name, "This field may not be null.")
            return nil
        }
        let text = FieldReader.pythonText(value)
        if text.isEmpty && allowBlank { return "" }
        guard set.contains(text), value.stringValue != nil || value.intValue != nil else {
            reject(name, "\(text) is not a valid choice.")
            return nil
        }
        return text
    }

    /// A yes/no field (`BooleanField`), with DRF's accepted spellings.
    mutating func bool(_ name: String) -> Bool? {
        guard let value = body[name] else { return nil }
        switch value {
        case .bool(let flag): return flag
        case .int(1): return true
        case .int(0): return false
        case .string(let text) where ["t", "y", "yes", "true", "on", "1"].contains(text.lowercased()): return true
        case .string(let text) where ["f", "n", "no", "false", "off", "0"].contains(text.lowercased()): return false
        case .null:
            reject(name, "This field may not be null.")
        default:
            reject(name, "Must be a valid boolean.")
        }
        return nil
    }

    /// An optional integer field: `.some(nil)` when sent as null, nil when absent or invalid.
    mutating func optionalInteger(_ name: String, range: ClosedRange<Int>? = nil) -> Int?? {
        guard let value = body[name] else { return nil }
        if value.isNull { return .some(nil) }
        let number: Int?
        switch value {
        case .int(let int): number = int
        case .string(let text): number = Int(text.trimmingCharacters(in: .whitespaces))
        default: number = nil
        }
        guard let number else {
            reject(name, "A valid integer is required.")
            return nil
        }
        if let range, number < range.lowerBound {
            reject(name, "Ensure this value is greater than or equal to \(range.lowerBound).")
            return nil
        }
        if let range, number > range.upperBound {
            reject(name, "Ensure this value is less than or equal to \(range.upperBound).")
            return nil
        }
        return .some(number)
    }

    /// A related object given by numeric id, as NetBox's nested serializers accept it:
    /// `.some(nil)` when sent as null (where `nullable`), nil when absent or invalid.
    mutating func related(_ name: String, nullable: Bool = false, exists: (Int) -> Bool) -> Int?? {
        guard let value = body[name] else { return nil }
        if value.isNull {
            if nullable { return .some(nil) }
            reject(name, "This field may not be null.")
            return nil
        }
        var candidate: Int?
        switch value {
        case .int(let id): candidate = id
        case .string(let text): candidate = Int(text.trimmingCharacters(in: .whitespaces))
        case .object:
            // Lookups by attributes ({"name": ...}) are NetBox features NetBoxLite only takes for ids.
            candidate = value["id"]?.intValue
            guard let id = candidate, exists(id) else {
                reject(name, "Related object not found using the provided attributes: \(FieldReader.pythonText(value))")
                return nil
            }
        default: candidate = nil
        }
        guard let id = candidate else {
            reject(
                name,
                "Related objects must be referenced by numeric ID or by dictionary of attributes. Received an unrecognized value: \(FieldReader.pythonText(value))"
            )
            return nil
        }
        guard exists(id) else {
            reject(name, "Related object not found using the provided numeric ID: \(id)")
            return nil
        }
        return .some(id)
    }

    /// Throws the collected errors as a 400, if there are any.
    func throwIfAny() throws {
        try errors.throwIfAny()
    }

    /// How Python's `str()` writes a JSON value, as it appears inside DRF's messages.
    static func pythonText(_ value: JSON) -> String {
        switch value {
        case .null: "None"
        case .bool(let flag): flag ? "True" : "False"
        case .int(let number): String(number)
        case .double(let number): String(number)
        case .string(let text): text
        case .array, .object: value.text
        }
    }

    /// Python's name for the type of a parsed JSON value.
    static func pythonTypeName(_ value: JSON) -> String {
        switch value {
        case .null: "NoneType"
        case .bool: "bool"
        case .int: "int"
        case .double: "float"
        case .string: "str"
        case .array: "list"
        case .object: "dict"
        }
    }
}
