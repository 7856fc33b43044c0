import Foundation
import WorkflowEngine

/// A `subscriptions` row as either store reads it, and the model its rows make: the
/// loading half of `SubscriptionRowPlan`, again with no database in sight.
struct StoredSubscription {
    /// The subscription id as stored (SQLite keeps text, which may be malformed).
    var key: String
    var productName, customerID, description, status: String
    var insync: Bool
    var startDate, endDate: Date?
    var note: String?
    /// The instance whose `label` is set, if any.
    var root: String?

    /// The root block's instance, or the error that says the row has none.
    func rootInstance() throws -> String {
        guard let root else { throw PersistenceError(.corruptRow, "subscription \(key) has no root block") }
        return root
    }

    /// The model, checked: a well-formed id and a known lifecycle. `block` builds the root block.
    func model(root block: (String) throws -> JSONValue) throws -> SubscriptionModel {
        let root = try rootInstance()
        guard let id = UUID(uuidString: key), let lifecycle = Lifecycle(rawValue: status) else {
            throw PersistenceError(.corruptRow, "subscription \(key) has a malformed id or status '\(status)'")
        }
        return SubscriptionModel(
            subscriptionID: id, productName: productName, customerID: customerID, description: description, status: lifecycle, insync: insync,
            startDate: startDate, endDate: endDate, note: note, root: try block(root))
    }

    /// The query both dialects use to read a block tree: the relations of every block
    /// reachable from the root, to at most `BlockTree.maxDepth` levels. `root` is the
    /// dialect's placeholder for the bound root instance (`?`, `$1::uuid`). UNION (not ALL)
    /// and the depth bound end the walk even if the relations form a cycle.
    static func relationsQuery(root: String) -> String {
        """
        WITH RECURSIVE tree (instance, depth) AS (
            SELECT \(root), 0
            UNION
            SELECT r.depends_on_id, t.depth + 1 FROM subscription_instance_relations r JOIN tree t ON r.in_use_by_id = t.instance
            WHERE t.depth < \(BlockTree.maxDepth))
        SELECT in_use_by_id, depends_on_id, order_id, domain_model_attr FROM subscription_instance_relations
        WHERE in_use_by_id IN (SELECT instance FROM tree)
        """
    }
}

/// A subscription's blocks as read from their rows, put back together: values with their
/// types and list order, nulls as nulls, nested blocks and blocks of other subscriptions.
struct BlockTree {
    /// How deep blocks may nest; deeper is taken for a cycle in the relations.
    static let maxDepth = 32
    private var values: [String: [SubscriptionRowPlan.Value]] = [:]
    private var children: [String: [SubscriptionRowPlan.Relation]] = [:]

    init(values: [SubscriptionRowPlan.Value], relations: [SubscriptionRowPlan.Relation]) {
        for value in values { self.values[value.instance, default: []].append(value) }
        for relation in relations { children[relation.parent, default: []].append(relation) }
    }

    /// The block `instance` as JSON, its nested blocks included.
    func block(_ instance: String, depth: Int = 0) throws -> JSONValue {
        guard depth < Self.maxDepth else {
            throw PersistenceError(.corruptRow, "block \(instance) nests more than \(Self.maxDepth) levels deep")
        }
        var object: [String: JSONValue] = [BlockSchema.instanceIDKey: .string(instance)]
        var lists: [String: [(Int, JSONValue)]] = [:]
        for row in values[instance] ?? [] {
            let value = try StoreShared.decode(text: row.text, type: row.type, field: "\(row.field) of block \(instance)")
            switch (row.type, row.index) {
            case ("empty_list", _): lists[row.field, default: []] = []
            case (_, let index?): lists[row.field, default: []].append((index, value))
            case (_, nil): object[row.field] = value
            }
        }
        for relation in children[instance] ?? [] {
            let nested = try block(relation.child, depth: depth + 1)
            if let order = relation.order {
                lists[relation.attribute, default: []].append((order, nested))
            } else {
                object[relation.attribute] = nested
            }
        }
        for (field, items) in lists {
            object[field] = .array(items.sorted { $0.0 < $1.0 }.map(\.1))
        }
        return .object(object)
    }
}
