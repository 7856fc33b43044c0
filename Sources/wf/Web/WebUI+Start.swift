import Foundation
import Hummingbird
import WorkflowEngine

/// Starting a workflow from the browser: its initial form page by page, each page built
/// from the answers before it (as at the terminal), errors next to their fields, "back" to
/// change an earlier page, and a summary before anything is stored. The pages answered so
/// far travel with the form (a hidden field), so any `wf serve` can take the next step.
extension WebUI {
    func startPage(_ name: String, query: Parameters, identity: Identity) async throws -> Outcome {
        let workflow = try allowedWorkflow(name, identity: identity)
        // A workflow started from a subscription's page comes with it chosen.
        var prefill: [String: [String]] = [:]
        for (key, value) in query { prefill[String(key), default: []].append(String(value)) }
        return try await wizard(workflow, pages: [], index: 0, values: prefill, problems: [], error: nil)
    }

    func startStep(_ name: String, request: Request, context: APIContext, identity: Identity) async throws -> Outcome {
        let workflow = try allowedWorkflow(name, identity: identity)
        let form = try await WebFormData.read(request, context: context)
        guard WebSession.checkCSRF(form, context: context) else {
            throw WebRefusal(
                status: .forbidden, heading: "Not sent from this page",
                message: "The form did not carry this session's check value: start again from the workflow's page.", back: "/start/\(name)")
        }
        let pages = try Self.pages(form.first("pages"))
        let count = workflow.initialForm?.pages.count ?? 0
        let index = min(max(0, Int(form.first("page") ?? "") ?? pages.count), count)
        switch form.first("action") {
        case "find":
            // The same page again, its long choice lists narrowed, nothing checked yet.
            return try await wizard(workflow, pages: Array(pages.prefix(index)), index: index, values: form.values, problems: [], error: nil)
        case "back":
            // The page before, with what was answered on it; later answers are asked again.
            let previous = max(0, index - 1)
            let values = previous < pages.count ? WebForms.posted(pages[previous]) : [:]
            return try await wizard(workflow, pages: Array(pages.prefix(previous)), index: previous, values: values, problems: [], error: nil)
        case "create":
            do {
                let session = workflow.initialForm.map(engine.makeFormSession)
                let outcome = try await engine.start(name, input: .pages(pages), session: session, user: identity.user)
                return .redirect("/processes/\(outcome.processID)")
            } catch let error as WorkflowError where error.code == .invalidInput || error.code == .nothingToChoose {
                // Something changed since the summary (a port taken meanwhile): say so on the summary.
                return try await wizard(workflow, pages: pages, index: count, values: [:], problems: error.problems, error: describe(error))
            }
        default:
            return try await answer(workflow, pages: Array(pages.prefix(index)), index: index, posted: form)
        }
    }

    private func allowedWorkflow(_ name: String, identity: Identity) throws -> WorkflowDefinition {
        guard let workflow = engine.registry[name] else {
            throw WebRefusal.notFound("There is no workflow named '\(name)'.", back: "/workflows")
        }
        guard identity.allows(.run(name)) else {
            throw WebRefusal(
                status: .forbidden, heading: "Not allowed",
                message: "\(identity.user) (\(identity.role.rawValue)) may not run workflow \(name).", back: "/workflows")
        }
        return workflow
    }

    /// Checks the page just posted; on to the next page (or the summary) when it is right,
    /// the same page with its problems otherwise.
    private func answer(_ workflow: WorkflowDefinition, pages: [State], index: Int, posted: WebFormData) async throws -> Outcome {
        guard let flow = workflow.initialForm, index < flow.pages.count else {
            return try await wizard(workflow, pages: pages, index: index, values: [:], problems: [], error: nil)
        }
        let session = engine.makeFormSession(flow)
        let earlier = try await accepted(pages, session: session)
        let form = try await session.page(index, answers: earlier)
        let answer: State
        do {
            answer = try WebForms.answers(form, from: posted)
            let accepted = try session.accept(index, form: form, answer: answer, earlier: earlier)
            if index + 1 < flow.pages.count {
                // The next page is built from this one's answers, and may refuse them (a subscription of the wrong kind).
                _ = try await session.page(index + 1, answers: earlier.merging(accepted))
            }
        } catch let problems as WebForms.Problems {
            return try await wizard(workflow, pages: pages, index: index, values: posted.values, problems: problems.problems, error: problems.message)
        } catch let error as WorkflowError where error.code == .invalidInput {
            return try await wizard(workflow, pages: pages, index: index, values: posted.values, problems: error.problems, error: describe(error))
        }
        return try await wizard(workflow, pages: pages + [answer], index: index + 1, values: [:], problems: [], error: nil)
    }

    /// The accepted answers of `pages` merged, each page checked again (they came from the browser).
    private func accepted(_ pages: [State], session: FormSession) async throws -> State {
        var earlier = State()
        for (index, answer) in pages.enumerated() {
            let form = try await session.page(index, answers: earlier)
            earlier = earlier.merging(try session.accept(index, form: form, answer: answer, earlier: earlier))
        }
        return earlier
    }

    /// Page `index` of the workflow's form (or the summary once every page is answered).
    private func wizard(
        _ workflow: WorkflowDefinition, pages: [State], index: Int, values: [String: [String]], problems: [FieldProblem], error: String?
    ) async throws -> Outcome {
        let flow = workflow.initialForm
        let count = flow?.pages.count ?? 0
        var context: [String: Any] = [
            "workflow": workflow.name, "description": workflow.description, "pages_json": JSONValue.array(pages.map(\.json)).jsonText,
            "page_index": index, "page_count": count, "error": error ?? false,
            "page_names": (flow?.pages ?? []).enumerated().map { ["title": $1.title, "current": $0 == index] },
        ]
        let session = flow.map(engine.makeFormSession)
        var earlier = State()
        var answered: [AnsweredPage] = []
        if let session {
            do {
                for (number, answer) in pages.enumerated() {
                    let form = try await session.page(number, answers: earlier)
                    let accepted = try session.accept(number, form: form, answer: answer, earlier: earlier)
                    answered.append(AnsweredPage(form: form, answers: accepted))
                    earlier = earlier.merging(accepted)
                }
            } catch let error as WorkflowError where error.code == .invalidInput {
                // The answers no longer hold (the inventory changed): start the form again.
                return try await wizard(workflow, pages: [], index: 0, values: [:], problems: [], error: describe(error))
            }
        }
        if let session, index < count {
            let form = try await session.page(index, answers: earlier)
            let answerable = (try? form.requireSomethingToChoose()) != nil
            context["is_page"] = true
            context["page_title"] = form.title
            context["page_number"] = index + 1
            context["fields"] = WebForms.fields(form, values: values, problems: problems, page: form.name)
            context["can_back"] = index > 0
            context["can_answer"] = answerable
            if !answerable, error == nil, let reason = form.answerableFields.compactMap(\.nothingToChoose).first {
                context["error"] = "This workflow cannot start now: \(reason)"
            }
        } else {
            context["is_summary"] = true
            context["summary"] = answered.map { page -> [String: Any] in
                [
                    "title": page.form.title,
                    "answers": page.form.answerableFields.compactMap { field -> [String: Any]? in
                        guard let value = page.answers[raw: field.name] else { return nil }
                        return ["label": field.label, "value": field.label(of: value)]
                    },
                ]
            }
        }
        return .render("start", context, nav: "workflows", status: error == nil ? .ok : .badRequest)
    }

    /// `message: field: reason; …`, for the top of a page.
    private func describe(_ error: WorkflowError) -> String {
        error.problems.isEmpty ? error.message : error.message + ": " + error.problems.map { "\($0.field): \($0.reason)" }.joined(separator: "; ")
    }

    /// The hidden list of pages answered so far; anything else is refused as tampering.
    static func pages(_ text: String?) throws -> [State] {
        guard let text, !text.isEmpty else { return [] }
        guard case .array(let items) = try? JSONValue.parse(text) else {
            throw WebRefusal(status: .badRequest, heading: "Cannot read the form", message: "The answered pages are not a JSON list.")
        }
        return try items.map { item in
            guard case .object(let values) = item else {
                throw WebRefusal(status: .badRequest, heading: "Cannot read the form", message: "An answered page is not a JSON object.")
            }
            return State(values)
        }
    }
}
