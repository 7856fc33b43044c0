import Foundation

/// The JSON object a process carries from step to step.
///
/// Read it with typed keys: `try state[.nodeID]` decodes the value stored under
/// `"node_id"`; a missing or mistyped key throws an error that names the key (the runner
/// adds the step).
public struct State: Sendable, Hashable {
    public private(set) var values: [String: JSONValue]

    public init(_ values: [String: JSONValue] = [:]) {
        self.values = values
    }

    /// Keys the engine sets when a process starts; steps may read them but never change them.
    public static let reservedKeys: Set<String> = ["process_id", "workflow_name", "workflow_target", "reporter", InputLabels.key]

    public var isEmpty: Bool { values.isEmpty }
    public var keys: Dictionary<String, JSONValue>.Keys { values.keys }

    /// The raw value under `key`, or nil when it is absent. A stored `null` is `.null`, not nil.
    public subscript(raw key: String) -> JSONValue? {
        get { values[key] }
        set { values[key] = newValue }
    }

    /// The value under `key`, decoded. Throws when the key is absent or holds another type.
    public subscript<Value>(key: StateKey<Value>) -> Value {
        get throws { try value(for: key) }
    }

    public func value<Value>(for key: StateKey<Value>) throws -> Value {
        guard let raw = values[key.name] else {
            throw WorkflowError(.missingStateKey, "state key '\(key.name)' is missing")
        }
        do {
            return try raw.decode(Value.self)
        } catch {
            throw WorkflowError(
                .mistypedStateKey, "state key '\(key.name)' holds \(raw.typeName), expected \(Value.self): \(error)")
        }
    }

    /// The value under `key`, or nil when it is absent or null. A value of the wrong type still throws.
    public func optionalValue<Value>(for key: StateKey<Value>) throws -> Value? {
        guard let raw = values[key.name], raw != .null else { return nil }
        return try value(for: key)
    }

    /// Stores `value` under `key`, encoded to JSON.
    public mutating func set<Value>(_ key: StateKey<Value>, to value: Value) throws {
        values[key.name] = try JSONValue(encoding: value)
    }

    /// A copy with `value` stored under `key`: `State().setting(.nodeID, 7)`.
    public func setting<Value>(_ key: StateKey<Value>, _ value: Value) throws -> State {
        var copy = self
        try copy.set(key, to: value)
        return copy
    }

    /// Shallow merge: every key of `updates` replaces the key of the same name (a `null`
    /// update stores null, it does not delete); keys not in `updates` stay as they were.
    public func merging(_ updates: State) -> State {
        State(values.merging(updates.values) { _, new in new })
    }

    /// The keys of `updates` that the engine owns and a step must not change.
    public func reservedKeysChanged(by updates: State) -> [String] {
        updates.values.keys.filter { key in
            State.reservedKeys.contains(key) && values[key] != nil && values[key] != updates.values[key]
        }.sorted()
    }

    public var json: JSONValue { .object(values) }
}

extension State: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}

extension State: Codable {
    public init(from decoder: any Decoder) throws {
        self.init(try [String: JSONValue](from: decoder))
    }

    public func encode(to encoder: any Encoder) throws {
        try values.encode(to: encoder)
    }
}

extension State {
    /// Parses a JSON object; anything else is an error that says what was found instead.
    public static func parse(_ text: String) throws -> State {
        let value = try JSONValue.parse(text)
        guard case .object(let members) = value else {
            throw WorkflowError(.invalidInput, "expected a JSON object, got \(value.typeName)")
        }
        return State(members)
    }
}

/// A typed name for a state entry: `static let nodeID = StateKey<Int>("node_id")`.
///
/// The string is the persisted name; renaming the Swift constant never orphans stored state.
public struct StateKey<Value: Codable & Sendable>: Sendable, Hashable {
    public let name: String
    public init(_ name: String) { self.name = name }
}

extension StateKey {
    public static var processID: StateKey<String> { StateKey<String>("process_id") }
    public static var workflowName: StateKey<String> { StateKey<String>("workflow_name") }
    public static var reporter: StateKey<String> { StateKey<String>("reporter") }
}

// MARK: - Codable bridging

extension JSONValue {
    /// Encodes any Codable value into a JSON value.
    public init<Value: Encodable>(encoding value: Value) throws {
        switch value {
        case let value as JSONValue: self = value
        case let value as String: self = .string(value)
        case let value as Int: self = .int(value)
        case let value as Bool: self = .bool(value)
        case let value as Double: self = .double(value)
        default:
            let data = try JSONEncoder().encode(value)
            self = try JSONValue.parse(data)
        }
    }

    /// Decodes a Codable value from this JSON value.
    public func decode<Value: Decodable>(_ type: Value.Type) throws -> Value {
        // Fast paths for the common scalar types; everything else goes through JSONDecoder.
        switch self {
        case .string(let value): if let value = value as? Value { return value }
        case .int(let value): if let value = value as? Value { return value }
        case .bool(let value): if let value = value as? Value { return value }
        default: break
        }
        return try JSONDecoder().decode(Value.self, from: Data(jsonText.utf8))
    }
}
