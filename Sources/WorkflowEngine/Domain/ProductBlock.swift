import Foundation

/// A typed part of a product (NodeBlock, CircuitBlock, …): Codable fields with explicit
/// persisted names, and a table saying which are resource values and which are blocks,
/// and from which lifecycle each must be set.
///
/// ```swift
/// struct NodeBlock: ProductBlock {
///     static let blockName = "NodeBlock"
///     static let fields: [BlockField] = [
///         .value("node_id", required: .from(.provisioning)),
///         .value("node_name", required: .from(.provisioning)),
///     ]
///     var instanceID: UUID?
///     var nodeID: Int?
///     var nodeName: String?
///     enum CodingKeys: String, CodingKey {
///         case instanceID = "subscription_instance_id", nodeID = "node_id", nodeName = "node_name"
///     }
/// }
/// ```
public protocol ProductBlock: Codable, Sendable, Hashable {
    /// The persisted name (`product_blocks.name`).
    static var blockName: String { get }
    /// Every field but `subscription_instance_id`, with its kind and requirement.
    static var fields: [BlockField] { get }
    /// The block instance's id (`subscription_instance_id`), nil until first saved.
    var instanceID: UUID? { get set }
}

/// One field of a block: a resource value (or a list of them), or a nested block (one,
/// optional, or a list), which may belong to another subscription.
public struct BlockField: Sendable {
    public enum Kind: Sendable {
        case value
        case values
        case block(BlockSchema)
        case blocks(BlockSchema, count: ClosedRange<Int>?)
    }

    public let name: String
    public let kind: Kind
    public let required: Requirement
    public let description: String

    public init(name: String, kind: Kind, required: Requirement, description: String = "") {
        self.name = name
        self.kind = kind
        self.required = required
        self.description = description
    }

    /// A resource value (`subscription_instance_values`).
    public static func value(_ name: String, required: Requirement = .never, _ description: String = "") -> BlockField {
        BlockField(name: name, kind: .value, required: required, description: description)
    }

    /// An ordered list of resource values.
    public static func values(_ name: String, required: Requirement = .never, _ description: String = "") -> BlockField {
        BlockField(name: name, kind: .values, required: required, description: description)
    }

    /// A nested block (`subscription_instance_relations`); it may belong to another subscription.
    public static func block<Block: ProductBlock>(_ name: String, _ type: Block.Type, required: Requirement = .never) -> BlockField {
        BlockField(name: name, kind: .block(BlockSchema(type)), required: required)
    }

    /// An ordered list of nested blocks, optionally of a fixed size (`count: 2...2`).
    public static func blocks<Block: ProductBlock>(
        _ name: String, _ type: Block.Type, count: ClosedRange<Int>? = nil, required: Requirement = .never
    ) -> BlockField {
        BlockField(name: name, kind: .blocks(BlockSchema(type), count: count), required: required)
    }
}

/// A block type's shape as data, built from its `fields`: what persistence, validation,
/// the catalog sync and diffs walk.
public struct BlockSchema: Sendable {
    public let name: String
    private let loadFields: @Sendable () -> [BlockField]

    public init<Block: ProductBlock>(_ type: Block.Type) {
        name = Block.blockName
        // Lazily: block types refer to each other (and a block may nest its own kind).
        loadFields = { Block.fields }
    }

    public var fields: [BlockField] { loadFields() }

    public static let instanceIDKey = "subscription_instance_id"

    /// Every block instance id in a model's tree (its own blocks and those it points into),
    /// lowercased, in the order found.
    public static func instanceIDs(in root: JSONValue) -> [String] {
        var ids: [String] = []
        func collect(_ value: JSONValue) {
            switch value {
            case .object(let object):
                if let id = object[instanceIDKey]?.stringValue { ids.append(id.lowercased()) }
                object.values.forEach(collect)
            case .array(let items):
                items.forEach(collect)
            default:
                break
            }
        }
        collect(root)
        return ids
    }

    /// Every block schema reachable from this one, this one first, each once.
    public var allSchemas: [BlockSchema] {
        var seen: Set<String> = []
        var result: [BlockSchema] = []
        func visit(_ schema: BlockSchema) {
            guard seen.insert(schema.name).inserted else { return }
            result.append(schema)
            for field in schema.fields {
                switch field.kind {
                case .block(let child), .blocks(let child, _): visit(child)
                case .value, .values: break
                }
            }
        }
        visit(self)
        return result
    }

    /// What `lifecycle` requires of `block` (a JSON object) and it lacks, one problem per field
    /// by path (`circuit.members[0].port.port_id is required in active`), nested blocks included.
    public func problems(in block: JSONValue, lifecycle: Lifecycle, path: String) -> [FieldProblem] {
        let object = block.objectValue ?? [:]
        var problems: [FieldProblem] = []
        for field in fields {
            let value = object[field.name]
            let required = field.required.lifecycles.contains(lifecycle)
            let isSet: Bool
            switch value {
            case nil, .null?: isSet = false
            case .array(let items)?: isSet = !items.isEmpty
            case .string(let text)?: isSet = !text.isEmpty
            default: isSet = true
            }
            if required && !isSet {
                problems.append(FieldProblem(field: "\(path).\(field.name)", reason: "is required in \(lifecycle)"))
            }
            switch (field.kind, value) {
            case (.block(let child), .some(let nested)) where nested.objectValue != nil:
                problems += child.problems(in: nested, lifecycle: lifecycle, path: "\(path).\(field.name)")
            case (.blocks(let child, let count), .array(let items)?):
                if let count, required || !items.isEmpty, !count.contains(items.count) {
                    let wanted = count.lowerBound == count.upperBound ? "exactly \(count.lowerBound)" : "\(count.lowerBound) to \(count.upperBound)"
                    problems.append(
                        FieldProblem(field: "\(path).\(field.name)", reason: "needs \(wanted) blocks in \(lifecycle), has \(items.count)"))
                }
                for (index, item) in items.enumerated() {
                    problems += child.problems(in: item, lifecycle: lifecycle, path: "\(path).\(field.name)[\(index)]")
                }
            default:
                break
            }
        }
        return problems
    }
}

extension BlockSchema {
    /// `block` with an instance id given to every block that has none, so that a saved
    /// model keeps the identity of its blocks from one save to the next. Ids are lowercased
    /// as the store keeps them: a typed block encodes its `UUID` in upper case.
    public func assigningInstanceIDs(_ block: JSONValue, _ makeID: () -> UUID) -> JSONValue {
        guard case .object(var object) = block else { return block }
        switch object[Self.instanceIDKey] {
        case nil, .null?: object[Self.instanceIDKey] = .string(makeID().uuidString.lowercased())
        case .string(let id)?: object[Self.instanceIDKey] = .string(id.lowercased())
        default: break
        }
        for field in fields {
            switch (field.kind, object[field.name]) {
            case (.block(let child), .some(let nested)) where nested.objectValue != nil:
                object[field.name] = child.assigningInstanceIDs(nested, makeID)
            case (.blocks(let child, _), .array(let items)?):
                object[field.name] = .array(items.map { child.assigningInstanceIDs($0, makeID) })
            default:
                break
            }
        }
        return .object(object)
    }
}
