import Foundation
import Persistence
import Synchronization
import Testing
import WorkflowEngine

@testable import wf

/// The API is spec-first: `Sources/wf/Resources/openapi.json` is the contract. These tests
/// hold the server to it: every route the source registers is in the document and no other,
/// the served document is the checked-in one, and a real server answers every documented
/// operation (its errors too) with a status the document lists and a body its schema accepts.
@Suite(.tags(.cli), .serialized)
struct APISpecTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let documentFile = packageRoot.appendingPathComponent("Sources/wf/Resources/openapi.json")

    @Test func theDocumentIsOpenAPI31AndEveryErrorIsAProblemDocument() throws {
        let spec = try OpenAPISpec.load()
        let root = try #require(spec.document.objectValue)
        #expect(root["openapi"]?.stringValue?.hasPrefix("3.1.") == true)
        #expect(root["security"] == [["bearerAuth": []]])
        for (name, schema) in spec.schemas {
            #expect(SchemaValidator.unsupportedKeywords(in: schema).isEmpty, "schema \(name): \(SchemaValidator.unsupportedKeywords(in: schema))")
        }
        for key in spec.operations.sorted() {
            let operation = try #require(spec.operation(key))
            let isPublic = ["GET /api/health", "GET /api/openapi.json", "POST /api/webhooks/netbox"].contains(key)
            #expect((operation["security"] == []) == isPublic, "\(key): only health, the document and NetBox's signed webhook need no token")
            let responses = try #require(operation["responses"]?.objectValue, "\(key) has no responses")
            if !isPublic { #expect(responses["401"] != nil, "\(key) needs a token, so it answers 401") }
            for (status, reference) in responses {
                let response = try #require(spec.resolve(reference).objectValue)
                let media = response["content"]?.objectValue ?? [:]
                #expect(!media.isEmpty, "\(key) \(status) says nothing of its body")
                for schema in media.values.compactMap({ $0.objectValue?["schema"] }) {
                    #expect(SchemaValidator.unsupportedKeywords(in: schema).isEmpty, "\(key) \(status)")
                }
                // Health's 503 is its own report, not an error.
                if let code = Int(status), code >= 400, key != "GET /api/health" {
                    #expect(Array(media.keys) == ["application/problem+json"], "\(key) \(status) must be a problem document")
                }
            }
        }
    }

    /// Every `router.get/post(…)` in Sources/wf/Serve, read from the source, against the
    /// document's paths: a route added without its spec, or a spec without its route, fails.
    @Test func everyRouteInTheSourceIsInTheDocumentAndNoOther() throws {
        let spec = try OpenAPISpec.load()
        let directory = Self.packageRoot.appendingPathComponent("Sources/wf/Serve")
        var routes: Set<String> = []
        for file in try FileManager.default.contentsOfDirectory(atPath: directory.path) where file.hasSuffix(".swift") {
            let source = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            #expect(!source.contains(".group("), "\(file) groups routes: teach this test to read route groups")
            for match in source.matches(of: /router\.(get|post|put|patch|delete|head)\(\s*"([^"]+)"/) {
                let path = match.2.split(separator: "/", omittingEmptySubsequences: false).map { segment in
                    segment.hasPrefix(":") ? "{\(segment.dropFirst())}" : String(segment)
                }.joined(separator: "/")
                routes.insert("\(match.1.uppercased()) \(path)")
            }
        }
        #expect(routes.count >= 20, "found only \(routes.sorted())")
        #expect(routes.subtracting(spec.operations).sorted() == [], "routes the document lacks")
        #expect(spec.operations.subtracting(routes).sorted() == [], "documented operations no route serves")
    }

    /// Every query parameter the handlers read (`query.get("…")`) is documented for some
    /// operation: a parameter added in code without its spec fails.
    @Test func everyQueryParameterTheSourceReadsIsDocumented() throws {
        let spec = try OpenAPISpec.load()
        let directory = Self.packageRoot.appendingPathComponent("Sources/wf/Serve")
        var read: Set<String> = []
        for file in try FileManager.default.contentsOfDirectory(atPath: directory.path) where file.hasSuffix(".swift") {
            let source = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            for match in source.matches(of: /\.get(?:All)?\("([A-Za-z_-]+)"\)/) { read.insert(String(match.1)) }
        }
        #expect(read.count >= 15, "found only \(read.sorted())")
        #expect(read.subtracting(spec.queryParameters).sorted() == [], "query parameters the document lacks")
    }

    /// One server, every documented operation driven at least once with real answers, each
    /// checked against the document: the status listed, the body valid for its schema.
    @Test func everyOperationAnswersAsTheDocumentSays() async throws {
        let spec = try OpenAPISpec.load()
        try await ServeRunner.with { server in
            let api = SpecDriver(server: server, spec: spec)
            let served = try await server.send("GET", "/api/openapi.json")
            #expect(served.body == (try Data(contentsOf: Self.documentFile)), "the served document is the checked-in file, byte for byte")
            try await api.check("GET", "/api/openapi.json", expect: 200)
            try await api.check("GET", "/api/health", expect: 200)
            try await Self.refusals(api)
            let tokens = try Tokens(server)
            try await Self.catalog(api, tokens)
            let node = try await Self.processes(api, tokens)
            try await Self.subscriptions(api, tokens, node: node)
            try await Self.audit(api, tokens, node: node)
            try await Self.events(api, tokens, node: node)
            try await Self.schedules(api, tokens)
            try await Self.webhook(api, server)
            let missing = spec.operations.subtracting(api.covered)
            #expect(missing.isEmpty, "operations this test never drove: \(missing.sorted())")
            #expect(await server.stop() == 0, "SIGTERM stops wf serve cleanly: \(server.transcript)")
        }
    }

    struct Tokens {
        var admin: String
        var viewer: String
        var taskOperator: String

        init(_ server: ServeRunner) throws {
            admin = try server.token(user: "alice", role: "admin")
            viewer = try server.token(user: "victor", role: "viewer")
            taskOperator = try server.token(user: "olga", role: "operator", workflows: "task_*")
        }
    }

    /// What a node's creation left: its process and its subscription.
    struct Node {
        var process: String
        var subscription: String
    }

    static func refusals(_ api: SpecDriver) async throws {
        try await api.check("GET", "/api/workflows", expect: 401)
        try await api.check("GET", "/api/products", token: "wft_not-a-token", expect: 401)
        try await api.check("GET", "/metrics", expect: 401)
        try await api.check("POST", "/api/processes/recover", expect: 401)
    }

    static func catalog(_ api: SpecDriver, _ tokens: Tokens) async throws {
        let workflows = try await api.check("GET", "/api/workflows", token: tokens.viewer, expect: 200)
        #expect(workflows.arrayValue?.count ?? 0 >= 10)
        try await api.check("GET", "/api/workflows/create_node", token: tokens.viewer, expect: 200)
        try await api.check("GET", "/api/workflows/no_such_workflow", token: tokens.viewer, expect: 404)
        try await api.check("GET", "/api/workflows/create_node/subscriptions", token: tokens.viewer, expect: 400)
        try await api.check("GET", "/api/workflows/no_such_workflow/subscriptions", token: tokens.viewer, expect: 404)
        try await api.check("GET", "/api/products", token: tokens.viewer, expect: 200)
        try await api.check("GET", "/metrics", token: tokens.viewer, expect: 200)
    }

    static func processes(_ api: SpecDriver, _ tokens: Tokens) async throws -> Node {
        let admin = tokens.admin
        let form = try await api.check("POST", "/api/processes/create_node", body: [], token: admin, expect: 510)
        #expect(form.objectValue?["code"] == "form_not_complete")
        try await api.check("POST", "/api/processes/create_node", body: [["device_id": 1]], token: tokens.viewer, expect: 403)
        try await api.check("POST", "/api/processes/task_engine_demo", body: [:], token: tokens.taskOperator, expect: 201)
        try await api.check("POST", "/api/processes/create_node", body: [:], token: tokens.taskOperator, expect: 403)
        try await api.check("POST", "/api/processes/no_such_workflow", body: [], token: admin, expect: 404)
        try await api.check("POST", "/api/processes/create_node", data: Data("[{".utf8), token: admin, expect: 400)
        try await api.check("POST", "/api/processes/create_node", body: [["device_id": "nine"]], token: admin, expect: 400)
        try await api.check("POST", "/api/processes/create_node", data: Data(repeating: 0x20, count: 300 * 1024), token: admin, expect: 413)
        try await api.check("POST", "/api/processes/task_engine_check?async=true", body: [:], token: admin, expect: 202)

        let started = try await api.check("POST", "/api/processes/create_node", body: [["device_id": 1]], token: admin, expect: 201)
        let process = try #require(started.objectValue?["process_id"]?.stringValue)
        #expect(started.objectValue?["last_status"] == "suspended")
        try await api.check("GET", "/api/processes/\(process)", token: tokens.viewer, expect: 200)
        try await api.check("GET", "/api/processes/\(process.prefix(8))", token: tokens.viewer, expect: 200)
        try await api.check("GET", "/api/processes/\(UUID().uuidString.lowercased())", token: tokens.viewer, expect: 404)
        let refused = try await api.check("POST", "/api/processes/\(process)/resume", body: ["confirmed": false], token: admin, expect: 400)
        #expect(refused.objectValue?["errors"]?.arrayValue?.isEmpty == false, "a refused answer names its field")
        try await api.check("POST", "/api/processes/\(process)/resume", data: Data("{\"confirmed\": tru".utf8), token: admin, expect: 400)
        let resumed = try await api.check("POST", "/api/processes/\(process)/resume", body: [["confirmed": true]], token: admin, expect: 200)
        #expect(resumed.objectValue?["last_status"] == "completed")
        try await api.check("POST", "/api/processes/\(process)/resume", body: ["confirmed": true], token: admin, expect: 409)
        try await api.check("POST", "/api/processes/\(UUID().uuidString.lowercased())/resume", body: [:], token: admin, expect: 404)
        try await api.check("POST", "/api/processes/\(process)/retry", token: admin, expect: 409)
        try await api.check("POST", "/api/processes/\(process)/abort", token: admin, expect: 409)

        for query in ["status=completed,suspended&workflow=create_node&limit=5", "assignee=noc", "status=created&status=running"] {
            try await api.check("GET", "/api/processes?\(query)", token: tokens.viewer, expect: 200)
        }
        for query in ["limit=0", "status=sleeping", "workflow=no_such_workflow"] {
            try await api.check("GET", "/api/processes?\(query)", token: tokens.viewer, expect: 400)
        }
        try await retryAndAbort(api, tokens)
        let subscription = try #require(resumed.objectValue?["state"]?.objectValue?["subscription"]?.objectValue?["subscription_id"]?.stringValue)
        let page = "order=oldest&offset=1&user=alice&since=1h&until=now&subscription=\(subscription)"
        try await api.check("GET", "/api/processes?\(page)", token: tokens.viewer, expect: 200)
        for query in ["order=sideways", "offset=-1", "since=someday"] {
            try await api.check("GET", "/api/processes?\(query)", token: tokens.viewer, expect: 400)
        }
        // A subscription is named by its id or a unique prefix, as on every route: a process id is none.
        try await api.check("GET", "/api/processes?subscription=\(process.prefix(8))", token: tokens.viewer, expect: 404)
        return Node(process: process, subscription: subscription)
    }

    /// A failed process (written into the database, as `wf retry`'s test does) retried; a
    /// suspended create aborted, with the subscription it leaves behind.
    static func retryAndAbort(_ api: SpecDriver, _ tokens: Tokens) async throws {
        let id = ProcessID(UUID())
        let now = Date()
        let state: State = [
            "message": "hi", "work_seconds": 0, "process_id": .string(id.description), "workflow_name": "task_engine_demo",
            "workflow_target": "system", "reporter": "tester",
        ]
        try await api.server.runner.store().insertProcess(
            ProcessRecord(
                processID: id, workflowName: "task_engine_demo", workflowVersion: "0", isTask: true, status: .failed,
                lastStep: "prepare_change", state: state, failedReason: "earlier", createdBy: "tester", startedAt: now, lastModifiedAt: now),
            input: InputStateRecord(processID: id, input: state, kind: .initialState, createdBy: "tester", inputTime: now))
        try await api.check("POST", "/api/processes/\(id)/retry", token: tokens.viewer, expect: 403)
        let retried = try await api.check("POST", "/api/processes/\(id)/retry", token: tokens.taskOperator, expect: 200)
        #expect(retried.objectValue?["last_status"] == "suspended")

        let started = try await api.check("POST", "/api/processes/create_node", body: ["device_id": 2], token: tokens.admin, expect: 201)
        let process = try #require(started.objectValue?["process_id"]?.stringValue)
        try await api.check(
            "POST", "/api/processes/\(process)/abort", body: ["reason": "spec test", "force": true], token: tokens.admin, expect: 400)
        let aborted = try await api.check("POST", "/api/processes/\(process)/abort", body: ["reason": "spec test"], token: tokens.admin, expect: 200)
        #expect(aborted.objectValue?["left_behind"]?.arrayValue?.count == 1)
        // Undone afterwards: the device create_node set up goes back, the subscription ends terminated.
        try await api.check("POST", "/api/processes/\(process)/abort", body: ["undo": "yes"], token: tokens.admin, expect: 400)
        let undone = try await api.check("POST", "/api/processes/\(process)/abort", body: ["undo": true], token: tokens.admin, expect: 200)
        #expect(undone.objectValue?["undo"]?.objectValue?["last_status"] == "completed")
        #expect(undone.objectValue?["left_behind"]?.arrayValue?.first?.objectValue?["status"] == "terminated")
        try await api.check("POST", "/api/processes/\(process)/abort", body: ["undo": true], token: tokens.admin, expect: 409)
        try await api.check("POST", "/api/processes/recover", token: tokens.viewer, expect: 403)
        try await api.check("POST", "/api/processes/recover", token: tokens.admin, expect: 200)
    }

    static func subscriptions(_ api: SpecDriver, _ tokens: Tokens, node: Node) async throws {
        let viewer = tokens.viewer
        let found = try await api.check(
            "GET", "/api/subscriptions?product=Node&status=active&insync=true&q=loc1&limit=10", token: viewer, expect: 200)
        #expect(found.arrayValue?.count == 1)
        try await api.check("GET", "/api/subscriptions?where=root.node_name=loc1-core&status=active,initial", token: viewer, expect: 200)
        for query in ["where=nothing", "insync=maybe", "status=asleep", "limit=1001"] {
            try await api.check("GET", "/api/subscriptions?\(query)", token: viewer, expect: 400)
        }
        let subscription = node.subscription
        try await api.check("GET", "/api/subscriptions/\(subscription)", token: viewer, expect: 200)
        try await api.check("GET", "/api/subscriptions/\(subscription.prefix(8))?at=now", token: viewer, expect: 200)
        try await api.check("GET", "/api/subscriptions/\(subscription)?at=2001-01-01", token: viewer, expect: 404)
        try await api.check("GET", "/api/subscriptions/\(subscription)?at=someday", token: viewer, expect: 400)
        try await api.check("GET", "/api/subscriptions/zz", token: viewer, expect: 404)
        try await api.check("GET", "/api/subscriptions/\(subscription)/workflows", token: viewer, expect: 200)
        try await api.check("GET", "/api/subscriptions/\(UUID().uuidString.lowercased())/workflows", token: viewer, expect: 404)
        try await api.check("GET", "/api/subscriptions/zz/history", token: viewer, expect: 404)
        try await api.check("GET", "/api/workflows/modify_node/subscriptions", token: viewer, expect: 200)

        // A subscription held by a suspended create: unlocking releases it from that process.
        let started = try await api.check("POST", "/api/processes/create_node", body: ["device_id": 3], token: tokens.admin, expect: 201)
        let held = try #require(started.objectValue?["state"]?.objectValue?["subscription"]?.objectValue?["subscription_id"]?.stringValue)
        try await api.check("POST", "/api/subscriptions/\(held)/unlock", body: ["reason": "spec"], token: tokens.taskOperator, expect: 403)
        try await api.check("POST", "/api/subscriptions/\(held)/unlock", data: Data("{".utf8), token: tokens.admin, expect: 400)
        let unlocked = try await api.check("POST", "/api/subscriptions/\(held)/unlock", body: ["reason": "spec"], token: tokens.admin, expect: 200)
        #expect(unlocked.objectValue?["released_from"] == started.objectValue?["process_id"])
        try await api.check("POST", "/api/subscriptions/\(held)/unlock", token: tokens.admin, expect: 200)
        try await api.check("POST", "/api/subscriptions/\(UUID().uuidString.lowercased())/unlock", token: tokens.admin, expect: 404)
        for id in [subscription, held] {
            let history = try await api.check("GET", "/api/subscriptions/\(id)/history", token: viewer, expect: 200)
            #expect(history.arrayValue?.isEmpty == false)
        }
    }

    static func schedules(_ api: SpecDriver, _ tokens: Tokens) async throws {
        let listed = try await api.check("GET", "/api/schedules", token: tokens.viewer, expect: 200)
        #expect(listed.objectValue?["items"]?.arrayValue?.count == 1, "the default hourly validation: \(listed.jsonText)")
        let schedule: JSONValue = [
            "name": "nightly", "workflow": "task_engine_check", "cron": "30 2 * * *", "time_zone": "Europe/Amsterdam", "input": [:],
        ]
        try await api.check("POST", "/api/schedules", body: schedule, token: tokens.taskOperator, expect: 403)
        let added = try await api.check("POST", "/api/schedules", body: schedule, token: tokens.admin, expect: 201)
        #expect(added.objectValue?["next_due_at"] != .null)
        try await api.check("POST", "/api/schedules", body: schedule, token: tokens.admin, expect: 409)
        var bad = schedule
        bad = ["name": "bad", "workflow": "task_engine_check", "cron": "0 25 * * *"]
        let refused = try await api.check("POST", "/api/schedules", body: bad, token: tokens.admin, expect: 400)
        #expect(refused.objectValue?["detail"]?.stringValue?.contains("hour 25") == true, "\(refused.jsonText)")
        try await api.check("POST", "/api/schedules", body: ["name": "x", "workflow": "no_such", "cron": "@daily"], token: tokens.admin, expect: 404)
        try await api.check("POST", "/api/schedules", body: ["name": "x", "cron": "@daily"], token: tokens.admin, expect: 400)
        try await api.check(
            "POST", "/api/schedules", body: ["name": "x", "workflow": "task_engine_check", "cron": "@daily", "when": 1], token: tokens.admin,
            expect: 400)
        try await api.check("GET", "/api/schedules/nightly", token: tokens.viewer, expect: 200)
        try await api.check("GET", "/api/schedules/nope", token: tokens.viewer, expect: 404)
        let paused = try await api.check("POST", "/api/schedules/nightly/pause", token: tokens.admin, expect: 200)
        #expect(paused.objectValue?["paused"] == .bool(true))
        try await api.check("POST", "/api/schedules/nightly/resume", token: tokens.viewer, expect: 403)
        try await api.check("POST", "/api/schedules/nightly/resume", token: tokens.admin, expect: 200)
        let run = try await api.check("POST", "/api/schedules/nightly/run", token: tokens.admin, expect: 202)
        #expect(run.objectValue?["process_id"] != .null)
        let shown = try await api.check("GET", "/api/schedules/nightly", token: tokens.viewer, expect: 200)
        #expect(shown.objectValue?["runs"]?.arrayValue?.count == 1)
        try await api.check("DELETE", "/api/schedules/nightly", token: tokens.admin, expect: 200)
        try await api.check("DELETE", "/api/schedules/nightly", token: tokens.admin, expect: 404)
        try await api.check("POST", "/api/schedules/nightly/run", token: tokens.admin, expect: 404)
    }

    /// NetBox's delivery, signed and not.
    static func webhook(_ api: SpecDriver, _ server: ServeRunner) async throws {
        #expect(try server.runner.run(["webhook", "secret", "--set", NetBoxWebhookTests.secret]).status == 0)
        let recorded = try #require(try NetBoxWebhookTests.recordings().first)
        let headers = ["Content-Type": "application/json", "X-Hook-Signature": recorded.signature]
        try await api.check("POST", "/api/webhooks/netbox", data: recorded.body, headers: headers, expect: 200)
        try await api.check("POST", "/api/webhooks/netbox", data: Data("{}".utf8), headers: headers, expect: 403)
        let signature = NetBoxWebhook.signature(of: Array("{}".utf8), secret: NetBoxWebhookTests.secret)
        try await api.check(
            "POST", "/api/webhooks/netbox", data: Data("{}".utf8), headers: ["Content-Type": "application/json", "X-Hook-Signature": signature],
            expect: 400)
    }

    static func audit(_ api: SpecDriver, _ tokens: Tokens, node: Node) async throws {
        let viewer = tokens.viewer
        let queries = [
            "", "user=alice&since=1h&until=now&limit=3", "workflow=create_node", "subscription=\(node.subscription)",
            "since=2001-01-01&until=2001-01-02", "netbox=dcim.device:1", "netbox=dcim.device:1&until=2001-01-01",
        ]
        for query in queries {
            let entries = try await api.check("GET", "/api/audit?\(query)", token: viewer, expect: 200)
            if query.hasPrefix("netbox=dcim.device:1&") == false, query.hasPrefix("since=2001") == false {
                #expect(entries.arrayValue?.isEmpty == false, "audit?\(query)")
            }
        }
        // The subscription and time filters apply before the limit: the first entries about the node, not the node's among the first entries.
        let about = try await api.check("GET", "/api/audit?subscription=\(node.subscription)&limit=2", token: viewer, expect: 200)
        #expect(about.arrayValue?.count == 2, "\(about.jsonText)")
        for entry in about.arrayValue ?? [] {
            let process = entry.objectValue?["process_id"]?.stringValue
            #expect(process == node.process || entry.objectValue?["action"]?.stringValue?.contains(node.subscription) == true, "\(entry.jsonText)")
        }
        let all = try await api.check("GET", "/api/audit?limit=1000", token: viewer, expect: 200).arrayValue ?? []
        let middle = try #require(all.dropFirst(all.count / 2).first?.objectValue?["time"]?.stringValue)
        let before = try await api.check("GET", "/api/audit?limit=1000&until=\(middle)", token: viewer, expect: 200).arrayValue ?? []
        #expect(!before.isEmpty && before.count < all.count)
        #expect(before.allSatisfy { ($0.objectValue?["time"]?.stringValue ?? "") < middle })
        for query in ["netbox=device-1", "since=someday", "limit=many"] {
            try await api.check("GET", "/api/audit?\(query)", token: viewer, expect: 400)
        }
        try await api.check("GET", "/api/audit?subscription=not-a-uuid", token: viewer, expect: 404)
    }

    static func events(_ api: SpecDriver, _ tokens: Tokens, node: Node) async throws {
        let viewer = tokens.viewer
        let oneEvent: (String) -> Bool = { $0.contains("\ndata: ") && $0.hasSuffix("\n\n") }
        let history = try await api.stream("/api/events?process=\(node.process)", token: viewer, until: oneEvent)
        #expect(history.contains("event: process_created"), "a narrowed stream starts at the process's first event: \(history)")
        try await api.stream("/api/events?subscription=\(node.subscription)", token: viewer, headers: ["Last-Event-ID": "0"], until: oneEvent)
        try await api.stream("/api/events?process=\(node.process.prefix(8))&after=1", token: viewer, until: oneEvent)
        try await api.stream("/api/events", token: viewer) { $0.hasPrefix(": events after ") && $0.hasSuffix("\n\n") }
        try await api.check("GET", "/api/events", token: nil, expect: 401)
        try await api.check("GET", "/api/events?process=zz", token: viewer, expect: 404)
        try await api.check("GET", "/api/events?subscription=\(UUID().uuidString.lowercased().prefix(13))", token: viewer, expect: 404)
        try await api.check("GET", "/api/events?process=\(node.process)", token: viewer, headers: ["Last-Event-ID": "soon"], expect: 400)
    }
}

/// The checked-in document: its operations, and what it says each may answer.
struct OpenAPISpec: Sendable {
    let document: JSONValue
    let validator: SchemaValidator

    static let methods = ["get", "put", "post", "delete", "patch", "head", "options", "trace"]

    static func load() throws -> OpenAPISpec {
        let document = try JSONValue.parse(Data(contentsOf: APISpecTests.documentFile))
        return OpenAPISpec(document: document, validator: SchemaValidator(document: document))
    }

    var paths: [String: JSONValue] { document.objectValue?["paths"]?.objectValue ?? [:] }
    var schemas: [String: JSONValue] { document.objectValue?["components"]?.objectValue?["schemas"]?.objectValue ?? [:] }

    /// `GET /api/processes/{id}`, one per documented operation.
    var operations: Set<String> {
        Set(paths.flatMap { path, item in (item.objectValue ?? [:]).keys.filter(Self.methods.contains).map { "\($0.uppercased()) \(path)" } })
    }

    /// The names of the query parameters of every operation.
    var queryParameters: Set<String> {
        var names: Set<String> = []
        for item in paths.values {
            for (method, operation) in item.objectValue ?? [:] where Self.methods.contains(method) {
                for parameter in operation.objectValue?["parameters"]?.arrayValue ?? [] {
                    let resolved = resolve(parameter).objectValue
                    if resolved?["in"] == "query", let name = resolved?["name"]?.stringValue { names.insert(name) }
                }
            }
        }
        return names
    }

    func operation(_ key: String) -> [String: JSONValue]? {
        let parts = key.split(separator: " ", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return nil }
        return paths[parts[1]]?.objectValue?[parts[0].lowercased()]?.objectValue
    }

    /// The documented path a request's path falls under: a literal one before a templated
    /// one, as OpenAPI matches them.
    func template(for path: String) -> String? {
        let segments = path.split(separator: "?", maxSplits: 1)[0].split(separator: "/", omittingEmptySubsequences: false)
        let candidates = paths.keys.filter { template in
            let parts = template.split(separator: "/", omittingEmptySubsequences: false)
            return parts.count == segments.count && zip(parts, segments).allSatisfy { $0 == $1 || ($0.hasPrefix("{") && $0.hasSuffix("}")) }
        }
        return candidates.min { $0.count(where: { $0 == "{" }) < $1.count(where: { $0 == "{" }) }
    }

    /// A `$ref` into `#/components/…` followed; anything else as it is.
    func resolve(_ value: JSONValue) -> JSONValue {
        guard let reference = value.objectValue?["$ref"]?.stringValue, reference.hasPrefix("#/") else { return value }
        var node = document
        for part in reference.dropFirst(2).split(separator: "/") { node = node.objectValue?[String(part)] ?? .null }
        return node
    }

    /// What is wrong with an answer to `method path`, by the document; none when it conforms.
    func problems(_ method: String, _ path: String, _ answer: ServeRunner.Answer) -> [String] {
        guard let template = template(for: path), let operation = operation("\(method) \(template)") else {
            return ["\(method) \(path) is not in the document"]
        }
        guard let responses = operation["responses"]?.objectValue, let documented = responses[String(answer.status)] else {
            return ["\(method) \(template) answered \(answer.status), a status the document does not list: \(answer.text.prefix(300))"]
        }
        let response = resolve(documented).objectValue ?? [:]
        let mediaType = answer.headers["content-type"]?.split(separator: ";")[0].trimmingCharacters(in: .whitespaces) ?? "(none)"
        guard let media = response["content"]?.objectValue?[mediaType]?.objectValue else {
            return ["\(method) \(template) \(answer.status) came as \(mediaType), which the document does not list"]
        }
        var found: [String] = []
        for (name, header) in response["headers"]?.objectValue ?? [:] where header.objectValue?["required"] == true {
            if answer.headers[name.lowercased()] == nil { found.append("\(method) \(template) \(answer.status) lacks the header \(name)") }
        }
        let body: JSONValue
        if mediaType.hasSuffix("json") {
            do {
                body = try JSONValue.parse(answer.body)
            } catch {
                return found + ["\(method) \(template) \(answer.status): the body is not JSON (\(error))"]
            }
            if mediaType == "application/problem+json", body.objectValue?["status"]?.intValue != answer.status {
                found.append("\(method) \(template): the problem's status is not the HTTP status \(answer.status)")
            }
        } else {
            body = .string(answer.text)
        }
        let violations = media["schema"].map { validator.validate(body, against: $0) } ?? []
        found += violations.map { "\(method) \(template) \(answer.status): \($0)" }
        if let event = media["x-event-data"] {
            for line in answer.text.split(separator: "\n") where line.hasPrefix("data: ") {
                do {
                    let data = try JSONValue.parse(String(line.dropFirst(6)))
                    found += validator.validate(data, against: event).map { "\(method) \(template) event: \($0)" }
                } catch {
                    found.append("\(method) \(template): an event's data is not JSON: \(line)")
                }
            }
        }
        return found
    }
}

/// Sends requests to a server and checks each answer against the document, remembering which
/// operations it drove.
final class SpecDriver: Sendable {
    let server: ServeRunner
    let spec: OpenAPISpec
    private let driven = Mutex<Set<String>>([])

    init(server: ServeRunner, spec: OpenAPISpec) {
        self.server = server
        self.spec = spec
    }

    var covered: Set<String> { driven.withLock { $0 } }

    /// Sends the request, expects `status`, checks the answer against the document and
    /// returns its JSON (null for other bodies).
    @discardableResult
    func check(
        _ method: String, _ path: String, body: JSONValue? = nil, data: Data? = nil, token: String? = nil, headers: [String: String] = [:],
        expect status: Int, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> JSONValue {
        let answer = try await server.send(method, path, data: data ?? body.map { Data($0.jsonText.utf8) }, token: token, headers: headers)
        return record(method, path, answer, expect: status, sourceLocation: sourceLocation)
    }

    /// Reads server-sent events until `enough`, checks them and returns their text.
    @discardableResult
    func stream(
        _ path: String, token: String?, headers: [String: String] = [:], sourceLocation: SourceLocation = #_sourceLocation,
        until enough: (String) -> Bool
    ) async throws -> String {
        let answer = try await server.stream(path, token: token, headers: headers, until: enough)
        _ = record("GET", path, answer, expect: 200, sourceLocation: sourceLocation)
        return answer.text
    }

    private func record(_ method: String, _ path: String, _ answer: ServeRunner.Answer, expect status: Int, sourceLocation: SourceLocation)
        -> JSONValue
    {
        #expect(answer.status == status, "\(method) \(path): \(answer.text.prefix(500))", sourceLocation: sourceLocation)
        let problems = spec.problems(method, path, answer)
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))", sourceLocation: sourceLocation)
        if let template = spec.template(for: path) { driven.withLock { _ = $0.insert("\(method) \(template)") } }
        return (try? JSONValue.parse(answer.body)) ?? .null
    }
}
