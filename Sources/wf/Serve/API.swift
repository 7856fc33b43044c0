import Foundation
import Hummingbird
import NetBox
import Persistence
import WorkflowEngine
import Workflows

/// The REST API under `/api`: what `wf` does at a terminal, for scripts, integrations and
/// the web UI. Every answer is JSON with the snake_case keys of `wf … --json`; every error
/// is a problem document (`APIProblem`).
struct API: Sendable {
    let runtime: Runtime
    let startedAt = Date()

    var store: any WorkflowStore { runtime.store }
    var engine: Engine { runtime.engine }

    func register(on router: Router<APIContext>) {
        router.get("/api/health") { _, _ in try await health() }
        router.get("/api/openapi.json") { _, _ in try OpenAPIDocument.response() }
        registerCatalog(on: router)
        registerProcesses(on: router)
        registerSubscriptions(on: router)
        registerEvents(on: router)
        registerSchedules(on: router)
        NetBoxWebhook.register(on: router, runtime: runtime)
        router.get("/api/audit") { request, context in
            _ = try context.require(.read)
            return try await audit(request.uri.queryParameters)
        }
    }

    /// Whether the database answers and NetBox is reachable: 200 when both are, else 503
    /// with what is wrong, for load balancers and monitoring.
    private func health() async throws -> Response {
        var checks: [String: JSONValue] = [:]
        var healthy = true
        do {
            _ = try await store.processes(ProcessFilter(limit: 1))
            checks["database"] = .object(["status": "up", "dialect": .string(store.dialect)])
        } catch {
            healthy = false
            checks["database"] = .object(["status": "down", "error": .string("\(error)")])
        }
        do {
            let netbox = try await engine.services.require(NetBoxConnection.self).get()
            checks["netbox"] = .object(["status": "up", "version": .string(try await netbox.status())])
        } catch {
            healthy = false
            checks["netbox"] = .object(["status": "down", "error": .string("\(error)")])
        }
        let body: JSONValue = .object([
            "status": .string(healthy ? "up" : "down"), "checks": .object(checks),
            "uptime_seconds": .double((Date().timeIntervalSince(startedAt) * 1000).rounded() / 1000),
        ])
        return .json(body, status: healthy ? .ok : .serviceUnavailable)
    }

    private func audit(_ query: Parameters) async throws -> Response {
        let since = try query.get("since").map(Self.time(named: "since"))
        let until = try query.get("until").map(Self.time(named: "until"))
        let limit = try Self.limit(query)
        if let object = query.get("netbox") {
            let reference: (type: String, id: Int)
            do {
                reference = try LedgerView.parseObjectRef(object)
            } catch {
                throw APIProblem.badRequest("\(error)", problems: [FieldProblem(field: "netbox", reason: "\(error)")])
            }
            // What the orchestrator wrote to that NetBox object, as `wf audit --netbox --json` shows it.
            let filter = AuditFilter(user: query.get("user"), since: since, until: until, workflow: query.get("workflow"), limit: limit)
            return .json(.array(try await LedgerView.auditRows(reference, filter: filter, store: store).rows.map(\.json)))
        }
        var subscription: UUID?
        if let text = query.get("subscription") { subscription = try await subscriptionID(text) }
        let entries = try await store.audit(
            AuditFilter(
                user: query.get("user"), since: since, until: until, workflow: query.get("workflow"), subscriptionID: subscription, limit: limit))
        return .json(.array(entries.map(ResourceJSON.audit)))
    }

    // MARK: - Reading parameters

    /// `?limit=` (default 100, at most 1000).
    static func limit(_ query: Parameters, default value: Int = 100) throws -> Int {
        guard let text = query.get("limit") else { return value }
        guard let limit = Int(text), (1...1000).contains(limit) else {
            throw APIProblem.badRequest(
                "limit must be a whole number from 1 to 1000, got '\(text)'", problems: [FieldProblem(field: "limit", reason: "must be 1 to 1000")])
        }
        return limit
    }

    static func time(named name: String) -> (String) throws -> Date {
        { text in
            do {
                return try TimeArgument.parse(text)
            } catch {
                throw APIProblem.badRequest("\(name): \(error)", problems: [FieldProblem(field: name, reason: "\(error)")])
            }
        }
    }

    static func uuid(_ text: String, field: String) throws -> UUID {
        guard let id = UUID(uuidString: text) else {
            throw APIProblem.badRequest("\(field) must be a UUID, got '\(text)'", problems: [FieldProblem(field: field, reason: "is not a UUID")])
        }
        return id
    }

    /// The optional `{"reason": "…"}` body of unlock; anything else in it is refused.
    static func reason(_ request: Request, context: APIContext) async throws -> String? {
        try reason(in: try await options(request, context: context, allowing: ["reason"]))
    }

    /// An optional JSON object body of options, each of `allowed`; anything else is refused.
    static func options(_ request: Request, context: APIContext, allowing allowed: [String]) async throws -> [String: JSONValue] {
        let body = try await Self.body(request, context: context, empty: .object([:]))
        guard case .object(let options) = body else { throw APIProblem.badRequest("the body must be a JSON object, e.g. {\"reason\": \"…\"}") }
        if let unknown = options.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw APIProblem.badRequest(
                "unknown option '\(unknown)'",
                problems: [FieldProblem(field: unknown, reason: "is not an option (\(allowed.joined(separator: ", ")))")])
        }
        return options
    }

    /// The true or false option `name` (false when absent).
    static func flag(_ name: String, in options: [String: JSONValue]) throws -> Bool {
        guard let value = options[name], value != .null else { return false }
        guard case .bool(let flag) = value else {
            throw APIProblem.badRequest("\(name) must be true or false", problems: [FieldProblem(field: name, reason: "is not true or false")])
        }
        return flag
    }

    /// The `reason` option: text, or nil when absent.
    static func reason(in options: [String: JSONValue]) throws -> String? {
        guard let reason = options["reason"], reason != .null else { return nil }
        guard let text = reason.stringValue else {
            throw APIProblem.badRequest("reason must be text", problems: [FieldProblem(field: "reason", reason: "is not text")])
        }
        return text
    }

    /// A JSON object of answers as a state; anything else is refused.
    static func answers(_ value: JSONValue, what: String = "the answers") throws -> State {
        guard case .object(let values) = value else { throw APIProblem.badRequest("\(what) must be a JSON object", code: "invalid_input") }
        return State(values)
    }

    /// The request's body as JSON; an empty body is `empty`. Malformed JSON is a 400 naming
    /// where it breaks.
    static func body(_ request: Request, context: APIContext, empty: JSONValue = .null) async throws -> JSONValue {
        let bytes = try await request.body.collect(upTo: context.maxUploadSize)
        guard bytes.readableBytes > 0 else { return empty }
        do {
            return try JSONValue.parse(Data(bytes.readableBytesView))
        } catch {
            throw APIProblem.badRequest("the body is not valid JSON: \(error)", code: "malformed_json")
        }
    }
}

extension Response {
    /// A JSON answer.
    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:]) -> Response {
        var headers = extra
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: value.jsonText)))
    }
}
