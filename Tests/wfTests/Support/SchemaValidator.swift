import Foundation
import WorkflowEngine

/// Checks a `JSONValue` against a JSON Schema of an OpenAPI 3.1 document: the subset the
/// API's document uses (`$ref` into `#/components/schemas`, `type`, `properties`, `required`,
/// `additionalProperties`, `items`, `enum`, `const`, `oneOf`, `anyOf`, `allOf`, `minimum`,
/// `maximum`, `minItems`, `maxItems`). `format` and annotations are ignored; any other keyword
/// is itself a violation, so that a schema this validator does not understand never passes
/// silently.
struct SchemaValidator {
    /// What is wrong, and where: `$.steps[2].name: expected string, got null`.
    struct Violation: Hashable, CustomStringConvertible {
        var path: String
        var message: String

        var description: String { "\(path): \(message)" }
    }

    /// The whole document, for `$ref`.
    let document: JSONValue

    static let annotations: Set<String> = [
        "description", "title", "default", "examples", "example", "format", "readOnly", "writeOnly", "deprecated", "$comment",
    ]
    static let keywords: Set<String> = [
        "$ref", "type", "properties", "required", "additionalProperties", "items", "enum", "const", "oneOf", "anyOf", "allOf", "minimum",
        "maximum", "minItems", "maxItems",
    ]

    /// The violations of `value` against the schema named `name` in `#/components/schemas`.
    func validate(_ value: JSONValue, schemaNamed name: String) -> [Violation] {
        validate(value, against: ["$ref": .string("#/components/schemas/\(name)")])
    }

    /// The violations of `value` against `schema`; none when it conforms.
    func validate(_ value: JSONValue, against schema: JSONValue, at path: String = "$") -> [Violation] {
        validate(value, schema, path, depth: 0)
    }

    private func validate(_ value: JSONValue, _ schema: JSONValue, _ path: String, depth: Int) -> [Violation] {
        func violation(_ message: String) -> [Violation] { [Violation(path: path, message: message)] }
        guard depth < 64 else { return violation("the schema nests (or refers to itself) more than 64 times") }
        if case .bool(let accepts) = schema { return accepts ? [] : violation("no value is allowed here") }
        guard let schema = schema.objectValue else { return violation("the schema is not an object: \(schema.jsonText)") }
        var found: [Violation] = []
        for keyword in schema.keys.sorted() where !Self.keywords.contains(keyword) && !Self.annotations.contains(keyword) {
            found += violation("the schema uses '\(keyword)', which this validator does not check")
        }
        if let reference = schema["$ref"] {
            switch resolve(reference) {
            case .success(let target): found += validate(value, target, path, depth: depth + 1)
            case .failure(let problem): found += violation(problem.message)
            }
        }
        if let type = schema["type"], !Self.matches(value, type: type) {
            return found + violation("expected \(type.stringValue ?? type.jsonText), got \(Self.typeName(value))")
        }
        if let allowed = schema["enum"]?.arrayValue, !allowed.contains(where: { Self.equal($0, value) }) {
            found += violation("\(value.jsonText.prefix(80)) is not one of \(JSONValue.array(allowed).jsonText)")
        }
        if let constant = schema["const"], !Self.equal(constant, value) {
            found += violation("expected \(constant.jsonText), got \(value.jsonText.prefix(80))")
        }
        found += checkBounds(value, schema, path)
        found += checkObject(value, schema, path, depth: depth)
        if case .array(let items) = value, let itemSchema = schema["items"] {
            for (index, item) in items.enumerated() { found += validate(item, itemSchema, "\(path)[\(index)]", depth: depth + 1) }
        }
        found += checkCombinations(value, schema, path, depth: depth)
        return found
    }

    private func checkBounds(_ value: JSONValue, _ schema: [String: JSONValue], _ path: String) -> [Violation] {
        var found: [Violation] = []
        if let minimum = schema["minimum"].flatMap(Self.number), let number = Self.number(value), number < minimum {
            found.append(Violation(path: path, message: "\(value.jsonText) is less than the minimum \(schema["minimum"]?.jsonText ?? "")"))
        }
        if let maximum = schema["maximum"].flatMap(Self.number), let number = Self.number(value), number > maximum {
            found.append(Violation(path: path, message: "\(value.jsonText) is more than the maximum \(schema["maximum"]?.jsonText ?? "")"))
        }
        if case .array(let items) = value {
            if let least = schema["minItems"]?.intValue, items.count < least {
                found.append(Violation(path: path, message: "has \(items.count) items, fewer than \(least)"))
            }
            if let most = schema["maxItems"]?.intValue, items.count > most {
                found.append(Violation(path: path, message: "has \(items.count) items, more than \(most)"))
            }
        }
        return found
    }

    private func checkObject(_ value: JSONValue, _ schema: [String: JSONValue], _ path: String, depth: Int) -> [Violation] {
        guard case .object(let members) = value else { return [] }
        var found: [Violation] = []
        let properties = schema["properties"]?.objectValue ?? [:]
        for name in schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where members[name] == nil {
            found.append(Violation(path: path, message: "lacks the required key '\(name)'"))
        }
        for (name, member) in members.sorted(by: { $0.key < $1.key }) {
            let memberPath = "\(path).\(name)"
            if let property = properties[name] {
                found += validate(member, property, memberPath, depth: depth + 1)
            } else if let additional = schema["additionalProperties"] {
                if additional == .bool(false) {
                    found.append(
                        Violation(path: memberPath, message: "is not a key the schema allows (\(properties.keys.sorted().joined(separator: ", ")))"))
                } else {
                    found += validate(member, additional, memberPath, depth: depth + 1)
                }
            }
        }
        return found
    }

    private func checkCombinations(_ value: JSONValue, _ schema: [String: JSONValue], _ path: String, depth: Int) -> [Violation] {
        var found: [Violation] = []
        for branch in schema["allOf"]?.arrayValue ?? [] { found += validate(value, branch, path, depth: depth + 1) }
        if let branches = schema["anyOf"]?.arrayValue {
            let results = branches.map { validate(value, $0, path, depth: depth + 1) }
            if !results.contains(where: \.isEmpty) { found += Self.noneMatched("anyOf", results, path) }
        }
        if let branches = schema["oneOf"]?.arrayValue {
            let results = branches.map { validate(value, $0, path, depth: depth + 1) }
            let matching = results.indices.filter { results[$0].isEmpty }
            if matching.isEmpty {
                found += Self.noneMatched("oneOf", results, path)
            } else if matching.count > 1 {
                let which = matching.map(String.init).joined(separator: ", ")
                found.append(Violation(path: path, message: "matches \(matching.count) oneOf branches (\(which)); exactly one must"))
            }
        }
        return found
    }

    /// One violation saying no branch matched, followed by those of the nearest branch.
    private static func noneMatched(_ keyword: String, _ results: [[Violation]], _ path: String) -> [Violation] {
        guard let nearest = results.indices.min(by: { results[$0].count < results[$1].count }) else {
            return [Violation(path: path, message: "\(keyword) has no branches")]
        }
        return [Violation(path: path, message: "matches none of the \(keyword) branches; nearest, branch \(nearest):")] + results[nearest]
    }

    /// The keywords of `schema` and every schema inside it that this validator would not
    /// check, with where they are: a document that uses one needs the validator extended first.
    static func unsupportedKeywords(in schema: JSONValue, at path: String = "$") -> [Violation] {
        guard let object = schema.objectValue else { return [] }
        var found = object.keys.sorted().filter { !keywords.contains($0) && !annotations.contains($0) }.map {
            Violation(path: path, message: "uses '\($0)'")
        }
        for (name, property) in (object["properties"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            found += unsupportedKeywords(in: property, at: "\(path).properties.\(name)")
        }
        for keyword in ["items", "additionalProperties"] {
            if let inner = object[keyword] { found += unsupportedKeywords(in: inner, at: "\(path).\(keyword)") }
        }
        for keyword in ["oneOf", "anyOf", "allOf"] {
            for (index, branch) in (object[keyword]?.arrayValue ?? []).enumerated() {
                found += unsupportedKeywords(in: branch, at: "\(path).\(keyword)[\(index)]")
            }
        }
        return found
    }

    private struct ReferenceProblem: Error {
        var message: String
    }

    /// The schema a `$ref` names: only `#/components/schemas/<name>` is used by the document.
    private func resolve(_ reference: JSONValue) -> Result<JSONValue, ReferenceProblem> {
        let prefix = "#/components/schemas/"
        guard let text = reference.stringValue, text.hasPrefix(prefix) else {
            return .failure(ReferenceProblem(message: "$ref \(reference.jsonText) does not point into \(prefix)"))
        }
        let name = String(text.dropFirst(prefix.count))
        guard let target = document.objectValue?["components"]?.objectValue?["schemas"]?.objectValue?[name] else {
            return .failure(ReferenceProblem(message: "$ref \(text) names no schema of the document"))
        }
        return .success(target)
    }

    // MARK: - Types and values

    private static func matches(_ value: JSONValue, type: JSONValue) -> Bool {
        switch type {
        case .string(let name): return matches(value, typeNamed: name)
        case .array(let names): return names.contains { $0.stringValue.map { matches(value, typeNamed: $0) } ?? false }
        default: return false
        }
    }

    private static func matches(_ value: JSONValue, typeNamed name: String) -> Bool {
        switch (name, value) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object): true
        case ("number", .int), ("number", .double), ("integer", .int): true
        // JSON Schema counts 2.0 as an integer.
        case ("integer", .double(let number)): number.rounded() == number
        default: false
        }
    }

    private static func typeName(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "boolean"
        case .int: "integer"
        case .double: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    private static func number(_ value: JSONValue) -> Double? {
        switch value {
        case .int(let number): Double(number)
        case .double(let number): number
        default: nil
        }
    }

    /// JSON equality, where 1 and 1.0 are the same number.
    static func equal(_ left: JSONValue, _ right: JSONValue) -> Bool {
        switch (left, right) {
        case (.int, .double), (.double, .int): return number(left) == number(right)
        case (.array(let lefts), .array(let rights)): return lefts.count == rights.count && zip(lefts, rights).allSatisfy { equal($0, $1) }
        case (.object(let lefts), .object(let rights)):
            return lefts.count == rights.count && lefts.allSatisfy { key, value in rights[key].map { equal(value, $0) } ?? false }
        default: return left == right
        }
    }
}
