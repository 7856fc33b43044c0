import ArgumentParser
import Foundation
import Persistence
import WorkflowEngine

/// `wf hook add|list|remove|deliveries`: outgoing webhooks, fed from the event log.
struct HookCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hook", abstract: "Send events to other systems: outgoing webhooks, delivered by every running wf serve and wf worker.",
        discussion: """
            Each event is POSTed as JSON, at least once and in order, with the headers X-WF-Event (its name), X-WF-Delivery and \
            Idempotency-Key (the same on every retry: drop repeats by it) and X-WF-Signature: sha256=<hex HMAC-SHA256 of the body \
            with the hook's secret>. Only a 2xx answer counts; a failure is retried after 1, 2, 4 … seconds, at most 5 minutes \
            apart, and nothing after it goes out before it. Events: \(HookEvent.allCases.map(\.rawValue).joined(separator: ", ")).
            """,
        subcommands: [Add.self, List.self, Remove.self, Deliveries.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a hook: it receives the events that happen from now on.",
            discussion: "Example: wf hook add https://chat.example.net/wf --events process.completed,process.failed,subscription.changed")

        @Argument(help: "The receiver's URL (http or https).") var url: String
        @Option(name: .long, help: "Comma-separated event names, or * for all.") var events: String
        @Option(name: .long, help: "The signing secret (default: a new random one, printed once).") var secret: String?
        @OptionGroup var actor: ActorOptions
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await runCommand {
                guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme?.lowercased() ?? ""), parsed.host?.isEmpty == false
                else { throw CLIError("'\(url)' is not an http or https URL with a host", code: 64) }
                let names: [HookEvent]
                do { names = try HookEvent.parseList(events) } catch let error as WorkflowError {
                    throw CLIError("--events: \(error.message)", code: 64)
                }
                if let secret, secret.count < 16 { throw CLIError("--secret must be at least 16 characters, to be worth signing with", code: 64) }
                let runtime = try await Runtime.open(database)
                let hook = try await runtime.store.addHook(
                    Hook(
                        id: UUID(), url: url, events: names, secret: secret ?? TokenSecret.generate(prefix: "wfh_"), createdBy: actor.resolvedUser,
                        createdAt: Date(), cursor: 0))
                if output.json {
                    HookView.json(hook, showSecret: secret == nil).printJSON()
                    return 0
                }
                print("added hook \(HookView.shortID(hook.id)) → \(hook.url) for \(hook.events.map(\.rawValue).joined(separator: ", "))")
                if secret == nil {
                    print("secret: \(hook.secret)")
                    print("This is the only time the secret is shown. Check X-WF-Signature with it.")
                }
                return 0
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the hooks with where each is in the event log (never a secret).")

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await runCommand {
                let runtime = try await Runtime.open(database)
                let hooks = try await runtime.store.hooks()
                if output.json {
                    JSONValue.array(hooks.map { HookView.json($0, showSecret: false) }).printJSON()
                    return 0
                }
                guard !hooks.isEmpty else {
                    print("no hooks; add one with `wf hook add URL --events process.completed,process.failed`")
                    return 0
                }
                let latest = try await runtime.store.lastEventID()
                print(
                    Rendering.table(
                        ["ID", "URL", "EVENTS", "BEHIND", "STATE"],
                        hooks.map { hook in
                            [
                                HookView.shortID(hook.id), hook.url, hook.events.map(\.rawValue).joined(separator: ","),
                                "\(max(0, latest - hook.cursor)) events", HookView.state(hook),
                            ]
                        }))
                return 0
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a hook and its delivery history.")

        @Argument(help: "The hook id, or a unique prefix of it.") var hook: String
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            try await runCommand {
                let runtime = try await Runtime.open(database)
                let id = try await HookView.resolve(hook, in: runtime.store)
                guard try await runtime.store.removeHook(id) else { throw HookView.notFound(hook) }
                print("removed hook \(HookView.shortID(id))")
                return 0
            }
        }
    }

    struct Deliveries: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the latest delivery attempts, newest first: status, error, time taken.")

        @Argument(help: "A hook id or prefix (default: every hook).") var hook: String?
        @Option(name: .long, help: "How many attempts to show.") var limit = 50
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await runCommand {
                let runtime = try await Runtime.open(database)
                var id: UUID?
                if let hook { id = try await HookView.resolve(hook, in: runtime.store) }
                let deliveries = try await runtime.store.hookDeliveries(of: id, limit: max(1, limit))
                if output.json {
                    JSONValue.array(deliveries.map(HookView.json)).printJSON()
                    return 0
                }
                guard !deliveries.isEmpty else {
                    print("no deliveries yet")
                    return 0
                }
                print(
                    Rendering.table(
                        ["AT", "HOOK", "EVENT ID", "EVENT", "ATTEMPT", "RESULT", "TIME"],
                        deliveries.map { delivery in
                            [
                                Rendering.shortTime(delivery.at), HookView.shortID(delivery.hookID), "\(delivery.eventID)", delivery.event,
                                "\(delivery.attempt)",
                                delivery.status.map { "HTTP \($0)" } ?? "failed: \((delivery.error ?? "no answer").clipped(80))",
                                "\(delivery.durationMilliseconds) ms",
                            ]
                        }))
                return 0
            }
        }
    }
}

enum HookView {
    static func shortID(_ id: UUID) -> String { String(id.uuidString.lowercased().prefix(8)) }

    static func notFound(_ text: String) -> WorkflowError {
        WorkflowError(.hookNotFound, "no hook id starts with '\(text)' (see `wf hook list`)")
    }

    static func resolve(_ text: String, in store: any WorkflowStore) async throws -> UUID {
        guard !text.isEmpty, text.allSatisfy({ $0.isHexDigit || $0 == "-" }) else {
            throw WorkflowError(.hookNotFound, "'\(text)' is not a hook id or a prefix of one (see `wf hook list`)")
        }
        let ids = try await store.hookIDs(withPrefix: text)
        guard ids.count <= 1 else {
            throw WorkflowError(.hookNotFound, "'\(text)' matches several hooks: \(ids.map(shortID).joined(separator: ", ")); give more characters")
        }
        guard let id = ids.first else { throw notFound(text) }
        return id
    }

    static func state(_ hook: Hook) -> String {
        guard hook.failures > 0 else { return "delivering" }
        let retry = hook.nextAttemptAt.map { ", next try \(Rendering.shortTime($0))" } ?? ""
        return "failing (\(hook.failures) attempts: \(hook.lastError ?? "?")\(retry))"
    }

    static func json(_ hook: Hook, showSecret: Bool) -> JSONValue {
        var object: [String: JSONValue] = [
            "hook_id": .string(hook.id.uuidString.lowercased()),
            "url": .string(hook.url),
            "events": .array(hook.events.map { .string($0.rawValue) }),
            "created_by": .string(hook.createdBy),
            "created_at": Rendering.timestamp(hook.createdAt),
            "cursor": .int(Int(hook.cursor)),
            "failures": .int(hook.failures),
            "next_attempt_at": Rendering.timestamp(hook.nextAttemptAt),
            "last_error": hook.lastError.map(JSONValue.string) ?? .null,
        ]
        if showSecret { object["secret"] = .string(hook.secret) }
        return .object(object)
    }

    static func json(_ delivery: HookDelivery) -> JSONValue {
        .object([
            "hook_id": .string(delivery.hookID.uuidString.lowercased()),
            "event_id": .int(Int(delivery.eventID)),
            "event": .string(delivery.event),
            "attempt": .int(delivery.attempt),
            "at": Rendering.timestamp(delivery.at),
            "status": delivery.status.map(JSONValue.int) ?? .null,
            "error": delivery.error.map(JSONValue.string) ?? .null,
            "duration_ms": .int(delivery.durationMilliseconds),
        ])
    }
}
