import Foundation
import Logging
import NetBox
import NetBoxLite
import Persistence
import WorkflowEngine
import Workflows

/// A dry run of a workflow (`wf plan`, `wf start --dry-run`): the answers are checked as a
/// start checks them, against the real database and NetBox; then the workflow runs against
/// copies. NetBox is copied into a private NetBoxLite (the same objects and ids, so its
/// writes meet the same validation and allocation rules), and the subscriptions the answers
/// name, with those their blocks point into, into a private database. What the run wrote to
/// the copy's ledger is the plan. Nothing real is written: not NetBox, not the processes,
/// not the subscriptions.
struct WorkflowPlan {
    /// What the plan read, and when.
    struct Read {
        var netbox: String
        var at: Date
        /// How many of each kind of NetBox object were copied.
        var counts: NetBoxSnapshotSummary
        var subscriptions: [SubscriptionModel]
    }

    /// A form the run reached, and whether `--input` answered it.
    struct Ask {
        var form: Form
        var answered: Bool
    }

    var workflow: WorkflowName
    var read: Read
    var changes: [LedgerEntry]
    var asks: [Ask]
    var status: ProcessStatus
    var lastStep: StepKey?
    var failedReason: String?
    var subscription: SubscriptionModel?

    /// Plans `workflow` with `input` (its initial form's answers; answers to the forms it
    /// suspends on, such as `"confirmed": true`, may be in the same object).
    static func make(_ workflow: WorkflowName, input: FormInput, runtime: Runtime, user: String) async throws -> WorkflowPlan {
        let engine = runtime.engine
        let answers = try await initialAnswers(workflow, input: input, engine: engine)
        let later: State =
            switch input {
            case .merged(let all): all
            case .pages(let pages): pages.reduce(State()) { $0.merging($1) }
            }
        let netbox = try await engine.services.netbox()
        let at = Date()
        let snapshot = try await netbox.inventorySnapshot()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wf-plan-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let seed = directory.appendingPathComponent("netbox.json")
        try snapshot.write(to: seed)
        let copy = try await NetBoxLiteServer.start(NetBoxLiteConfiguration(seed: seed))
        let store = try SQLiteStore(path: directory.appendingPathComponent("plan.sqlite").path)
        do {
            try await store.migrate()
            try await store.syncWorkflows(engine.registry.workflows, now: at)
            _ = try await store.syncProducts(engine.products.products, now: at)
            let plan = try await run(
                workflow, answers: answers, later: later, engine: engine, store: store,
                netbox: NetBoxClient(NetBoxConfiguration(url: copy.url, token: copy.token)),
                read: Read(
                    netbox: netbox.configuration.url.absoluteString, at: at, counts: try NetBoxSnapshotSummary(seed: snapshot),
                    subscriptions: try await copySubscriptions(named: answers, from: runtime.store, into: store, products: engine.products)),
                user: user)
            await store.close()
            await copy.stop()
            return plan
        } catch {
            await store.close()
            await copy.stop()
            throw error
        }
    }

    /// The initial form's answers, checked as a start checks them. One object may also hold
    /// the answers to forms the run stops at later (`"confirmed": true`): what is no field of
    /// the initial form is set aside for those, not refused.
    private static func initialAnswers(_ workflow: WorkflowName, input: FormInput, engine: Engine) async throws -> State {
        do {
            return try await engine.validate(workflow, input: input).mergedAnswers
        } catch let refusal as WorkflowError where refusal.code == .invalidInput {
            let unknown = Set(refusal.problems.filter { $0.reason == "is not a field of this form" }.map(\.field))
            guard case .merged(let all) = input, !unknown.isEmpty, unknown.count == refusal.problems.count else { throw refusal }
            return try await engine.validate(workflow, input: .merged(State(all.values.filter { !unknown.contains($0.key) }))).mergedAnswers
        }
    }

    private static func run(
        _ workflow: WorkflowName, answers: State, later: State, engine real: Engine, store: SQLiteStore, netbox: NetBoxClient, read: Read,
        user: String
    ) async throws -> WorkflowPlan {
        var services = Services().registering(netbox).registeringNetBoxReleaser()
        if let plan = real.services.get(IPAMPlan.self) { services.register(plan) }
        var quiet = Logger(label: "wf.plan")
        quiet.logLevel = .error
        let engine = Engine(
            store: store, registry: real.registry, products: real.products, services: services, configuration: real.configuration, logger: quiet)
        var outcome = try await engine.start(workflow, input: .merged(answers), user: user)
        var asks: [Ask] = []
        while outcome.status == .suspended, let form = outcome.form {
            let fields = form.fields.filter { !$0.kind.isReadOnly }.map(\.name)
            let given = State(later.values.filter { fields.contains($0.key) })
            let answered = !given.isEmpty && form.check(given, unknownFieldsAreProblems: false).problems.isEmpty
            asks.append(Ask(form: form, answered: answered))
            guard answered else { break }
            outcome = try await engine.resume(outcome.processID, input: given, user: user)
        }
        var subscription: SubscriptionModel?
        if let json = outcome.state[raw: "subscription"], let carried = try? SubscriptionModel(json: json) {
            subscription = try await store.subscription(carried.subscriptionID) ?? carried
        }
        return WorkflowPlan(
            workflow: workflow, read: read, changes: try await store.ledger(LedgerQuery(processID: outcome.processID)), asks: asks,
            status: outcome.status, lastStep: outcome.lastStep, failedReason: outcome.failedReason, subscription: subscription)
    }

    /// Copies into `copy` the subscriptions the answers name (any answer that is the id of
    /// one) and, first, those whose blocks they point into (a Circuit's Nodes), as they are
    /// now. Returns them in the order copied.
    private static func copySubscriptions(
        named answers: State, from real: any WorkflowStore, into copy: SQLiteStore, products: ProductRegistry
    ) async throws -> [SubscriptionModel] {
        var copied: [SubscriptionModel] = []
        var seen: Set<UUID> = []
        func copyOne(_ id: UUID) async throws {
            guard seen.insert(id).inserted, let model = try await real.subscription(id) else { return }
            let blocks = BlockSchema.instanceIDs(in: model.root).compactMap(UUID.init(uuidString:))
            for owner in Set(try await real.owners(ofBlocks: blocks).values) where owner != id { try await copyOne(owner) }
            try await copy.saveSubscription(
                SubscriptionWrite(model, product: try products.product(named: model.productName)), user: "plan", now: Date())
            copied.append(model)
        }
        for value in answers.values.values {
            if let text = value.stringValue, let id = UUID(uuidString: text) { try await copyOne(id) }
        }
        return copied
    }
}

// MARK: - Showing a plan

extension WorkflowPlan {
    /// One line per NetBox change, as the ledger shows writes; an object the plan creates
    /// has no id yet (the copy's id is not the one NetBox will give it).
    static func line(_ entry: LedgerEntry) -> String {
        guard entry.action == .create else { return LedgerView.line(entry) }
        var what = entry.label ?? entry.key ?? ""
        if entry.objectType == "dcim.cable", case .object(let sent) = entry.sent {
            let ends = ["a_terminations", "b_terminations"].compactMap { side in
                sent[side]?.arrayValue?.compactMap { $0.objectValue?["object_id"]?.intValue }.map { "interface \($0)" }.joined(separator: ", ")
            }
            what = "between " + ends.joined(separator: " and ")
        }
        return "+ \(entry.objectType) \(what) (new)"
    }

    func print(json: Bool) {
        if json {
            printJSON()
            return
        }
        Swift.print("plan for \(workflow): nothing was written (NetBox, processes and subscriptions are as they were)")
        Swift.print(
            "read NetBox \(read.netbox) at \(Rendering.shortTime(read.at)) UTC: \(read.counts)")
        if !read.subscriptions.isEmpty {
            Swift.print(
                "read subscriptions: "
                    + read.subscriptions.map { "\($0.subscriptionID.uuidString.lowercased().prefix(8)) (\($0.description))" }.joined(
                        separator: ", "))
        }
        Swift.print(changes.isEmpty ? "NetBox changes it would make: none" : "NetBox changes it would make, in order:")
        for entry in changes { Swift.print("  " + Self.line(entry)) }
        for ask in asks {
            Swift.print(
                "would ask: \(ask.form.title)" + (ask.form.assignee.map { " (assigned to \($0))" } ?? "")
                    + (ask.answered ? ", answered from --input" : ""))
            for field in ask.form.fields where field.kind == .display {
                Swift.print("  \(field.label):")
                for line in (field.text ?? "").split(separator: "\n", omittingEmptySubsequences: false) { Swift.print("    \(line)") }
            }
            if !ask.answered {
                let names = ask.form.fields.filter { !$0.kind.isReadOnly }.map { "\"\($0.name)\"" }
                Swift.print("  the plan stops here: give \(names.joined(separator: ", ")) in --input to plan past it")
            }
        }
        let ending =
            switch status {
            case .completed: "it would complete"
            case .suspended: "it would wait at \(lastStep?.rawValue ?? "?")"
            default: "it would stop \(status.rawValue) at \(lastStep?.rawValue ?? "?"): \(failedReason ?? "")"
            }
        Swift.print(ending)
        if let subscription {
            Swift.print(
                "subscription it would leave: \(subscription.subscriptionID.uuidString.lowercased().prefix(8)) \(subscription.productName) "
                    + "\"\(subscription.description)\", \(subscription.status.rawValue)")
            SubscriptionView.printModel(subscription, lockedBy: nil, usedBy: [])
        }
    }

    private func printJSON() {
        JSONValue.object([
            "workflow": .string(workflow), "nothing_written": true,
            "read": .object([
                "netbox": .string(read.netbox), "at": .string(UTCTimeText.text(read.at)),
                "netbox_objects": .object([
                    "devices": .int(read.counts.devices), "interfaces": .int(read.counts.interfaces), "prefixes": .int(read.counts.prefixes),
                    "cables": .int(read.counts.cables), "ip_addresses": .int(read.counts.ipAddresses),
                ]),
                "subscriptions": .array(read.subscriptions.map { .string($0.subscriptionID.uuidString.lowercased()) }),
            ]),
            "netbox_changes": .array(
                changes.map { entry in
                    .object([
                        "action": .string(entry.action.rawValue), "object_type": .string(entry.objectType),
                        "object_id": entry.action == .create ? .null : entry.objectID.map(JSONValue.int) ?? .null,
                        "label": entry.label.map(JSONValue.string) ?? .null, "sent": entry.sent, "replaced": entry.replaced ?? .null,
                        "line": .string(Self.line(entry)),
                    ])
                }),
            "asks": .array(asks.map { .object(["form": Rendering.form($0.form), "answered": .bool($0.answered)]) }),
            "status": .string(status.rawValue), "last_step": lastStep.map { .string($0.rawValue) } ?? .null,
            "failed_reason": failedReason.map(JSONValue.string) ?? .null,
            "subscription": subscription?.json ?? .null,
        ]).printJSON()
    }
}
