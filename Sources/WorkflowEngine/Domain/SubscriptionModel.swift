import Foundation

/// A subscription as the engine carries it in a process's state and saves it: its
/// attributes and the JSON of its root block (the typed view is `Subscription<Root>`).
public struct SubscriptionModel: Sendable, Hashable {
    public var subscriptionID: UUID
    public var productName: String
    public var customerID: String
    public var description: String
    public var status: Lifecycle
    public var insync: Bool
    public var startDate: Date?
    public var endDate: Date?
    public var note: String?
    /// The root block, as JSON (an object).
    public var root: JSONValue

    public init(
        subscriptionID: UUID, productName: String, customerID: String, description: String, status: Lifecycle = .initial,
        insync: Bool = false, startDate: Date? = nil, endDate: Date? = nil, note: String? = nil, root: JSONValue
    ) {
        self.subscriptionID = subscriptionID
        self.productName = productName
        self.customerID = customerID
        self.description = description
        self.status = status
        self.insync = insync
        self.startDate = startDate
        self.endDate = endDate
        self.note = note
        self.root = root
    }

    /// Reads the model back from `json` (as a process's state holds it under "subscription").
    public init(json: JSONValue) throws {
        guard let object = json.objectValue else {
            throw WorkflowError(.invalidModel, "a subscription model must be a JSON object, got \(json.typeName)")
        }
        func text(_ key: String) throws -> String {
            guard let value = object[key]?.stringValue else {
                throw WorkflowError(.invalidModel, "the subscription model lacks '\(key)'")
            }
            return value
        }
        func date(_ key: String) -> Date? {
            object[key]?.stringValue.flatMap { UTCTimeText.date($0) ?? Self.timeFormatter.date(from: $0) ?? ISO8601DateFormatter().date(from: $0) }
        }
        guard let id = UUID(uuidString: try text("subscription_id")) else {
            throw WorkflowError(.invalidModel, "the subscription model's subscription_id is not a UUID")
        }
        guard let status = Lifecycle(rawValue: try text("status")) else {
            throw WorkflowError(.invalidModel, "the subscription model's status is not a lifecycle")
        }
        self.init(
            subscriptionID: id, productName: try text("product_name"), customerID: try text("customer_id"),
            description: try text("description"), status: status, insync: object["insync"]?.boolValue ?? false,
            startDate: date("start_date"), endDate: date("end_date"), note: object["note"]?.stringValue, root: object["root"] ?? .object([:]))
    }

    /// ISO 8601 with milliseconds, as the store keeps times: a date survives the trip.
    nonisolated(unsafe) static let timeFormatter: ISO8601DateFormatter = {
        // Formatting and parsing with a configured ISO8601DateFormatter is thread-safe.
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }()

    /// The model as one JSON object, dates as ISO 8601 text: what versions store and diffs compare.
    public var json: JSONValue {
        .object([
            "subscription_id": .string(subscriptionID.uuidString.lowercased()),
            "product_name": .string(productName),
            "customer_id": .string(customerID),
            "description": .string(description),
            "status": .string(status.rawValue),
            "insync": .bool(insync),
            "start_date": startDate.map { .string(UTCTimeText.text($0)) } ?? .null,
            "end_date": endDate.map { .string(UTCTimeText.text($0)) } ?? .null,
            "note": note.map(JSONValue.string) ?? .null,
            "root": root,
        ])
    }
}

/// A subscription with its typed root block.
public struct Subscription<Root: ProductBlock>: Sendable, Hashable {
    public var model: SubscriptionModel
    public var root: Root

    public init(_ model: SubscriptionModel) throws {
        self.model = model
        do {
            root = try model.root.decode(Root.self)
        } catch {
            throw WorkflowError(.invalidModel, "subscription \(model.subscriptionID) does not hold a \(Root.blockName): \(error)")
        }
    }

    public var subscriptionID: UUID { model.subscriptionID }
    public var status: Lifecycle {
        get { model.status }
        set { model.status = newValue }
    }

    /// The model with the typed root written back into it.
    public func encoded() throws -> SubscriptionModel {
        var model = model
        model.root = try JSONValue(encoding: root)
        return model
    }
}

/// One field that changed between two versions of a subscription.
public struct FieldChange: Sendable, Hashable, Codable {
    public var path: String
    public var before: JSONValue?
    public var after: JSONValue?

    public init(path: String, before: JSONValue?, after: JSONValue?) {
        self.path = path
        self.before = before
        self.after = after
    }

    /// Field-by-field differences between two JSON values, by path (`root.members[1].port.port_name`).
    public static func diff(_ before: JSONValue?, _ after: JSONValue?, path: String = "") -> [FieldChange] {
        switch (before, after) {
        case (.object(let old)?, .object(let new)?):
            return Set(old.keys).union(new.keys).sorted().flatMap { key in
                diff(old[key], new[key], path: path.isEmpty ? key : "\(path).\(key)")
            }
        case (.array(let old)?, .array(let new)?) where old.count == new.count:
            return old.indices.flatMap { diff(old[$0], new[$0], path: "\(path)[\($0)]") }
        default:
            return before == after ? [] : [FieldChange(path: path, before: before, after: after)]
        }
    }
}
