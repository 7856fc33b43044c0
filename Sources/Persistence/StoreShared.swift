import Foundation
import WorkflowEngine

/// What the SQLite and PostgreSQL stores share beyond their SQL.
enum StoreShared {
    /// How a block's value is kept in `subscription_instance_values`: the text plain SQL
    /// compares, and the type that gives it back.
    static func encode(_ value: JSONValue) -> (text: String?, type: String) {
        switch value {
        case .null: (nil, "null")
        case .string(let string): (string, "string")
        case .int(let number): (String(number), "int")
        case .double(let number): (String(number), "double")
        case .bool(let flag): (flag ? "true" : "false", "bool")
        case .array, .object: (value.jsonText, "json")
        }
    }

    /// The value `encode` wrote. A text its type cannot read back, or a type no `encode`
    /// writes, is a corrupt row, named with `field`: never a silent 0 or null.
    static func decode(text: String?, type: String, field: String) throws -> JSONValue {
        func corrupt(_ what: String) -> PersistenceError {
            PersistenceError(.corruptRow, "the stored value of \(field) \(what)")
        }
        let shown = text.map { "'\($0)'" } ?? "NULL"
        switch type {
        case "null", "empty_list":
            return .null
        case "string":
            guard let text else { throw corrupt("is NULL, not a string") }
            return .string(text)
        case "int":
            guard let number = text.flatMap({ Int($0) }) else { throw corrupt("is \(shown), not an integer") }
            return .int(number)
        case "double":
            guard let number = text.flatMap({ Double($0) }) else { throw corrupt("is \(shown), not a number") }
            return .double(number)
        case "bool":
            guard text == "true" || text == "false" else { throw corrupt("is \(shown), not true or false") }
            return .bool(text == "true")
        case "json":
            guard let text, let value = try? JSONValue.parse(text) else { throw corrupt("is \(shown), not JSON") }
            return value
        default:
            throw corrupt("has the unknown value type '\(type)'")
        }
    }

    /// A process refused because another holds the subscription's lock; `holding` is that
    /// process's workflow, starter and status when known.
    static func locked(_ key: String, by holder: String, holding: (workflow: String, user: String, status: String)?) -> WorkflowError {
        WorkflowError(.subscriptionLocked, "subscription \(key) is " + SubscriptionRefusal.held(key, by: holder, holding: holding))
    }

    /// A modify or terminate refused because the subscription is out of sync (an aborted or
    /// failed process left it so, or a validate found drift).
    static func outOfSync(_ key: String, status: String) -> WorkflowError {
        WorkflowError(.subscriptionOutOfSync, "subscription \(key) is " + SubscriptionRefusal.outOfSync(key, status: status))
    }

    /// A terminate refused because other subscriptions use this one.
    static func inUse(_ key: String, by users: [SubscriptionSummary]) -> WorkflowError {
        WorkflowError(
            .subscriptionInUse,
            "subscription \(key) is in use by "
                + users.map { "\($0.subscriptionID.uuidString.lowercased().prefix(8)) (\($0.description), \($0.status))" }
                .joined(separator: ", ") + "; terminate those first")
    }

    /// The workflows whose row is missing or differs from the code.
    static func changed(_ workflows: [WorkflowDefinition], stored: [WorkflowRow]) -> [WorkflowDefinition] {
        let rows = Dictionary(uniqueKeysWithValues: stored.map { ($0.name, $0) })
        return workflows.filter { workflow in
            guard let row = rows[workflow.name] else { return true }
            return row.target != workflow.target || row.description != workflow.description
        }
    }

    /// Each bundled migration against what `schema_migrations` says was applied.
    /// Versions applied that this build does not know (a newer `wf` migrated) come last, as `unknown`.
    static func status(of migrations: [Migration], applied: [String: (checksum: String, appliedAt: Date)]) -> [MigrationStatus] {
        let known = Set(migrations.map(\.version))
        let newer = applied.filter { !known.contains($0.key) }.sorted { $0.key < $1.key }.map { version, row in
            MigrationStatus(version: version, name: "?", state: .unknown, appliedAt: row.appliedAt)
        }
        return migrations.map { migration in
            guard let row = applied[migration.version] else {
                return MigrationStatus(version: migration.version, name: migration.name, state: .pending, appliedAt: nil)
            }
            return MigrationStatus(
                version: migration.version, name: migration.name, state: row.checksum == migration.checksum ? .applied : .modified,
                appliedAt: row.appliedAt)
        } + newer
    }
}
