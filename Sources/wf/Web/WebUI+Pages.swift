import Foundation
import Hummingbird
import Persistence
import WorkflowEngine
import Workflows

extension WebUI {
    static let pageSize = 50

    // MARK: - Home

    func home(_ identity: Identity) async throws -> Outcome {
        let counts = try await store.processCounts()
        // What waits for this person first: assigned to them, then to anyone, then to others;
        // two short reads (each record carries its state), not every suspended process.
        let mine = try await store.processes(ProcessFilter(statuses: [.suspended], limit: 20, waitingFor: identity.user))
        let newest = try await store.processes(ProcessFilter(statuses: [.suspended], limit: 20))
        let ordered = (mine + newest.filter { $0.form?.assignee != identity.user })
            .enumerated().sorted { (rank($0.element.form?.assignee, identity), $0.offset) < (rank($1.element.form?.assignee, identity), $1.offset) }
            .map(\.element).prefix(20)
        let troubled = try await store.processes(ProcessFilter(statuses: [.failed, .waiting, .apiUnavailable, .inconsistentData], limit: 20))
        let recent = try await store.processes(ProcessFilter(limit: 12))
        return .render(
            "home",
            [
                "counts": ProcessStatus.allCases.compactMap { status in
                    counts[status].map { ["status": status.rawValue, "n": $0] as [String: Any] }
                },
                "waiting": ordered.map { process -> [String: Any] in
                    row(process).merging(
                        ["form": process.form?.title ?? "", "assignee": process.form?.assignee ?? "anyone", "time": short(process.lastModifiedAt)],
                        uniquingKeysWith: { $1 })
                },
                "has_waiting": !ordered.isEmpty,
                "troubled": troubled.map { row($0).merging(["reason": $0.failedReason ?? ""], uniquingKeysWith: { $1 }) },
                "has_troubled": !troubled.isEmpty,
                "recent": recent.map(row), "has_recent": !recent.isEmpty,
            ], nav: "home")
    }

    private func rank(_ assignee: String?, _ identity: Identity) -> Int {
        guard let assignee else { return 1 }
        return assignee == identity.user ? 0 : 2
    }

    func row(_ process: ProcessRecord) -> [String: Any] {
        [
            "id": process.processID.description, "short": String(process.processID.description.prefix(8)), "workflow": process.workflowName,
            "status": process.status.rawValue, "step": process.lastStep?.rawValue ?? "", "time": short(process.startedAt), "user": process.createdBy,
            "assignee": process.status == .suspended ? (process.form?.assignee ?? "anyone") : "",
        ]
    }

    func short(_ date: Date) -> String { String(Rendering.shortTime(date).prefix(19)) }

    // MARK: - Subscriptions

    func subscriptions(_ query: Parameters, uri: String) async throws -> Outcome {
        var filter = SubscriptionFilter(limit: Self.pageSize + 1)
        var problems: [String] = []
        let product = nonEmpty(query.get("product"))
        filter.product = product
        if let status = nonEmpty(query.get("status")) {
            if let lifecycle = Lifecycle(rawValue: status) { filter.statuses = [lifecycle] } else { problems.append("unknown status '\(status)'") }
        }
        switch query.get("insync") {
        case "yes": filter.insync = true
        case "no": filter.insync = false
        default: break
        }
        filter.customer = nonEmpty(query.get("customer"))
        filter.text = nonEmpty(query.get("q"))
        if let whereText = nonEmpty(query.get("where")) {
            let parts = whereText.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty {
                filter.whereValue = (parts[0], parts[1])
            } else {
                problems.append("a block value is FIELD=VALUE, such as node_name=loc1-core; got '\(whereText)'")
            }
        }
        let sort = query.get("sort").flatMap(SubscriptionFilter.Order.init) ?? .description
        filter.order = sort
        let offset = max(0, query.get("offset").flatMap(Int.init) ?? 0)
        filter.offset = offset
        let found = problems.isEmpty ? try await store.subscriptions(filter) : []
        let rows = found.prefix(Self.pageSize)
        let products = try await store.productRows().map(\.name).sorted()
        return .render(
            "subscriptions",
            [
                "q": query.get("q") ?? "", "customer": query.get("customer") ?? "", "where": query.get("where") ?? "",
                "products": products.map { ["name": $0, "selected": $0 == product] },
                "statuses": Lifecycle.allCases.map { ["name": $0.rawValue, "selected": filter.statuses.contains($0)] },
                "insync_yes": filter.insync == true, "insync_no": filter.insync == false,
                "sorts": SubscriptionFilter.Order.allCases.map { ["name": $0.rawValue, "label": "by \($0.rawValue)", "selected": $0 == sort] },
                "error": problems.isEmpty ? false : problems.joined(separator: "; "),
                "rows": rows.map { summary -> [String: Any] in
                    [
                        "id": summary.subscriptionID.uuidString.lowercased(),
                        "short": String(summary.subscriptionID.uuidString.lowercased().prefix(8)),
                        "product": summary.productName, "description": summary.description, "customer": summary.customerID,
                        "status": summary.status.rawValue, "insync": summary.insync,
                        "held_by": summary.lockedBy?.description ?? false,
                        "held_short": summary.lockedBy.map { String($0.description.prefix(8)) } ?? "",
                    ]
                },
                "has_rows": !rows.isEmpty,
                "empty": query.uriHasFilters
                    ? "No subscription matches these filters." : "No subscriptions yet. Start create_node to enrol a router.",
                "range": rows.isEmpty ? "" : "\(offset + 1)–\(offset + rows.count)",
                "previous": offset > 0 ? pageLink(uri, offset: max(0, offset - Self.pageSize)) : false,
                "next": found.count > Self.pageSize ? pageLink(uri, offset: offset + Self.pageSize) : false,
            ], nav: "subscriptions")
    }

    func nonEmpty(_ text: String?) -> String? {
        guard let text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        return text
    }

    /// The same page of `uri` with another `offset`.
    func pageLink(_ uri: String, offset: Int) -> String {
        var components = URLComponents(string: uri) ?? URLComponents()
        var items = (components.queryItems ?? []).filter { $0.name != "offset" }
        items.append(URLQueryItem(name: "offset", value: String(offset)))
        components.queryItems = items
        return components.string ?? uri
    }

    // MARK: - A subscription

    func subscription(_ text: String, query: Parameters, identity: Identity) async throws -> Outcome {
        let id: UUID
        do {
            id = try await runtime.subscriptionID(text)
        } catch {
            throw WebRefusal.notFound("\(error)", back: "/subscriptions")
        }
        var time: Date?
        if let at = nonEmpty(query.get("at")) {
            do {
                time = try TimeArgument.parse(at.replacingOccurrences(of: "T", with: " "))
            } catch {
                throw WebRefusal(status: .badRequest, heading: "Cannot show that time", message: "\(error)", back: "/subscriptions/\(id)")
            }
        }
        guard let records = try await store.subscriptionRecords(id, at: time) else {
            let when = time.map { "did not exist yet at \(Rendering.shortTime($0)) UTC" } ?? "does not exist"
            throw WebRefusal.notFound("Subscription \(id.uuidString.lowercased()) \(when).", back: "/subscriptions/\(id.uuidString.lowercased())")
        }
        let key = id.uuidString.lowercased()
        let model = records.model
        var workflows: [[String: Any]] = []
        if time == nil {
            for name in engine.products[model.productName]?.workflows ?? [] {
                guard let workflow = engine.registry[name], workflow.target != .create else { continue }
                var refusal = try await engine.refusal(of: name, on: id)
                if refusal == nil, !identity.allows(.run(name)) { refusal = "your token does not allow \(name)" }
                workflows.append([
                    "name": name, "description": workflow.description, "allowed": refusal == nil, "reason": refusal ?? "", "subscription": key,
                ])
            }
        }
        let history = try await SubscriptionView.history(of: id, store: store)
        let dependsOn = try await dependencies(of: model)
        let versions = try await store.versions(of: id)
        var values: [String: Any] = [:]
        values["id"] = key
        values["short"] = String(key.prefix(8))
        values["description"] = model.description
        values["product"] = model.productName
        values["status"] = model.status.rawValue
        values["insync"] = model.insync
        values["customer"] = model.customerID
        values["held_by"] = records.lockedBy?.description ?? false
        values["held_short"] = records.lockedBy.map { String($0.description.prefix(8)) } ?? ""
        let usedBy: [[String: Any]] = records.usedBy.map { ["id": $0.subscriptionID.uuidString.lowercased(), "description": $0.description] }
        values["used_by"] = usedBy
        values["has_used_by"] = !usedBy.isEmpty
        values["depends_on"] = dependsOn
        values["has_depends_on"] = !dependsOn.isEmpty
        values["past"] = time.map { Rendering.shortTime($0) } ?? false
        values["at_value"] = time.map(Self.localInput) ?? ""
        values["at_min"] = versions.first.map { Self.localInput($0.time) } ?? ""
        values["at_max"] = Self.localInput(Date())
        values["tree"] = tree(of: model.json.objectValue?["root"] ?? .null, key: "root", links: dependsOn)
        values["workflows"] = workflows
        values["history"] = history.reversed().map(historyItem)
        return .render("subscription", values, nav: "subscriptions")
    }

    /// `YYYY-MM-DDTHH:MM:SS.mmm` in UTC, as `<input type="datetime-local">` takes it.
    static func localInput(_ date: Date) -> String {
        UTCTimeText.text(date, separator: "T", zone: "")
    }

    /// The other subscriptions whose blocks this one uses (a Circuit's Nodes), found by the
    /// names its nested blocks carry.
    private func dependencies(of model: SubscriptionModel) async throws -> [[String: Any]] {
        var names: Set<String> = []
        func walk(_ value: JSONValue, top: Bool) {
            switch value {
            case .object(let members):
                if !top, let name = members["node_name"]?.stringValue { names.insert(name) }
                for (_, member) in members { walk(member, top: false) }
            case .array(let items): for item in items { walk(item, top: false) }
            default: break
            }
        }
        walk(model.json.objectValue?["root"] ?? .null, top: true)
        var found: [[String: Any]] = []
        for name in names.sorted() {
            for summary in try await store.subscriptions(SubscriptionFilter(whereValue: ("node_name", name), limit: 5))
            where summary.subscriptionID != model.subscriptionID && summary.status != .terminated {
                found.append([
                    "id": summary.subscriptionID.uuidString.lowercased(), "description": summary.description, "node_name": name,
                ])
            }
        }
        return found
    }

    /// The model as nested lists: a value per line, a block or list as a group that opens;
    /// a block naming a node of another subscription links to it.
    private func tree(of value: JSONValue, key: String, links: [[String: Any]]) -> [[String: Any]] {
        guard case .object(let members) = value else { return [] }
        return members.keys.sorted().filter { $0 != "subscription_instance_id" }.map { name in
            item(members[name] ?? .null, key: name, links: links)
        }
    }

    private func item(_ value: JSONValue, key: String, links: [[String: Any]]) -> [String: Any] {
        switch value {
        case .object(let members):
            // `link` always set: Mustache would otherwise take the enclosing block's link for this one.
            var item: [String: Any] = ["key": key, "scalar": false, "children": tree(of: value, key: key, links: links), "link": false]
            if let name = members["node_name"]?.stringValue, let link = links.first(where: { $0["node_name"] as? String == name }) {
                item["link"] = "/subscriptions/\(link["id"] as? String ?? "")"
                item["link_label"] = "open \(name)"
            }
            return item
        case .array(let items):
            return [
                "key": key, "scalar": false, "link": false,
                "children": items.enumerated().map { index, element in self.item(element, key: "\(key)[\(index)]", links: links) },
            ]
        default:
            return ["key": key, "scalar": true, "value": value.stringValue ?? value.jsonText, "link": false]
        }
    }

    private func historyItem(_ entry: SubscriptionView.Entry) -> [String: Any] {
        var lines = entry.text.components(separatedBy: "\n")
        let head = lines.removeFirst()
        let title = head.count > 25 ? String(head.dropFirst(25)) : head
        let object = entry.json.objectValue ?? [:]
        let process = object["process_id"]?.stringValue
        return [
            "time": Rendering.shortTime(entry.time), "title": title, "process": process ?? false,
            "process_short": process.map { String($0.prefix(8)) } ?? "",
            "who": object["user"]?.stringValue.map { "by \($0)" } ?? "",
            "lines": lines.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }, "has_lines": lines.count > 0,
        ]
    }

    // MARK: - Processes

    func processes(_ query: Parameters, uri: String) async throws -> Outcome {
        var filter = ProcessFilter(limit: Self.pageSize + 1)
        var problems: [String] = []
        if let status = nonEmpty(query.get("status")) {
            if let known = ProcessStatus(rawValue: status) { filter.statuses = [known] } else { problems.append("unknown status '\(status)'") }
        }
        let workflow = nonEmpty(query.get("workflow"))
        if let workflow, engine.registry[workflow] == nil { problems.append("no workflow named '\(workflow)'") }
        filter.workflow = workflow
        filter.createdBy = nonEmpty(query.get("user"))
        filter.waitingFor = nonEmpty(query.get("assignee"))
        let offset = max(0, query.get("offset").flatMap(Int.init) ?? 0)
        filter.offset = offset
        let found = problems.isEmpty ? try await store.processes(filter) : []
        let rows = found.prefix(Self.pageSize)
        return .render(
            "processes",
            [
                "statuses": ProcessStatus.allCases.map { ["name": $0.rawValue, "selected": filter.statuses.contains($0)] },
                "workflows": engine.registry.workflows.map(\.name).sorted().map { ["name": $0, "selected": $0 == workflow] },
                "user_filter": query.get("user") ?? "", "assignee": query.get("assignee") ?? "",
                "error": problems.isEmpty ? false : problems.joined(separator: "; "),
                "rows": rows.map(row), "has_rows": !rows.isEmpty,
                "range": rows.isEmpty ? "" : "\(offset + 1)–\(offset + rows.count)",
                "previous": offset > 0 ? pageLink(uri, offset: max(0, offset - Self.pageSize)) : false,
                "next": found.count > Self.pageSize ? pageLink(uri, offset: offset + Self.pageSize) : false,
            ], nav: "processes")
    }

    func process(_ text: String, identity: Identity, formValues: [String: [String]] = [:], problems: [FieldProblem] = [], error: String? = nil)
        async throws -> Outcome
    {
        let id: ProcessID
        do {
            id = try await engine.resolve(text)
        } catch {
            throw WebRefusal.notFound("\(error)", back: "/processes")
        }
        guard let view = try await ProcessView.Loaded.load(id, store: store, registry: engine.registry) else {
            throw WebRefusal.notFound("Process \(id) does not exist.", back: "/processes")
        }
        let record = view.record
        let mayRun = identity.allows(.run(record.workflowName))
        let mayUndo = identity.allows(.run(UndoProcess.name)) && record.workflowName != UndoProcess.name
        let subscription = record.state[raw: "subscription"]?.objectValue?["subscription_id"]?.stringValue
        var undoneBy: ProcessRecord?
        if record.status == .aborted, let held = UndoProcess.subscriptionID(in: record.state) {
            undoneBy = try await UndoProcess.undo(of: id, subscription: held, store: store)
        }
        var values: [String: Any] = [
            "id": id.description, "short": String(id.description.prefix(8)), "workflow": record.workflowName, "status": record.status.rawValue,
            "started": short(record.startedAt), "user": record.createdBy, "reason": record.failedReason ?? false,
            "subscription": subscription ?? false, "subscription_short": subscription.map { String($0.prefix(8)) } ?? "",
            "runner": record.leaseOwner ?? false, "retry_at": record.nextRetryAt.map(short) ?? false,
            "live": !record.status.isFinal && record.status != .failed,
            "can_retry": mayRun && ProcessTransitions.sources(of: .retry).contains(record.status),
            "can_abort": mayRun && !record.status.isFinal,
            "can_undo": mayRun && mayUndo && !record.status.isFinal,
            "undo_aborted": mayRun && mayUndo && record.status == .aborted && undoneBy == nil,
            "undone_by": undoneBy.map { ["id": $0.processID.description, "short": String($0.processID.description.prefix(8))] } ?? false,
            "steps": view.changes.reversed().map { step, change -> [String: Any] in
                let netbox = (view.ledger.bySteps[step.stepID] ?? []).map { "NetBox " + LedgerView.line($0) }
                return [
                    "name": step.key.rawValue, "status": step.status.rawValue, "time": short(step.completedAt),
                    "duration": String(format: "%.0f ms", max(0, step.completedAt.timeIntervalSince(step.startedAt)) * 1000),
                    "attempt": step.attempt, "user": step.createdBy, "reason": step.failedReason ?? false,
                    "lines": change.lines, "has_lines": !change.lines.isEmpty, "netbox": netbox, "has_netbox": !netbox.isEmpty,
                ]
            },
        ]
        if let form = record.form, record.status == .suspended {
            values["form"] =
                [
                    "title": form.title, "assignee": form.assignee ?? false, "can_resume": mayRun,
                    "fields": WebForms.fields(form, values: formValues, problems: problems, page: form.name),
                    "error": error ?? false, "id": id.description,
                ] as [String: Any]
        }
        return .render("process", values, nav: "processes", status: problems.isEmpty && error == nil ? .ok : .badRequest)
    }

    /// Resume (with the form's answers), retry or abort, then back to the process page.
    func act(_ action: String, on text: String, request: Request, context: APIContext, identity: Identity) async throws -> Outcome {
        let form = try await WebFormData.read(request, context: context)
        guard WebSession.checkCSRF(form, context: context) else {
            throw WebRefusal(
                status: .forbidden, heading: "Not sent from this page",
                message: "The form did not carry this session's check value: reload the page and try again.", back: "/processes/\(text)")
        }
        let id = try await engine.resolve(text)
        guard let record = try await store.process(id) else { throw WebRefusal.notFound("Process \(id) does not exist.", back: "/processes") }
        _ = try context.require(.run(record.workflowName))
        switch action {
        case "resume" where form.first("action") == "find":
            // The form again, its long choice lists narrowed, nothing answered yet.
            return try await process(text, identity: identity, formValues: form.values)
        case "resume":
            guard let stored = record.form else {
                throw WebRefusal(
                    status: .conflict, heading: "Nothing to answer", message: "Process \(id) waits for no answer: it is \(record.status.rawValue).",
                    back: "/processes/\(id)")
            }
            let answers: State
            do {
                answers = try WebForms.answers(stored, from: form)
            } catch let error as WebForms.Problems {
                return try await process(text, identity: identity, formValues: form.values, problems: error.problems, error: error.message)
            }
            do {
                _ = try await engine.resume(id, input: answers, user: identity.user)
            } catch let error as WorkflowError where error.code == .invalidInput {
                return try await process(text, identity: identity, formValues: form.values, problems: error.problems, error: error.message)
            }
        case "retry":
            _ = try await engine.retry(id, user: identity.user)
        default:
            let reason = nonEmpty(form.first("reason")).map { "\($0) (aborted by \(identity.user))" }
            guard form.first("undo") == "1" else {
                _ = try await engine.abort(id, user: identity.user, reason: reason)
                break
            }
            _ = try context.require(.run(UndoProcess.name))
            // The undo's own page: what it deleted and set back, or the conflict that stopped it.
            let (_, undo) = try await UndoProcess.abortAndUndo(id, engine: engine, user: identity.user, reason: reason)
            if let undo { return .redirect("/processes/\(undo.processID)") }
        }
        return .redirect("/processes/\(id)")
    }

    // MARK: - Workflows and the map

    func workflows(_ identity: Identity) -> Outcome {
        .render(
            "workflows",
            [
                "workflows": engine.registry.workflows.sorted { ($0.target.rawValue, $0.name) < ($1.target.rawValue, $1.name) }
                    .map { workflow -> [String: Any] in
                        [
                            "name": workflow.name, "target": workflow.target.rawValue, "description": workflow.description,
                            "allowed": identity.allows(.run(workflow.name)),
                        ]
                    }
            ], nav: "workflows")
    }

    func map(_ query: Parameters) async throws -> Outcome {
        var time: Date?
        if let at = nonEmpty(query.get("at")) {
            do {
                time = try TimeArgument.parse(at.replacingOccurrences(of: "T", with: " "))
            } catch {
                throw WebRefusal(status: .badRequest, heading: "Cannot show that time", message: "\(error)", back: "/map")
            }
        }
        let text = nonEmpty(query.get("q"))
        let store = store
        @Sendable func draw(at time: Date?) async throws -> DrawnMap {
            let map = try await NetworkMap.load(store: store, at: time, text: text)
            return DrawnMap(svg: map.svg(), isEmpty: map.isEmpty, truncated: map.truncated)
        }
        // The map of now is drawn again only once a subscription changed; a past one is
        // what it was and is drawn each time (it is asked for rarely, each time another).
        let map =
            if let time { try await draw(at: time) } else {
                try await engine.subscriptionsCache.value("map|\(text ?? "")", store: engine.subscriptions) { try await draw(at: nil) }
            }
        return .render(
            "map",
            [
                "svg": map.svg, "empty": map.isEmpty, "past": time.map { Rendering.shortTime($0) } ?? false,
                "at_value": time.map(Self.localInput) ?? "", "q": text ?? "",
                "truncated": map.truncated
                    ? "The map shows the first \(NetworkMap.defaultLimit) subscriptions only: narrow it with a search." : false,
            ], nav: "map")
    }
}

/// A network map drawn as SVG, with what the page says about it.
struct DrawnMap: Sendable {
    var svg: String
    var isEmpty: Bool
    var truncated: Bool
}

extension Parameters {
    /// Whether any filter of the subscriptions page is set (for its empty-list message).
    fileprivate var uriHasFilters: Bool {
        ["q", "product", "status", "insync", "customer", "where"].contains { !(get($0) ?? "").isEmpty }
    }
}
