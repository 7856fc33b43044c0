import Foundation
import Hummingbird
import WorkflowEngine
import Workflows

extension API {
    /// Processes: start (page by page, as orchestrator-core takes forms), list, show, resume,
    /// retry, abort and recover.
    func registerProcesses(on router: Router<APIContext>) {
        router.get("/api/processes") { request, context in
            _ = try context.require(.read)
            return try await listProcesses(request.uri.queryParameters)
        }
        router.post("/api/processes/recover") { _, context in
            let identity = try context.require(.administer("recover stranded processes"))
            return Response.json(.array(try await engine.recover(user: identity.user).map(OutcomeReport.json)))
        }
        // One parameter name for the one path segment: the trie keeps one per position.
        router.post("/api/processes/:id") { request, context in
            try await start(request, context: context)
        }
        router.get("/api/processes/:id") { _, context in
            _ = try context.require(.read)
            let id = try await processID(context)
            guard let process = try await ResourceJSON.process(id, store: store, registry: engine.registry) else {
                throw APIProblem.notFound("process \(id) does not exist", code: "process_not_found")
            }
            return Response.json(process)
        }
        router.post("/api/processes/:id/resume") { request, context in
            let (id, identity) = try await actingOn(context)
            let body = try await Self.body(request, context: context)
            let answers: State
            switch body {
            case .object: answers = try Self.answers(body)
            case .array(let pages) where pages.count == 1: answers = try Self.answers(pages[0])
            default:
                throw APIProblem.badRequest("the body must be the answers to the form the process waits on: a JSON object, or an array of one")
            }
            return Response.json(OutcomeReport.json(try await engine.resume(id, input: answers, user: identity.user)))
        }
        router.post("/api/processes/:id/retry") { _, context in
            let (id, identity) = try await actingOn(context)
            return Response.json(OutcomeReport.json(try await engine.retry(id, user: identity.user)))
        }
        router.post("/api/processes/:id/abort") { request, context in
            let (id, identity) = try await actingOn(context)
            let options = try await Self.options(request, context: context, allowing: ["reason", "undo"])
            let reason = try Self.reason(in: options)
            let aborted: ProcessOutcome
            var undo: JSONValue?
            if try Self.flag("undo", in: options) {
                // Undo too: an aborted process is undone without aborting it again.
                _ = try context.require(.run(UndoProcess.name))
                let (outcome, undone) = try await UndoProcess.abortAndUndo(id, engine: engine, user: identity.user, reason: reason)
                (aborted, undo) = (outcome, undone.map(OutcomeReport.json) ?? .null)
            } else {
                aborted = try await engine.abort(id, user: identity.user, reason: reason)
            }
            guard case .object(var object) = OutcomeReport.json(aborted) else { return Response.json(OutcomeReport.json(aborted)) }
            object["left_behind"] = .array(try await AbortReport.build(aborted, runtime: runtime).json)
            if let undo { object["undo"] = undo }
            return Response.json(.object(object))
        }
    }

    /// `POST /api/processes/{workflow}`: the body is the list of the initial form's pages
    /// answered so far (or one object with every answer, as `wf start --input` takes). Pages
    /// missing: 510 with the next page as a form and as JSON Schema, as orchestrator-core
    /// answers; nothing is stored until every page validates. `?async=true` enqueues the
    /// process for the workers (202) instead of running it until it suspends or ends (201).
    private func start(_ request: Request, context: APIContext) async throws -> Response {
        let name = try context.parameters.require("id")
        guard let workflow = engine.registry[name] else {
            throw APIProblem.notFound(
                "no workflow named '\(name)'; known: \(engine.registry.workflows.map(\.name).joined(separator: ", "))", code: "unknown_workflow")
        }
        let identity = try context.require(.run(name))
        let body = try await Self.body(request, context: context, empty: .array([]))
        let input: FormInput
        switch body {
        case .array(let pages):
            input = .pages(
                try pages.enumerated().map { index, page in
                    guard case .object = page else {
                        throw APIProblem.badRequest("page \(index + 1) must be a JSON object of answers", code: "invalid_input")
                    }
                    return try Self.answers(page)
                })
        case .object: input = .merged(try Self.answers(body))
        default: throw APIProblem.badRequest("the body must be a list of pages (JSON objects) or one object of answers", code: "invalid_input")
        }
        let session = workflow.initialForm.map(engine.makeFormSession)
        if let session, case .pages(let pages) = input, pages.count < session.flow.pages.count {
            throw try await formNotComplete(session, answered: pages)
        }
        let async = request.uri.queryParameters.get("async") == "true"
        let location: HTTPFields
        if async {
            let id = try await engine.enqueue(name, input: input, session: session, user: identity.user)
            location = [.location: "/api/processes/\(id)"]
            return .json(
                .object(["process_id": .string(id.description), "workflow": .string(name), "status": "created"]), status: .accepted, headers: location
            )
        }
        let outcome = try await engine.start(name, input: input, session: session, user: identity.user)
        location = [.location: "/api/processes/\(outcome.processID)"]
        return .json(OutcomeReport.json(outcome), status: .created, headers: location)
    }

    /// Checks the pages given and answers with the next one: 510, as orchestrator-core does.
    private func formNotComplete(_ session: FormSession, answered pages: [State]) async throws -> APIProblem {
        var earlier = State()
        for (index, answer) in pages.enumerated() {
            let form = try await session.page(index, answers: earlier)
            try form.requireSomethingToChoose()
            earlier = earlier.merging(try session.accept(index, form: form, answer: answer, earlier: earlier))
        }
        let next = try await session.page(pages.count, answers: earlier)
        try next.requireSomethingToChoose()
        return APIProblem(
            HTTPResponse.Status(code: 510, reasonPhrase: "Not Extended"), code: "form_not_complete",
            "page \(pages.count + 1) of \(session.flow.pages.count) ('\(next.title)') is not answered yet: send the pages again with it",
            extra: [
                "page": .int(pages.count + 1), "pages": .int(session.flow.pages.count), "form": Rendering.form(next), "form_schema": next.jsonSchema,
            ])
    }

    private func listProcesses(_ query: Parameters) async throws -> Response {
        var statuses: Set<ProcessStatus> = []
        for text in query.getAll("status").flatMap({ $0.split(separator: ",") }) {
            guard let status = ProcessStatus(rawValue: String(text)) else {
                throw APIProblem.badRequest(
                    "unknown status '\(text)'",
                    problems: [FieldProblem(field: "status", reason: "one of \(ProcessStatus.allCases.map(\.rawValue).joined(separator: ", "))")])
            }
            statuses.insert(status)
        }
        if let workflow = query.get("workflow"), engine.registry[workflow] == nil {
            throw APIProblem.badRequest(
                "no workflow named '\(workflow)'", problems: [FieldProblem(field: "workflow", reason: "is not a known workflow")])
        }
        var offset = 0
        if let text = query.get("offset") {
            guard let value = Int(text), value >= 0 else {
                throw APIProblem.badRequest(
                    "offset must be a whole number, 0 or more, got '\(text)'", problems: [FieldProblem(field: "offset", reason: "is not 0 or more")])
            }
            offset = value
        }
        let order = query.get("order") ?? "newest"
        guard ["newest", "oldest"].contains(order) else {
            throw APIProblem.badRequest(
                "order is newest or oldest, got '\(order)'", problems: [FieldProblem(field: "order", reason: "is not newest or oldest")])
        }
        var subscription: UUID?
        if let text = query.get("subscription") { subscription = try await subscriptionID(text) }
        let filter = ProcessFilter(
            statuses: statuses, workflow: query.get("workflow"), limit: try Self.limit(query), waitingFor: query.get("assignee"),
            createdBy: query.get("user"), subscriptionID: subscription,
            startedAfter: try query.get("since").map(Self.time(named: "since")), startedBefore: try query.get("until").map(Self.time(named: "until")),
            offset: offset, oldestFirst: order == "oldest")
        let processes = try await store.processes(filter)
        return .json(.array(processes.map { Rendering.process($0, currentVersion: engine.registry[$0.workflowName]?.version) }))
    }

    /// The process of the path (an id or a unique prefix), and who acts on it, allowed to run
    /// its workflow.
    private func actingOn(_ context: APIContext) async throws -> (ProcessID, Identity) {
        let id = try await processID(context)
        guard let process = try await store.process(id) else { throw APIProblem.notFound("process \(id) does not exist", code: "process_not_found") }
        return (id, try context.require(.run(process.workflowName)))
    }

    private func processID(_ context: APIContext) async throws -> ProcessID {
        try await engine.resolve(try context.parameters.require("id"))
    }
}
