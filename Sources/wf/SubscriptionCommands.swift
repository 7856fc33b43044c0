import ArgumentParser
import Foundation
import Persistence
import WorkflowEngine

struct ProductsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "products", abstract: "List the products and their fixed inputs.")
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await runCommand {
            let runtime = try await Runtime.open(database)
            let rows = try await runtime.store.productRows()
            if output.json {
                JSONValue.array(rows.map { ResourceJSON.product($0, engine: runtime.engine) }).printJSON()
                return 0
            }
            print(
                Rendering.table(
                    ["PRODUCT", "TYPE", "FIXED INPUTS", "SUBSCRIPTIONS", "DESCRIPTION"],
                    rows.map { row in
                        [
                            row.name, row.type, row.fixedInputs.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","),
                            String(row.subscriptionCount), row.description,
                        ]
                    }))
            return 0
        }
    }
}

struct SubscriptionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "subscriptions", abstract: "List subscriptions.")
    @Option(name: .long, help: "Only this product (name or type, e.g. Node or \"Circuit 10G\").") var product: String?
    @Option(name: .long, help: "Only this lifecycle status; repeatable.") var status: [String] = []
    @Option(name: .long, help: "Only subscriptions with a block value field=value, e.g. node_name=loc1-core.") var `where`: String?
    @Option(name: .long, help: "At most this many.") var limit = 100
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        for value in status where Lifecycle(rawValue: value) == nil {
            throw ValidationError("unknown status '\(value)'; one of: \(Lifecycle.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let condition = `where`, !condition.contains("=") { throw ValidationError("--where takes field=value, got '\(condition)'") }
        guard limit > 0 else { throw ValidationError("--limit must be at least 1") }
    }

    func run() async throws {
        try await runCommand {
            let runtime = try await Runtime.open(database)
            let condition = `where`.map { text -> (field: String, value: String) in
                let parts = text.split(separator: "=", maxSplits: 1)
                return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
            }
            let rows = try await runtime.store.subscriptions(
                SubscriptionFilter(product: product, statuses: Set(status.compactMap(Lifecycle.init)), whereValue: condition, limit: limit))
            if output.json {
                JSONValue.array(rows.map(SubscriptionView.summary)).printJSON()
                return 0
            }
            guard !rows.isEmpty else {
                print("no subscriptions")
                return 0
            }
            print(
                Rendering.table(
                    ["SUBSCRIPTION", "PRODUCT", "STATUS", "INSYNC", "LOCKED BY", "DESCRIPTION"],
                    rows.map { row in
                        [
                            String(row.subscriptionID.uuidString.lowercased().prefix(8)), row.productName, row.status.rawValue,
                            row.insync ? "yes" : "no", row.lockedBy.map { String($0.description.prefix(8)) } ?? "-", row.description,
                        ]
                    }))
            return 0
        }
    }
}

struct SubscriptionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "subscription", abstract: "Inspect one subscription, its history, or force its lock open.",
        subcommands: [Show.self, History.self, Unlock.self, SetInSync.self])

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a subscription's model tree, as it is or as it was at a time.")
        @Argument(help: "The subscription id, or a unique prefix of it.") var subscription: String
        @Option(name: .long, help: "Show it as it was at this time: ISO 8601, YYYY-MM-DD HH:MM:SS in UTC, or relative (yesterday, 2h, 7d).") var at:
            String?
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await runCommand {
                let runtime = try await Runtime.open(database)
                let id = try await runtime.subscriptionID(subscription)
                let time = try at.map(SubscriptionView.parseTime)
                guard let records = try await runtime.store.subscriptionRecords(id, at: time) else {
                    let when = time.map { "did not exist yet at \(Rendering.shortTime($0))" } ?? "does not exist"
                    throw CLIError("subscription \(id.uuidString.lowercased()) \(when)")
                }
                if output.json {
                    ResourceJSON.subscription(records, at: time).printJSON()
                    return 0
                }
                SubscriptionView.printModel(
                    records.model, lockedBy: time == nil ? records.lockedBy : nil, usedBy: time == nil ? records.usedBy : [], at: time)
                return 0
            }
        }
    }

    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Everything that touched a subscription, in time order: processes, who ran them, their inputs, and the field changes.")
        @Argument(help: "The subscription id, or a unique prefix of it.") var subscription: String
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await runCommand {
                let runtime = try await Runtime.open(database)
                let id = try await runtime.subscriptionID(subscription)
                let entries = try await SubscriptionView.history(of: id, store: runtime.store)
                if output.json {
                    JSONValue.array(entries.map(\.json)).printJSON()
                    return 0
                }
                guard !entries.isEmpty else {
                    print("no history for \(id)")
                    return 0
                }
                for entry in entries { print(entry.text) }
                return 0
            }
        }
    }

    struct Unlock: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Release a subscription's lock whoever holds it (audited). For a process that will never finish.")
        @Argument(help: "The subscription id, or a unique prefix of it.") var subscription: String
        @Flag(name: .long, help: "Required: you know the holding process will not finish.") var force = false
        @Option(name: .long, help: "Why, for the audit trail.") var reason: String?
        @OptionGroup var actor: ActorOptions
        @OptionGroup var database: DatabaseOptions

        func validate() throws {
            guard force else { throw ValidationError("unlocking needs --force: it lets another workflow change the subscription") }
        }

        func run() async throws {
            try await runCommand {
                let runtime = try await Runtime.open(database)
                let id = try await runtime.subscriptionID(subscription)
                let holder = try await runtime.store.forceUnlock(
                    id, user: actor.resolvedUser, reason: reason ?? "forced by \(actor.resolvedUser)", now: Date())
                print(
                    holder.map { "released the lock of process \($0) on \(id.uuidString.lowercased())" }
                        ?? "subscription \(id.uuidString.lowercased()) was not locked; recorded anyway")
                return 0
            }
        }
    }

    struct SetInSync: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-in-sync",
            abstract: "Mark an out-of-sync subscription in sync once it was repaired or checked by hand (audited).",
            discussion:
                "Confirms, too, the changes aborted processes left in it (shown first), which keep validate from marking it in sync. "
                + "Refused while a process holds the subscription.")
        @Argument(help: "The subscription id, or a unique prefix of it.") var subscription: String
        @Option(name: .long, help: "Required: what was repaired or checked, for the audit trail.") var reason: String
        @OptionGroup var actor: ActorOptions
        @OptionGroup var database: DatabaseOptions

        func validate() throws {
            guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw ValidationError("--reason must say what was repaired or checked")
            }
        }

        func run() async throws {
            try await runCommand {
                let runtime = try await Runtime.open(database)
                let id = try await runtime.subscriptionID(subscription)
                let unconfirmed = try await UnconfirmedChanges.find(id, subscriptions: runtime.store, processes: runtime.store)
                try await runtime.store.setInSync(id, user: actor.resolvedUser, reason: reason, now: Date())
                if !unconfirmed.isEmpty { print("confirmed as applied: \(unconfirmed.description)") }
                print("subscription \(id.uuidString.lowercased()) is in sync (recorded: \(actor.resolvedUser), \"\(reason)\")")
                return 0
            }
        }
    }
}

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Who did what, when: every step run and every operator action, oldest first.",
        discussion:
            "With --netbox TYPE:ID, instead every write the orchestrator's processes made to that NetBox object (from the NetBox ledger): "
            + "when, which process, workflow and step, who, and what changed.")
    @Option(name: .long, help: "Only what this user did.") var user: String?
    @Option(name: .long, help: "Only since this time: ISO 8601, YYYY-MM-DD HH:MM:SS in UTC, or relative (yesterday, 2h, 7d).") var since: String?
    @Option(name: .long, help: "Only this workflow.") var workflow: String?
    @Option(
        name: .long,
        help: "Instead, every write of the orchestrator to this NetBox object, as TYPE:ID (dcim.cable:12, dcim.device:3, ipam.ip-address:7).")
    var netbox: String?
    @Option(name: .long, help: "At most this many.") var limit = 200
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if let netbox { _ = try LedgerView.parseObjectRef(netbox) }
    }

    func run() async throws {
        try await runCommand {
            let runtime = try await Runtime.open(database)
            let sinceTime = try since.map(SubscriptionView.parseTime)
            if let netbox {
                let object = try LedgerView.parseObjectRef(netbox)
                let filter = AuditFilter(user: user, since: sinceTime, workflow: workflow, limit: limit)
                try await LedgerView.audit(object, filter: filter, store: runtime.store, json: output.json)
                return 0
            }
            let entries = try await runtime.store.audit(AuditFilter(user: user, since: sinceTime, workflow: workflow, limit: limit))
            if output.json {
                JSONValue.array(entries.map(ResourceJSON.audit)).printJSON()
                return 0
            }
            guard !entries.isEmpty else {
                let filters = [
                    user.map { "by \($0)" }, workflow.map { "in \($0)" }, sinceTime.map { "since \(Rendering.shortTime($0)) UTC" },
                ].compactMap { $0 }
                print("nothing recorded" + (filters.isEmpty ? "" : " " + filters.joined(separator: " ")))
                return 0
            }
            print(
                Rendering.table(
                    ["TIME", "USER", "WORKFLOW", "PROCESS", "ACTION", "STATUS", "SUBSCRIPTION VERSIONS"],
                    entries.map { entry in
                        [
                            Rendering.shortTime(entry.time), entry.user, entry.workflow ?? "-",
                            entry.processID.map { String($0.description.prefix(8)) } ?? "-", entry.action, entry.status,
                            entry.versions.map { String($0.prefix(8)) + ($0.split(separator: "#").last.map { "#\($0)" } ?? "") }
                                .joined(separator: ", "),
                        ]
                    }))
            return 0
        }
    }
}
