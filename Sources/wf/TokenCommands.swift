import ArgumentParser
import Foundation
import Persistence
import WorkflowEngine

/// `wf token create|list|revoke`: the tokens of the HTTP API (`wf serve`).
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Make, list and revoke the tokens of the HTTP API (wf serve).",
        discussion: """
            A token acts as its user, within its role: viewer reads; operator also starts, resumes, retries and aborts processes of \
            the workflows the token grants; admin also manages tokens, unlocks subscriptions and changes schedules. Only a hash of a \
            token's secret is stored: the secret is shown once, by `wf token create`.
            """,
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a token and print its secret, once.",
            discussion: "Example: wf token create --user alice --role operator --workflows 'create_*,modify_*' --expires 30d")

        @Option(name: .long, help: "The user the token acts as, recorded on everything done with it.") var user: String
        @Option(name: .long, help: "viewer, operator or admin.") var role: String
        @Option(
            name: .long,
            help: "Operator only: the workflows it may run, as comma-separated patterns where * is any run of characters (default: all).")
        var workflows: String?
        @Option(name: .long, help: "Expire after this long: minutes, hours or days, such as 90m, 12h or 30d (default: never).")
        var expires: String?
        @Option(name: .long, help: "Who makes the token, kept with it (default: $USER).") var by: String?
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        /// What the command line asks for, checked.
        struct Request {
            var user: String
            var role: AccessRole
            var patterns: [String]
            var lifetime: TimeInterval?
            var creator: String
        }

        func validate() throws {
            _ = try request()
        }

        func request() throws -> Request {
            if let problem = ActorOptions.problem(with: user) { throw ValidationError("--user \(problem)") }
            guard let accessRole = AccessRole(rawValue: role.lowercased()) else {
                throw ValidationError("unknown role '\(role)'; one of: \(AccessRole.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let patterns = try workflows.map(Self.patterns) ?? []
            if workflows != nil, accessRole != .operator {
                throw ValidationError(
                    "--workflows applies to --role operator only: a viewer runs no workflow and an admin runs every one")
            }
            let creator = by ?? Self.currentUser
            if let problem = ActorOptions.problem(with: creator) {
                throw ValidationError(by == nil ? "the user from $USER \(problem); pass --by NAME" : "--by \(problem)")
            }
            return Request(user: user, role: accessRole, patterns: patterns, lifetime: try expires.map(Self.lifetime), creator: creator)
        }

        func run() async throws {
            try await runCommand {
                let request = try request()
                let runtime = try await Runtime.open(database)
                try Self.requireKnown(request.patterns, among: runtime.engine.registry.workflows.map(\.name))
                let now = Date()
                let token = AccessToken(
                    id: UUID(), user: request.user, role: request.role, workflows: request.patterns, createdAt: now, createdBy: request.creator,
                    expiresAt: request.lifetime.map { now.addingTimeInterval($0) })
                let secret = TokenSecret.generate()
                try await runtime.store.createToken(token, secretHash: TokenSecret.hash(secret))
                if output.json {
                    guard case .object(var object) = TokenView.json(token, now: now) else { return 0 }
                    object["secret"] = .string(secret)
                    JSONValue.object(object).printJSON()
                    return 0
                }
                print("created token \(TokenView.shortID(token)) for \(token.user): \(TokenView.grant(token)), expires \(TokenView.expiry(token))")
                print("secret: \(secret)")
                print("This is the only time the secret is shown: it cannot be shown again. Send it as: Authorization: Bearer <secret>")
                return 0
            }
        }

        /// The patterns of `--workflows`, in the order given, without repeats.
        static func patterns(_ text: String) throws -> [String] {
            var patterns: [String] = []
            for item in text.split(separator: ",", omittingEmptySubsequences: false) {
                let pattern = item.trimmingCharacters(in: .whitespaces)
                guard !pattern.isEmpty else {
                    throw ValidationError("--workflows '\(text)' has an empty pattern; separate patterns with single commas")
                }
                if !patterns.contains(pattern) { patterns.append(pattern) }
            }
            return patterns
        }

        /// The longest `--expires`: a token should be renewed at least this often.
        static let longestLifetime: TimeInterval = 3650 * 86_400

        /// `--expires` in seconds: a positive count and a unit, `m`, `h` or `d`.
        static func lifetime(_ text: String) throws -> TimeInterval {
            let forms = "give minutes, hours or days, such as 90m, 12h or 30d"
            guard let match = text.trimmingCharacters(in: .whitespaces).lowercased().wholeMatch(of: /(\d{1,7})(m|h|d)/) else {
                throw ValidationError("--expires '\(text)' is not a duration; \(forms)")
            }
            let unit: TimeInterval =
                switch match.2 {
                case "m": 60
                case "h": 3600
                default: 86_400
                }
            let seconds = TimeInterval(Int(match.1) ?? 0) * unit
            guard seconds > 0 else { throw ValidationError("--expires '\(text)' is no time at all; \(forms)") }
            guard seconds <= longestLifetime else { throw ValidationError("--expires '\(text)' is longer than 3650d (ten years)") }
            return seconds
        }

        /// Refuses a pattern that matches none of `workflows`: a typo would otherwise grant
        /// nothing, silently.
        static func requireKnown(_ patterns: [String], among workflows: [WorkflowName]) throws {
            for pattern in patterns where !workflows.contains(where: { AccessToken.pattern(pattern, matches: $0) }) {
                throw CLIError(
                    "--workflows pattern '\(pattern)' matches no workflow; the workflows are: \(workflows.sorted().joined(separator: ", "))",
                    code: 64)
            }
        }

        /// `$USER`, as `--user` of the other commands defaults to it.
        private static var currentUser: String {
            let environment = ProcessInfo.processInfo.environment
            if let user = environment["USER"] ?? environment["LOGNAME"], !user.isEmpty { return user }
            return NSUserName()
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the tokens, newest first: user, role, workflows, lifetime and state (never a secret).")

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await runCommand {
                let runtime = try await Runtime.open(database)
                let tokens = try await runtime.store.tokens()
                let now = Date()
                if output.json {
                    JSONValue.array(tokens.map { TokenView.json($0, now: now) }).printJSON()
                    return 0
                }
                guard !tokens.isEmpty else {
                    print("no tokens; make one with `wf token create --user NAME --role viewer|operator|admin`")
                    return 0
                }
                print(
                    Rendering.table(
                        ["ID", "USER", "ROLE", "WORKFLOWS", "CREATED", "BY", "EXPIRES", "LAST USED", "STATE"],
                        tokens.map { token in
                            [
                                TokenView.shortID(token), token.user, token.role.rawValue, TokenView.workflows(token),
                                Rendering.shortTime(token.createdAt), token.createdBy, TokenView.expiry(token),
                                token.lastUsedAt.map(Rendering.shortTime) ?? "never", TokenView.state(token, now: now),
                            ]
                        }))
                return 0
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a token: requests with it are refused from now on. It stays listed, as revoked.")

        @Argument(help: "The token id, or a unique prefix of it (as `wf token list` shows).") var token: String
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard !token.isEmpty, token.allSatisfy({ $0.isHexDigit || $0 == "-" }) else {
                throw ValidationError("'\(token)' is not a token id or a prefix of one (see `wf token list`)")
            }
        }

        func run() async throws {
            try await runCommand {
                let runtime = try await Runtime.open(database)
                let id = try await resolve(in: runtime.store)
                let now = Date()
                let revoked = try await runtime.store.revokeToken(id, at: now)
                let current = try await runtime.store.tokens().first { $0.id == id }
                guard let current else { throw CLIError("no token has the id \(id.uuidString.lowercased()) (see `wf token list`)") }
                if output.json {
                    guard case .object(var object) = TokenView.json(current, now: now) else { return 0 }
                    object["revoked_now"] = .bool(revoked)
                    JSONValue.object(object).printJSON()
                    return 0
                }
                let at = current.revokedAt.map(Rendering.shortTime) ?? "-"
                print(
                    revoked
                        ? "revoked token \(TokenView.shortID(current)) of \(current.user) (\(current.role.rawValue)) at \(at)"
                        : "token \(TokenView.shortID(current)) of \(current.user) was revoked already, at \(at)")
                return 0
            }
        }

        /// The one token `token` names: its whole id, or the only id it starts.
        private func resolve(in store: any WorkflowStore) async throws -> UUID {
            if let id = UUID(uuidString: token) { return id }
            let matches = try await store.tokenIDs(withPrefix: token)
            switch matches.count {
            case 0: throw CLIError("no token id starts with '\(token)' (see `wf token list`)")
            case 1: return matches[0]
            default:
                throw CLIError(
                    "'\(token)' matches several tokens: \(matches.map { $0.uuidString.lowercased() }.joined(separator: ", ")); give more characters")
            }
        }
    }
}

/// How `wf token` shows a token: never its secret, which no token record holds.
enum TokenView {
    static func shortID(_ token: AccessToken) -> String {
        String(token.id.uuidString.lowercased().prefix(8))
    }

    /// `live`, `expired` or `revoked` at `now`.
    static func state(_ token: AccessToken, now: Date) -> String {
        if token.revokedAt != nil { return "revoked" }
        return token.isUsable(at: now) ? "live" : "expired"
    }

    /// The workflows the token may run: a viewer none, an admin all.
    static func workflows(_ token: AccessToken) -> String {
        switch token.role {
        case .viewer: "-"
        case .operator: token.workflows.isEmpty ? "all" : token.workflows.joined(separator: ",")
        case .admin: "all"
        }
    }

    /// The role, with the workflows an operator's token grants.
    static func grant(_ token: AccessToken) -> String {
        token.role == .operator ? "operator of workflows \(workflows(token))" : token.role.rawValue
    }

    static func expiry(_ token: AccessToken) -> String {
        token.expiresAt.map(Rendering.shortTime) ?? "never"
    }

    static func json(_ token: AccessToken, now: Date) -> JSONValue {
        .object([
            "id": .string(token.id.uuidString.lowercased()), "user": .string(token.user), "role": .string(token.role.rawValue),
            "workflows": .array(token.workflows.map(JSONValue.string)), "created_at": Rendering.timestamp(token.createdAt),
            "created_by": .string(token.createdBy), "expires_at": Rendering.timestamp(token.expiresAt),
            "revoked_at": Rendering.timestamp(token.revokedAt), "last_used_at": Rendering.timestamp(token.lastUsedAt),
            "state": .string(state(token, now: now)),
        ])
    }
}
