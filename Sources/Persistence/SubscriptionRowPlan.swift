import Foundation
import WorkflowEngine

/// The rows a subscription model becomes when it is saved: what both stores decide alike,
/// with no database in sight.
///
/// As postgres-nio's state machines do, this type only decides; each store then runs the
/// plan in its own dialect (SQLite a row at a time, PostgreSQL one statement per table).
/// Ids are lowercased text, as SQLite keeps them and PostgreSQL prints its uuids.
struct SubscriptionRowPlan: Equatable {
    /// A `subscription_instances` row.
    struct Instance: Equatable {
        var id, blockID: String
        var label: String?
    }

    /// A `subscription_instance_values` row, its resource type by name.
    struct Value: Equatable {
        var instance, field: String
        var text: String?
        var type: String
        var index: Int?
    }

    /// A `subscription_instance_relations` row.
    struct Relation: Equatable {
        var parent, child, attribute: String
        var order: Int?
    }

    /// A root value no other live subscription of the product type may hold.
    struct UniqueKey: Equatable {
        var field, text: String
    }

    let subscription: String
    /// Each block this subscription owns, once (as its last mention in the model says).
    private(set) var instances: [Instance] = []
    private(set) var values: [Value] = []
    private(set) var relations: [Relation] = []
    /// The ids of `instances`.
    private(set) var owned: Set<String> = []

    /// Walks `write`'s block tree (checks and errors in the order of the tree) and plans the
    /// rows of each block it owns. A block `owners` gives to another subscription is only
    /// pointed at, never rewritten. `blockIDs` is the catalog's `product_blocks` by name.
    /// SQLite keeps any instance id; a PostgreSQL uuid column takes only a UUID
    /// (`instanceIDsAreUUIDs`). `makeID` names a block that has no id yet.
    init(
        _ write: SubscriptionWrite, owners: [String: String], blockIDs: [String: String], instanceIDsAreUUIDs: Bool,
        makeID: () -> UUID = UUID.init
    ) throws {
        subscription = write.model.subscriptionID.uuidString.lowercased()
        var walk = Walk(subscription: subscription, owners: owners, blockIDs: blockIDs, requireUUIDs: instanceIDsAreUUIDs)
        _ = try walk.plan(write.model.root, schema: write.product.root, label: write.product.rootAttribute, makeID: makeID)
        for instance in walk.instances {
            if let index = instances.firstIndex(where: { $0.id == instance.id }) {
                instances[index] = instance
            } else {
                instances.append(instance)
            }
        }
        values = walk.values
        relations = walk.relations
        owned = Set(instances.map(\.id))
    }

    /// The resource types `values` name, sorted.
    var fields: [String] { Set(values.map(\.field)).sorted() }

    /// The blocks the subscription had before this save and no longer has, sorted.
    func gone(from existing: Set<String>) -> [String] {
        existing.subtracting(owned).sorted()
    }

    /// The unique root values a save of `write` must check; none for a terminated subscription.
    static func uniqueKeys(of write: SubscriptionWrite) -> [UniqueKey] {
        guard write.model.status != .terminated else { return [] }
        return write.product.uniqueFields.compactMap { field in
            guard let value = write.model.root.objectValue?[field], value != .null else { return nil }
            return UniqueKey(field: field, text: value.stringValue ?? value.jsonText)
        }
    }

    /// The field changes a new version records, or nil when the save adds no version (the
    /// stored model is the same as the last version's).
    static func versionChanges(previous: JSONValue?, stored: JSONValue) -> [FieldChange]? {
        let changes = FieldChange.diff(previous, stored)
        return previous == nil || !changes.isEmpty ? changes : nil
    }

    /// The product a save names is not in the catalog.
    static func unknownProduct(_ product: ProductDefinition) -> PersistenceError {
        PersistenceError(.unknownProduct, "product '\(product.name)' is not in the catalog; run `wf db migrate`")
    }

    /// Another live subscription holds a unique root value.
    static func taken(_ key: UniqueKey, of product: ProductDefinition, holder: String, description: String) -> WorkflowError {
        WorkflowError(
            .resourceTaken,
            "\(product.rootAttribute).\(key.field) = \(key.text) is already held by subscription \(holder) (\(description))")
    }

    /// A block the save drops is still pointed at by other subscriptions (`users`, listed).
    static func blockInUse(_ block: String, of subscription: String, by users: String) -> WorkflowError {
        WorkflowError(.subscriptionInUse, "block \(block) of subscription \(subscription) is in use by \(users) and cannot be removed")
    }

    /// The recursive walk behind `init`: every mention of a block, in the order of the tree.
    private struct Walk {
        let subscription: String
        let owners: [String: String]
        let blockIDs: [String: String]
        let requireUUIDs: Bool
        var instances: [Instance] = []
        var values: [Value] = []
        var relations: [Relation] = []

        /// Plans `block` and returns its instance id.
        mutating func plan(_ block: JSONValue, schema: BlockSchema, label: String?, makeID: () -> UUID) throws -> String {
            guard case .object(let object) = block else {
                throw WorkflowError(.invalidModel, "a \(schema.name) must be a JSON object, got \(block.typeName)")
            }
            let id: String
            if let text = object[BlockSchema.instanceIDKey]?.stringValue {
                guard !requireUUIDs || UUID(uuidString: text) != nil else {
                    throw WorkflowError(.invalidModel, "\(schema.name).\(BlockSchema.instanceIDKey) '\(text)' is not a UUID")
                }
                id = text.lowercased()
            } else {
                id = makeID().uuidString.lowercased()
            }
            if let owner = owners[id], owner != subscription { return id }
            guard let blockID = blockIDs[schema.name] else {
                throw PersistenceError(.unknownBlock, "product block '\(schema.name)' is not in the catalog; run `wf db migrate`")
            }
            instances.append(Instance(id: id, blockID: blockID, label: label))
            let known = Set(schema.fields.map(\.name)).union([BlockSchema.instanceIDKey])
            if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
                throw WorkflowError(.invalidModel, "\(schema.name) has no field '\(unknown)'")
            }
            for field in schema.fields {
                guard let value = object[field.name] else { continue }
                switch (field.kind, value) {
                case (_, .null):
                    addValue(id, field.name, .null, index: nil)
                case (.value, _):
                    addValue(id, field.name, value, index: nil)
                case (.values, .array(let items)):
                    if items.isEmpty { addEmptyList(id, field.name) }
                    for (index, item) in items.enumerated() { addValue(id, field.name, item, index: index) }
                case (.values, _):
                    throw WorkflowError(.invalidModel, "\(schema.name).\(field.name) must be a list, got \(value.typeName)")
                case (.block(let child), _):
                    let childID = try plan(value, schema: child, label: nil, makeID: makeID)
                    relations.append(Relation(parent: id, child: childID, attribute: field.name, order: nil))
                case (.blocks(let child, _), .array(let items)):
                    if items.isEmpty { addEmptyList(id, field.name) }
                    for (index, item) in items.enumerated() {
                        let childID = try plan(item, schema: child, label: nil, makeID: makeID)
                        relations.append(Relation(parent: id, child: childID, attribute: field.name, order: index))
                    }
                case (.blocks, _):
                    throw WorkflowError(.invalidModel, "\(schema.name).\(field.name) must be a list of blocks, got \(value.typeName)")
                }
            }
            return id
        }

        private mutating func addValue(_ instance: String, _ field: String, _ value: JSONValue, index: Int?) {
            let (text, type) = StoreShared.encode(value)
            values.append(Value(instance: instance, field: field, text: text, type: type, index: index))
        }

        /// An empty list is a row of its own, so that it reads back as `[]`, not as absent.
        private mutating func addEmptyList(_ instance: String, _ field: String) {
            values.append(Value(instance: instance, field: field, text: nil, type: "empty_list", index: -1))
        }
    }
}

extension UUID {
    /// The id as both stores print it (`uuidString` is upper case).
    var lowercased: String { uuidString.lowercased() }
}
