import Foundation
import Hummingbird
import WorkflowEngine

extension API {
    /// Workflows and products: what can be started, and on what.
    func registerCatalog(on router: Router<APIContext>) {
        router.get("/api/workflows") { _, context in
            _ = try context.require(.read)
            var list: [JSONValue] = []
            for workflow in engine.registry.workflows { list.append(try await workflowWithFirstPage(workflow)) }
            return Response.json(.array(list))
        }
        router.get("/api/workflows/:name") { _, context in
            _ = try context.require(.read)
            return Response.json(try await workflowWithFirstPage(try workflow(context)))
        }
        router.get("/api/workflows/:name/subscriptions") { _, context in
            _ = try context.require(.read)
            return Response.json(try await subscriptionsOffered(by: try workflow(context)))
        }
        router.get("/api/products") { _, context in
            _ = try context.require(.read)
            return Response.json(.array(try await store.productRows().map { ResourceJSON.product($0, engine: engine) }))
        }
    }

    private func workflow(_ context: APIContext) throws -> WorkflowDefinition {
        let name = try context.parameters.require("name")
        guard let workflow = engine.registry[name] else {
            throw APIProblem.notFound(
                "no workflow named '\(name)'; known: \(engine.registry.workflows.map(\.name).joined(separator: ", "))", code: "unknown_workflow")
        }
        return workflow
    }

    /// The workflow, and the first page of its initial form as a form and as JSON Schema: what
    /// `POST /api/processes/{workflow}` asks first. A page that cannot be built now (NetBox
    /// unreachable, nothing to choose) is null, with the reason.
    private func workflowWithFirstPage(_ workflow: WorkflowDefinition) async throws -> JSONValue {
        guard case .object(var object) = ResourceJSON.workflow(workflow) else { return .null }
        object["first_page"] = .null
        object["first_page_schema"] = .null
        if let flow = workflow.initialForm, !flow.pages.isEmpty {
            do {
                let form = try await engine.makeFormSession(flow).page(0, answers: State())
                object["first_page"] = Rendering.form(form)
                object["first_page_schema"] = form.jsonSchema
            } catch {
                object["first_page_error"] = .string(APIProblem.from(error).detail)
            }
        }
        return .object(object)
    }

    /// The subscriptions a modify, terminate or validate workflow may act on now (its first
    /// page's choices), and those it may not, with why.
    private func subscriptionsOffered(by workflow: WorkflowDefinition) async throws -> JSONValue {
        guard [.modify, .terminate, .validate].contains(workflow.target), let flow = workflow.initialForm, !flow.pages.isEmpty else {
            throw APIProblem.badRequest(
                "\(workflow.name) is a \(workflow.target.rawValue) workflow: it acts on no existing subscription", code: "not_a_subscription_workflow"
            )
        }
        let form = try await engine.makeFormSession(flow).page(0, answers: State())
        let offered = form.fields.first { $0.name == "subscription_id" }?.choices ?? []
        let notOffered = form.fields.first { $0.name == "not_offered" }?.items ?? []
        return .object([
            "workflow": .string(workflow.name),
            "offered": .array(offered.map { .object(["subscription_id": $0.value, "label": .string($0.label)]) }),
            "not_offered": .array(notOffered.map { .object(["label": .string($0.label), "reason": .string($0.value)]) }),
        ])
    }
}
