import Foundation
import Persistence
import Products
import WorkflowEngine
import Workflows

/// `wf bench --scale N`: loads N subscriptions with their history through the store's bulk
/// path (see `ScaleLoader`), then times what operators and the UI read, each many times with
/// random ids, names and users: p50 and p99 against the goal of 20 ms.
///
/// On SQLite it loads into a fresh temporary file, or into the empty file `--database` names
/// (kept, to look at afterwards); on PostgreSQL into a fresh schema, dropped afterwards.
struct ScaleBench {
    let count: Int
    /// `--database`, if given.
    let database: String?
    /// Where a temporary SQLite file goes (the bench command removes it).
    let directory: URL
    var runs = 200
    /// A measurement that is slow stops after this long (and at least `minimumRuns`).
    var budget = Duration.seconds(15)
    var minimumRuns = 5

    static let goalMillis = 20.0

    func run(json: Bool) async throws -> Int32 {
        let location = try Bench.scratch(database ?? directory.appendingPathComponent("scale.sqlite").path, poolSize: 8)
        let store = try await Stores.openForBulkLoading(location)
        let report: ScaleReport
        do {
            report = try await measure(store)
        } catch {
            await Bench.cleanUp(store)
            throw error
        }
        await Bench.cleanUp(store)
        report.print(json: json)
        return 0
    }

    private func measure(_ store: any WorkflowStore & BulkLoading) async throws -> ScaleReport {
        try await store.migrate()
        let workflows = WorkflowCatalog.all
        let products = try ProductRegistry(ProductCatalog.all)
        try await store.syncWorkflows(workflows, now: Date())
        _ = try await store.syncProducts(products.products, now: Date())
        guard try await store.subscriptions(SubscriptionFilter(limit: 1)).isEmpty else {
            throw CLIError("wf bench --scale loads into an empty database; \(store.locationDescription) has subscriptions already")
        }
        let now = Date()
        var loader = try ScaleLoader(count: count, now: now, workflows: workflows)
        let clock = ContinuousClock()
        let started = clock.now
        var reported = 0
        let counts = try await loader.load(into: store) { done in
            guard done * 10 / count > reported else { return }
            reported = done * 10 / count
            printError("loaded \(done) of \(count) subscriptions (\(Int((clock.now - started).seconds)) s)")
        }
        try await store.finishBulkLoad()
        let loadSeconds = (clock.now - started).seconds
        let samples = loader.samples
        try await checkReadBack(samples.models, store: store)
        var report = ScaleReport(
            dialect: store.dialect, subscriptions: count, nodes: samples.nodeNames.count, loadSeconds: loadSeconds, counts: counts)
        report.figures = try await measurements(
            store: store, samples: samples, now: now,
            engine: Engine(
                store: store, registry: try WorkflowRegistry(workflows), products: products))
        return report
    }

    /// The loaded rows read back as the models the loader meant: the same shapes as the
    /// engine's own writes, or the figures would be about something else.
    private func checkReadBack(_ models: [SubscriptionModel], store: any WorkflowStore) async throws {
        for model in models {
            let stored = try await store.subscription(model.subscriptionID)
            let changes = FieldChange.diff(model.json, stored?.json)
            guard changes.isEmpty else {
                throw CLIError(
                    "subscription \(model.subscriptionID.lowercased) reads back unlike the loader wrote it: "
                        + changes.prefix(3).map {
                            "\($0.path.isEmpty ? "(whole)" : $0.path): \($0.before?.jsonText ?? "absent") -> \($0.after?.jsonText ?? "absent")"
                        }
                        .joined(separator: "; "))
            }
        }
    }

    private func measurements(store: any WorkflowStore, samples: ScaleSamples, now: Date, engine: Engine) async throws -> [ScaleFigure] {
        var rng = ScaleRandom(seed: 0xB0A7)
        func anyID(_ rng: inout ScaleRandom) -> Int { Int.random(in: 0..<samples.subscriptions.count, using: &rng) }
        var figures: [ScaleFigure] = []
        figures.append(
            try await time("subscription show ID", &rng) { rng in
                let id = samples.subscriptions[anyID(&rng)]
                guard try await store.subscriptionRecords(id, at: nil) != nil else { throw CLIError("subscription \(id) not found") }
            })
        figures.append(
            try await time("subscription show PREFIX (8 characters)", &rng) { rng in
                let prefix = String(samples.subscriptions[anyID(&rng)].lowercased.prefix(8))
                // As `wf subscription show` resolves a prefix (two ids may share one at a million).
                guard let id = try await store.subscriptionIDs(withPrefix: prefix, limit: 5).first else {
                    throw CLIError("prefix \(prefix) matched no subscription")
                }
                _ = try await store.subscriptionRecords(id, at: nil)
            })
        figures.append(
            try await time("subscription show ID --at TIME", &rng) { rng in
                let index = anyID(&rng)
                let at = samples.created[index].addingTimeInterval(Double.random(in: 0...now.timeIntervalSince(samples.created[index]), using: &rng))
                guard try await store.subscriptionRecords(samples.subscriptions[index], at: at) != nil else {
                    throw CLIError("subscription \(samples.subscriptions[index]) not found at \(at)")
                }
            })
        figures.append(
            try await time("subscription history ID", &rng) { rng in
                _ = try await SubscriptionView.history(of: samples.subscriptions[anyID(&rng)], store: store)
            })
        figures.append(
            try await time("audit --user USER --since 1d", &rng) { rng in
                _ = try await store.audit(AuditFilter(user: rng.pick(ScaleLoader.users + ScaleLoader.noc), since: now - 86_400))
            })
        figures.append(
            try await time("subscriptions --where node_name=NAME", &rng) { rng in
                let name = rng.pick(samples.nodeNames)
                guard try await store.subscriptions(SubscriptionFilter(whereValue: ("node_name", name))).count == 1 else {
                    throw CLIError("node_name=\(name) did not find its Node")
                }
            })
        figures.append(
            try await time("subscriptions --where port_name=NAME", &rng) { rng in
                _ = try await store.subscriptions(SubscriptionFilter(whereValue: ("port_name", rng.pick(samples.portNames))))
            })
        figures.append(try await time("processes (first page)", &rng) { _ in _ = try await store.processes(ProcessFilter()) })
        figures.append(
            try await time("processes --status suspended --waiting-for noc", &rng) { _ in
                _ = try await store.processes(ProcessFilter(statuses: [.suspended], waitingFor: WorkshopTeams.configuration))
            })
        figures.append(
            try await time("processes --workflow WORKFLOW", &rng) { rng in
                _ = try await store.processes(ProcessFilter(workflow: rng.pick(engine.registry.workflows).name))
            })
        figures.append(
            try await time("GET /api/processes?user=USER&status=completed", &rng) { rng in
                _ = try await store.processes(ProcessFilter(statuses: [.completed], createdBy: rng.pick(ScaleLoader.users)))
            })
        figures.append(
            try await time("process show PREFIX (8 characters)", &rng) { rng in
                let prefix = String(rng.pick(samples.processes).description.prefix(8))
                guard let id = try await store.processIDs(withPrefix: prefix, limit: 5).first else {
                    throw CLIError("prefix \(prefix) matched no process")
                }
                _ = try await store.processRecords(id)
            })
        var offered = 0
        let createCircuit = try engine.registry.workflow(named: CreateCircuit.name)
        guard let form = createCircuit.initialForm else { throw CLIError("create_circuit has no form") }
        var figure = try await time("create_circuit form: A-side nodes", &rng) { _ in
            let page = try await engine.makeFormSession(form).page(0, answers: State())
            offered = page.fields.first { $0.name == "node_a" }?.choices?.count ?? 0
        }
        figure.note = "\(offered) active Nodes offered"
        figures.append(figure)
        return figures
    }

    /// Times `body` `runs` times (after three runs not counted), or for `budget` at most.
    private func time(_ name: String, _ rng: inout ScaleRandom, _ body: (inout ScaleRandom) async throws -> Void) async throws -> ScaleFigure {
        let clock = ContinuousClock()
        var times: [Duration] = []
        let started = clock.now
        for run in 0..<(runs + 3) {
            let start = clock.now
            try await body(&rng)
            if run >= 3 { times.append(clock.now - start) }
            if times.count >= minimumRuns && clock.now - started > budget { break }
        }
        return ScaleFigure(name: name, times: times)
    }
}
