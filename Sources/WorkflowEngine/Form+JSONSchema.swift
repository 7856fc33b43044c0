/// JSON Schema (draft 2020-12) for a form page: what the HTTP API serves and any UI renders.
/// Choices are `oneOf` with `const` and `title` (`x-nothing-to-choose` says why a required one
/// is empty); read-only fields carry `readOnly`; multi-line text carries `x-multiline`.
extension Form {
    public var jsonSchema: JSONValue {
        var properties: [String: JSONValue] = [:]
        var order: [JSONValue] = []
        for field in fields {
            properties[field.name] = field.jsonSchema
            order.append(.string(field.name))
        }
        return .object([
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "title": .string(title),
            "x-page": .string(name),
            "x-field-order": .array(order),
            "properties": .object(properties),
            "required": .array(fields.filter(\.isRequired).filter { $0.defaultValue == nil }.map { .string($0.name) }),
            "additionalProperties": false,
        ])
    }
}

extension FormField {
    public var jsonSchema: JSONValue {
        var schema: [String: JSONValue] = ["title": .string(label), "x-kind": .string(kind.rawValue)]
        if let defaultValue { schema["default"] = defaultValue }
        switch kind {
        case .text:
            schema["type"] = "string"
            if let pattern { schema["pattern"] = .string("^(?:\(pattern))$") }
            if let minLength { schema["minLength"] = .int(minLength) }
            if let maxLength { schema["maxLength"] = .int(maxLength) }
            if isRequired && minLength == nil { schema["minLength"] = 1 }
            if multiline == true { schema["x-multiline"] = true }
        case .integer:
            schema["type"] = "integer"
            if let minimum { schema["minimum"] = .int(minimum) }
            if let maximum { schema["maximum"] = .int(maximum) }
        case .boolean:
            schema["type"] = "boolean"
        case .accept:
            schema["type"] = "boolean"
            schema["const"] = true
        case .choice:
            schema["oneOf"] = .array((choices ?? []).map { .object(["const": $0.value, "title": .string($0.label)]) })
            if let nothingToChoose { schema["x-nothing-to-choose"] = .string(nothingToChoose) }
        case .multiChoice:
            schema["type"] = "array"
            schema["uniqueItems"] = true
            schema["items"] = .object(["oneOf": .array((choices ?? []).map { .object(["const": $0.value, "title": .string($0.label)]) })])
            if let minItems { schema["minItems"] = .int(minItems) }
            if let maxItems { schema["maxItems"] = .int(maxItems) }
            if let nothingToChoose { schema["x-nothing-to-choose"] = .string(nothingToChoose) }
        case .display:
            schema["type"] = "string"
            schema["readOnly"] = true
            schema["default"] = .string(text ?? "")
        case .summary:
            schema["type"] = "object"
            schema["readOnly"] = true
            schema["default"] = .object(
                Dictionary((items ?? []).map { ($0.label, JSONValue.string($0.value)) }, uniquingKeysWith: { _, last in last }))
            schema["x-items"] = .array((items ?? []).map { .object(["label": .string($0.label), "value": .string($0.value)]) })
        }
        return .object(schema)
    }
}
