import Foundation
import Hummingbird
import WorkflowEngine

extension API {
    /// Subscriptions: search, the model tree (now or at a time), history, the workflows
    /// allowed on one now, and the admin's unlock.
    func registerSubscriptions(on router: Router<APIContext>) {
        router.get("/api/subscriptions") { request, context in
            _ = try context.require(.read)
            return try await searchSubscriptions(request.uri.queryParameters)
        }
        router.get("/api/subscriptions/:id") { request, context in
            _ = try context.require(.read)
            let id = try await subscriptionID(context)
            let time = try request.uri.queryParameters.get("at").map(Self.time(named: "at"))
            guard let records = try await store.subscriptionRecords(id, at: time) else {
                let when = time.map { "did not exist yet at \(Rendering.shortTime($0))" } ?? "does not exist"
                throw APIProblem.notFound("subscription \(id.uuidString.lowercased()) \(when)", code: "subscription_not_found")
            }
            return Response.json(ResourceJSON.subscription(records, at: time))
        }
        router.get("/api/subscriptions/:id/history") { _, context in
            _ = try context.require(.read)
            let id = try await subscriptionID(context)
            guard try await store.subscription(id) != nil else {
                throw APIProblem.notFound("subscription \(id.uuidString.lowercased()) does not exist", code: "subscription_not_found")
            }
            return Response.json(.array(try await SubscriptionView.history(of: id, store: store).map(\.json)))
        }
        router.get("/api/subscriptions/:id/workflows") { _, context in
            _ = try context.require(.read)
            let id = try await subscriptionID(context)
            return Response.json(try await workflows(on: id))
        }
        router.post("/api/subscriptions/:id/unlock") { request, context in
            let identity = try context.require(.administer("unlock subscriptions"))
            let id = try await subscriptionID(context)
            let reason = try await Self.reason(request, context: context) ?? "forced by \(identity.user) through the API"
            let holder = try await store.forceUnlock(id, user: identity.user, reason: reason, now: Date())
            return Response.json(
                .object(["subscription_id": .string(id.uuidString.lowercased()), "released_from": holder.map { .string($0.description) } ?? .null]))
        }
    }

    /// `?product=&status=a,b&where=field=value&q=text&insync=&limit=`: `q` matches words of
    /// the description or the customer, or the start of the id.
    private func searchSubscriptions(_ query: Parameters) async throws -> Response {
        var statuses: Set<Lifecycle> = []
        for text in query.getAll("status").flatMap({ $0.split(separator: ",") }) {
            guard let status = Lifecycle(rawValue: String(text)) else {
                throw APIProblem.badRequest(
                    "unknown status '\(text)'",
                    problems: [FieldProblem(field: "status", reason: "one of \(Lifecycle.allCases.map(\.rawValue).joined(separator: ", "))")])
            }
            statuses.insert(status)
        }
        var condition: (field: String, value: String)?
        if let text = query.get("where") {
            let parts = text.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else {
                throw APIProblem.badRequest(
                    "where takes field=value, got '\(text)'", problems: [FieldProblem(field: "where", reason: "is not field=value")])
            }
            condition = (String(parts[0]), String(parts[1]))
        }
        if let insync = query.get("insync"), !["true", "false"].contains(insync) {
            throw APIProblem.badRequest(
                "insync must be true or false, got '\(insync)'", problems: [FieldProblem(field: "insync", reason: "is not true or false")])
        }
        let limit = try Self.limit(query)
        // In the query, before the limit: a filter applied afterwards would read every subscription.
        let filter = SubscriptionFilter(
            product: query.get("product"), statuses: statuses, whereValue: condition, limit: limit, text: query.get("q"),
            insync: query.get("insync").map { $0 == "true" })
        return .json(.array(try await store.subscriptions(filter).map(SubscriptionView.summary)))
    }

    /// Each workflow of the subscription's product, and whether it may act on it now (and if
    /// not, why): what the UI offers as buttons.
    private func workflows(on id: UUID) async throws -> JSONValue {
        guard let summary = try await store.subscriptions(SubscriptionFilter(limit: 1, id: id)).first else {
            throw APIProblem.notFound("subscription \(id.uuidString.lowercased()) does not exist", code: "subscription_not_found")
        }
        var list: [JSONValue] = []
        for name in engine.products[summary.productName]?.workflows ?? [] {
            guard let workflow = engine.registry[name], workflow.target != .create else { continue }
            let refusal = try await engine.refusal(of: name, on: id)
            list.append(
                .object([
                    "name": .string(name), "target": .string(workflow.target.rawValue), "description": .string(workflow.description),
                    "allowed": .bool(refusal == nil), "reason": refusal.map(JSONValue.string) ?? .null,
                ]))
        }
        return .object(["subscription_id": .string(id.uuidString.lowercased()), "workflows": .array(list)])
    }

    private func subscriptionID(_ context: APIContext) async throws -> UUID {
        try await subscriptionID(try context.parameters.require("id"))
    }

    /// A subscription id or unique prefix, as every command takes it; unknown: 404.
    func subscriptionID(_ text: String) async throws -> UUID {
        do {
            return try await runtime.subscriptionID(text)
        } catch let error as CLIError {
            throw APIProblem.notFound(error.description, code: "subscription_not_found")
        }
    }
}
