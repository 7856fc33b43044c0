import Foundation
import PostgresNIO
import WorkflowEngine

extension PostgresStore: SubscriptionStore {
    public func saveSubscription(_ write: SubscriptionWrite, user: String, now: Date) async throws {
        try await transaction { tx in
            let version = try await self.save(write, processID: nil, step: nil, user: user, now: now, tx)
            try await Self.insert(version.map { [$0] } ?? [], channel: self.eventChannel, tx)
        }
    }

    public func subscription(_ id: UUID) async throws -> SubscriptionModel? {
        try await snapshot { tx in
            guard var model = try await Self.loadSubscription(id, tx) else { return nil }
            // A held subscription is never shown in sync: its holder may be changing it.
            let holder = try await tx.rows("SELECT locked_by FROM subscriptions WHERE subscription_id = \(id)").first
            if try holder?["locked_by"].decode(UUID?.self) != nil { model.insync = false }
            return model
        }
    }

    public func subscription(_ id: UUID, at time: Date) async throws -> SubscriptionModel? {
        try await rows(
            """
            SELECT model::text AS model FROM subscription_versions WHERE subscription_id = \(id) AND created_at <= \(time.milliseconds)
            ORDER BY version DESC LIMIT 1
            """
        ).first.map { try SubscriptionModel(json: try JSONValue.parse(try $0.string("model"))) }
    }

    public func subscriptions(_ filter: SubscriptionFilter) async throws -> [SubscriptionSummary] {
        var conditions: [String] = []
        var binds = PostgresBindings()
        func bind<Value: PostgresThrowingDynamicTypeEncodable>(_ value: Value) throws -> String {
            try binds.append(value)
            return "$\(binds.count)"
        }
        if let id = filter.id {
            conditions.append("s.subscription_id = \(try bind(id))")
        }
        if let product = filter.product {
            let name = try bind(product)
            conditions.append("(p.name = \(name) OR p.product_type = \(name))")
        }
        if !filter.statuses.isEmpty {
            conditions.append("s.status = ANY(\(try bind(filter.statuses.map(\.rawValue).sorted())))")
        }
        if let (field, value) = filter.whereValue {
            conditions.append(
                """
                s.subscription_id IN (SELECT i.subscription_id FROM subscription_instances i
                    JOIN subscription_instance_values v ON v.subscription_instance_id = i.subscription_instance_id
                    JOIN resource_types r ON r.resource_type_id = v.resource_type_id
                    WHERE r.resource_type = \(try bind(field)) AND v.value = \(try bind(value)))
                """)
        }
        if let (field, values) = filter.whereAnyValue {
            conditions.append(
                """
                s.subscription_id IN (SELECT i.subscription_id FROM subscription_instances i
                    JOIN subscription_instance_values v ON v.subscription_instance_id = i.subscription_instance_id
                    JOIN resource_types r ON r.resource_type_id = v.resource_type_id
                    WHERE r.resource_type = \(try bind(field)) AND v.value = ANY(\(try bind(values))))
                """)
        }
        if let text = filter.text?.trimmingCharacters(in: .whitespaces), !text.isEmpty {
            let words = try bind(text.lowercased())
            conditions.append(
                "(strpos(lower(s.description), \(words)) > 0 OR strpos(lower(s.customer_id), \(words)) > 0 OR s.subscription_id::text LIKE \(try bind(text.lowercased() + "%")))"
            )
        }
        if let insync = filter.insync {
            conditions.append("s.insync = \(try bind(insync))")
        }
        if let customer = filter.customer {
            conditions.append("s.customer_id = \(try bind(customer))")
        }
        let whereClause = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        // COLLATE "C": byte order, as SQLite sorts, whatever the database's locale.
        let sql =
            Self.selectSummary + whereClause + " ORDER BY \(filter.orderClause(collate: " COLLATE \"C\"")) LIMIT \(try bind(filter.limit))"
            + " OFFSET \(try bind(filter.offset))"
        return try await rows(PostgresQuery(unsafeSQL: sql, binds: binds)).map(Self.summary)
    }

    public func subscriptionIDs(withPrefix prefix: String, limit: Int) async throws -> [UUID] {
        try await rows(
            """
            SELECT subscription_id FROM subscriptions WHERE subscription_id::text LIKE \(prefix.lowercased() + "%")
            ORDER BY subscription_id LIMIT \(limit)
            """
        ).map { try $0["subscription_id"].decode(UUID.self) }
    }

    public func changeStamp(of products: [String]?) async throws -> Int {
        // One row per connection and product that changed a subscription (migration 0015);
        // the rows of connections that have ended are folded into shard 0 once there are
        // many, in one statement, so no sum ever moves back.
        let sum: PostgresQuery =
            if let products {
                """
                SELECT coalesce(sum(c.n), 0)::bigint AS n, (SELECT count(*) FROM subscription_change_counts)::bigint AS shards
                FROM subscription_change_counts c JOIN products p ON p.product_id = c.product_id
                WHERE p.name = ANY(\(products)) OR p.product_type = ANY(\(products))
                """
            } else {
                "SELECT coalesce(sum(n), 0)::bigint AS n, count(*)::bigint AS shards FROM subscription_change_counts"
            }
        guard let row = try await rows(sum).first else { return 0 }
        if try row["shards"].decode(Int64.self) > Self.changeShardsKept {
            try await rows(
                """
                WITH ended AS (
                    DELETE FROM subscription_change_counts
                    WHERE shard <> 0 AND shard NOT IN (SELECT pid FROM pg_stat_activity WHERE pid IS NOT NULL)
                    RETURNING product_id, n
                )
                INSERT INTO subscription_change_counts AS c (product_id, shard, n)
                SELECT product_id, 0, sum(n) FROM ended GROUP BY product_id ORDER BY product_id
                ON CONFLICT (product_id, shard) DO UPDATE SET n = c.n + excluded.n
                """)
        }
        return Int(try row["n"].decode(Int64.self))
    }

    /// How many rows of `subscription_change_counts` a stamp reads before folding the ended ones.
    static let changeShardsKept: Int64 = 256

    public func versions(of id: UUID) async throws -> [SubscriptionVersion] {
        try await rows(
            """
            SELECT version, process_id, step_name, created_by, created_at, model::text AS model, diff::text AS diff
            FROM subscription_versions WHERE subscription_id = \(id) ORDER BY version
            """
        ).map { row in
            SubscriptionVersion(
                subscriptionID: id, version: try row["version"].decode(Int.self),
                processID: try row["process_id"].decode(UUID?.self).map(ProcessID.init),
                step: try row.optionalString("step_name").map { StepKey($0) },
                user: try row.string("created_by"), time: try row.date("created_at"),
                changes: try JSONValue.parse(try row.string("diff")).decode([FieldChange].self),
                model: try SubscriptionModel(json: try JSONValue.parse(try row.string("model"))))
        }
    }

    /// Oldest first. SQLite breaks ties by insertion order (rowid); this table has no such
    /// column, so events of one millisecond come in the order of their text.
    public func events(of id: UUID) async throws -> [SubscriptionEvent] {
        try await rows(
            """
            SELECT event, created_by, created_at, detail FROM subscription_events WHERE subscription_id = \(id)
            ORDER BY created_at, event COLLATE "C", detail COLLATE "C", created_by COLLATE "C"
            """
        ).map { row in
            SubscriptionEvent(
                subscriptionID: id, event: try row.string("event"), user: try row.string("created_by"), time: try row.date("created_at"),
                detail: try row.string("detail"))
        }
    }

    /// Oldest first; processes linked in the same millisecond come in id order (SQLite: insertion order).
    public func processes(of id: UUID) async throws -> [ProcessID] {
        try await rows("SELECT process_id FROM processes_subscriptions WHERE subscription_id = \(id) ORDER BY created_at, process_id")
            .map { ProcessID(try $0["process_id"].decode(UUID.self)) }
    }

    public func usedBy(_ id: UUID) async throws -> [SubscriptionSummary] {
        try await rows(Self.usersQuery(of: id)).map(Self.summary)
    }

    public func forceUnlock(_ id: UUID, user: String, reason: String, now: Date) async throws -> ProcessID? {
        try await transaction { tx -> ProcessID? in
            // FOR UPDATE: the holder named in the event is the one released, not one that
            // finished (or took the lock) between this read and the update.
            guard let row = try await tx.rows("SELECT locked_by FROM subscriptions WHERE subscription_id = \(id) FOR UPDATE").first else {
                throw WorkflowError(.subscriptionNotFound, "subscription \(id.uuidString.lowercased()) does not exist")
            }
            let holder = try row["locked_by"].decode(UUID?.self).map(ProcessID.init)
            let unlocked = try await tx.rows("UPDATE subscriptions SET locked_by = NULL WHERE subscription_id = \(id) RETURNING insync")
            let insync = try unlocked.first?["insync"].decode(Bool.self) ?? false
            try await Self.insert(
                [.subscriptionChange("force_unlock", of: id, insync: insync, user: user, at: now)], channel: self.eventChannel, tx)
            let detail = "lock of process \(holder?.description ?? "none") released: \(reason)"
            try await tx.rows(
                """
                INSERT INTO subscription_events (subscription_id, event, created_by, created_at, detail)
                VALUES (\(id), 'force_unlock', \(user), \(now.milliseconds), \(detail))
                """)
            return holder
        }
    }

    public func setInSync(_ id: UUID, user: String, reason: String, now: Date) async throws {
        try await transaction { tx in
            let key = id.uuidString.lowercased()
            guard let row = try await tx.rows("SELECT locked_by, status FROM subscriptions WHERE subscription_id = \(id) FOR UPDATE").first else {
                throw WorkflowError(.subscriptionNotFound, "subscription \(key) does not exist")
            }
            if let holder = try row["locked_by"].decode(UUID?.self) { throw try await Self.locked(key, by: ProcessID(holder), tx) }
            if try row.string("status") == Lifecycle.terminated.rawValue {
                throw WorkflowError(.invalidLifecycle, "subscription \(key) is terminated")
            }
            try await tx.rows("UPDATE subscriptions SET insync = true WHERE subscription_id = \(id)")
            try await tx.rows(
                """
                INSERT INTO subscription_events (subscription_id, event, created_by, created_at, detail)
                VALUES (\(id), \(SubscriptionEvent.setInSync), \(user), \(now.milliseconds), \("set in sync: " + reason))
                """)
            try await Self.insert(
                [.subscriptionChange(SubscriptionEvent.setInSync, of: id, insync: true, user: user, at: now)], channel: self.eventChannel, tx)
        }
    }

    /// Runs `body` in a read-only transaction that sees one snapshot, as a SQLite read does:
    /// a model is read with several statements, and a save committed between two of them
    /// must not tear it.
    private func snapshot<Result: Sendable>(_ body: @escaping @Sendable (PostgresTransaction) async throws -> Result) async throws -> Result {
        try await transaction { tx in
            try await tx.rows("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            return try await body(tx)
        }
    }

    // MARK: - Inside transactions

    static let selectSummary = """
        SELECT s.subscription_id, p.name AS product_name, s.customer_id, s.description, s.status, s.insync, s.locked_by
        FROM subscriptions s JOIN products p ON p.product_id = s.product_id
        """

    static func summary(_ row: PostgresRandomAccessRow) throws -> SubscriptionSummary {
        let id = try row["subscription_id"].decode(UUID.self)
        let status = try row.string("status")
        let lockedBy = try row["locked_by"].decode(UUID?.self)
        guard let lifecycle = Lifecycle(rawValue: status) else {
            throw PersistenceError(.corruptRow, "subscription \(id.uuidString.lowercased()) has a malformed id or status '\(status)'")
        }
        return SubscriptionSummary(
            subscriptionID: id, productName: try row.string("product_name"), customerID: try row.string("customer_id"),
            // A held subscription is never shown in sync: its holder may be changing it.
            description: try row.string("description"), status: lifecycle, insync: try row["insync"].decode(Bool.self) && lockedBy == nil,
            lockedBy: lockedBy.map(ProcessID.init))
    }

    /// The live subscriptions with a block that points into one of `subscription`'s blocks.
    static func usersQuery(of subscription: UUID) -> PostgresQuery {
        """
        \(unescaped: selectSummary)
        WHERE s.status != 'terminated' AND s.subscription_id != \(subscription) AND s.subscription_id IN (
            SELECT parent.subscription_id FROM subscription_instance_relations r
            JOIN subscription_instances parent ON parent.subscription_instance_id = r.in_use_by_id
            JOIN subscription_instances child ON child.subscription_instance_id = r.depends_on_id
            WHERE child.subscription_id = \(subscription))
        ORDER BY s.description COLLATE "C"
        """
    }

    /// Takes the locks a new process asks for, or throws naming who holds (or uses) the subscription.
    static func takeLocks(_ locks: [SubscriptionLock], for processID: ProcessID, now: Date, _ tx: PostgresTransaction) async throws {
        guard !locks.isEmpty else { return }
        // Every row is locked first, in id order, so that two processes asking for overlapping
        // subscriptions in different orders wait for each other rather than deadlock. A row
        // locked FOR UPDATE reads as last committed: the loser of a race sees the winner's lock.
        var current: [UUID: (lockedBy: UUID?, status: String, insync: Bool)] = [:]
        for row in try await tx.rows(
            """
            SELECT subscription_id, locked_by, status, insync FROM subscriptions WHERE subscription_id = ANY(\(locks.map(\.subscriptionID)))
            ORDER BY subscription_id FOR UPDATE
            """)
        {
            current[try row["subscription_id"].decode(UUID.self)] = (
                try row["locked_by"].decode(UUID?.self), try row.string("status"), try row["insync"].decode(Bool.self)
            )
        }
        for lock in locks {
            let id = lock.subscriptionID
            let key = id.uuidString.lowercased()
            guard let row = current[id] else {
                throw WorkflowError(.subscriptionNotFound, "subscription \(key) does not exist")
            }
            if let holder = row.lockedBy.map(ProcessID.init) {
                throw try await locked(key, by: holder, tx)
            }
            if row.status == Lifecycle.terminated.rawValue {
                throw WorkflowError(.invalidLifecycle, "subscription \(key) is terminated")
            }
            if !lock.sync.allows(insync: row.insync, status: Lifecycle(rawValue: row.status) ?? .active) {
                throw StoreShared.outOfSync(key, status: row.status)
            }
            if lock.refuseIfInUse {
                let users = try await tx.rows(usersQuery(of: id)).map(summary)
                if !users.isEmpty {
                    throw StoreShared.inUse(key, by: users)
                }
            }
            try await tx.rows(
                "UPDATE subscriptions SET locked_by = \(processID.uuid), insync = false WHERE subscription_id = \(id) AND locked_by IS NULL")
            current[id]?.lockedBy = processID.uuid
            try await link(processID, id, now: now, tx)
        }
    }

    /// The refusal naming `holder`, the process that holds subscription `key`.
    static func locked(_ key: String, by holder: ProcessID, _ tx: PostgresTransaction) async throws -> WorkflowError {
        let detail = try await tx.rows(
            """
            SELECT w.name, p.created_by, p.last_status FROM processes p JOIN workflows w ON w.workflow_id = p.workflow_id
            WHERE p.process_id = \(holder.uuid)
            """
        ).first
        return StoreShared.locked(
            key, by: holder.description,
            holding: try detail.map { (workflow: try $0.string("name"), user: try $0.string("created_by"), status: try $0.string("last_status")) })
    }

    /// Makes `processID` the holder of subscription `id` when nobody holds it (a create's
    /// first save), or throws naming the process that does. A process saves only what it holds.
    static func hold(_ id: UUID, for processID: ProcessID, _ tx: PostgresTransaction) async throws {
        // The row is locked by the save's upsert, so the holder read here stays the holder.
        let row = try await tx.rows(
            """
            UPDATE subscriptions SET locked_by = COALESCE(locked_by, \(processID.uuid)) WHERE subscription_id = \(id) RETURNING locked_by
            """
        ).first
        if let holder = try row?["locked_by"].decode(UUID?.self), holder != processID.uuid {
            throw try await locked(id.uuidString.lowercased(), by: ProcessID(holder), tx)
        }
    }

    /// Releases every lock `processID` holds; a completed process leaves its subscriptions in sync.
    static func releaseLocks(of processID: ProcessID, completed: Bool, _ tx: PostgresTransaction) async throws {
        try await tx.rows(
            "UPDATE subscriptions SET locked_by = NULL, insync = CASE WHEN \(completed) THEN true ELSE insync END WHERE locked_by = \(processID.uuid)"
        )
    }

    static func link(_ processID: ProcessID, _ subscription: UUID, now: Date, _ tx: PostgresTransaction) async throws {
        try await tx.rows(
            """
            INSERT INTO processes_subscriptions (process_id, subscription_id, created_at) VALUES (\(processID.uuid), \(subscription), \(now.milliseconds))
            ON CONFLICT DO NOTHING
            """)
    }
}
