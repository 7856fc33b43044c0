import ArgumentParser
import Foundation
import Persistence
import Synchronization
import WorkflowEngine

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the engine: processes/s and per-step overhead, one runner and N workers, against bare commits in the same run.",
        discussion: """
            Build with `swift run -c release wf bench` for meaningful figures. On SQLite it uses a fresh temporary file; with \
            --database postgres://… it works in a fresh schema of that database, dropped afterwards. Three measurements: \
            (1) the floor, single-row insert commits one after another through the store's own connections; (2) one runner \
            starting processes inline, one after another, which gives the engine's overhead per step; (3) in-process workers \
            (--workers, each its own runner) draining processes that are enqueued meanwhile. The limit for a k-step workflow \
            is commits/s divided by k + 1 (its create commit and one per step).
            """)

    @Option(name: [.customShort("n"), .long], help: "How many processes per measurement.") var processes = 1000
    @Option(name: [.customShort("k"), .long], help: "Trivial steps per process.") var steps = 9
    @Flag(name: .long, help: "The trivial steps are pure: a run of them commits once (see Step.isPure).") var pure = false
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The work each process does: trivial (--steps steps that only change the state), node (orchestrator-core's benchmark "
                + "create_node: a subscription built, stored and saved in eight steps) or circuit (the workshop's create_circuit "
                + "against a NetBoxLite in this process, config confirmed; one runner only).")
    )
    var scenario: Scenario = .trivial
    @Option(name: .long, help: "How many bare commits to time for the floor.") var commits = 2000
    @Option(name: .long, help: "Worker counts to measure, comma-separated (none: skip).") var workers = "1,4"
    @Option(name: .long, help: "Processes each worker runs at once.") var concurrency = 4
    @Option(name: .long, help: "A SQLite file or a postgres:// URL (default: a fresh temporary SQLite file).") var database: String?
    @Flag(name: .long, help: "Instead, the HTTP API: reads, start and resume round trips, start-up time and memory of wf serve.") var api = false
    @Option(name: .long, help: "With --api: seconds of load per route.") var seconds = 5.0
    @Option(name: .long, help: "With --api: concurrent connections.") var connections = 4
    @Option(name: .long, help: "With --api: start and resume round trips to time.") var rounds = 200
    @Option(name: .long, help: "Instead, load this many subscriptions with their history in bulk and time what operators read.") var scale: Int?
    @Flag(name: .long, help: "Instead, the web UI's server time per page on --database as it is (with --scale: on what it loaded).")
    var ui = false
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if ui, api { throw ValidationError("--ui and --api measure different things: pick one") }
        if ui, scale == nil, database == nil {
            throw ValidationError("--ui times pages on a database: name it with --database, or load one with --scale")
        }
        if let scale, scale < 20 || api { throw ValidationError("--scale takes at least 20 subscriptions, and not with --api") }
        guard seconds > 0, (1...256).contains(connections), rounds > 0 else {
            throw ValidationError("--seconds and --rounds must be positive, --connections from 1 to 256")
        }
        guard processes > 0, steps > 0, commits > 0, concurrency > 0 else {
            throw ValidationError("--processes, --steps, --commits and --concurrency must be positive")
        }
        _ = try workerCounts()
    }

    func workerCounts() throws -> [Int] {
        guard workers != "none", !workers.isEmpty else { return [] }
        return try workers.split(separator: ",").map { text in
            guard let count = Int(text.trimmingCharacters(in: .whitespaces)), (1...64).contains(count) else {
                throw ValidationError("--workers takes counts from 1 to 64 separated by commas, got '\(workers)'")
            }
            return count
        }
    }

    func run() async throws {
        try await runCommand {
            Runtime.bootstrapLogging()
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wf-bench-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: directory) }
            if api {
                guard database == nil else { throw CLIError("--api measures on a fresh temporary SQLite file; leave out --database") }
                let bench = APIBench(
                    database: directory.appendingPathComponent("api.sqlite").path, seconds: seconds, connections: connections, rounds: rounds)
                return try await bench.run(json: output.json)
            }
            if ui, scale == nil, let database {
                var options = DatabaseOptions()
                options.database = database
                let runtime = try await Runtime.open(options)
                let figures = try await WebPageBench(runtime: runtime, rounds: rounds == 200 ? 50 : rounds).run()
                WebPageBench.report(figures, heading: "wf bench --ui on \(runtime.store.locationDescription)", json: output.json)
                return 0
            }
            if let scale { return try await ScaleBench(count: scale, database: database, directory: directory).run(json: output.json) }
            let location = try Self.scratch(database ?? directory.appendingPathComponent("bench.sqlite").path, poolSize: 8 + 64 * concurrency)
            if scenario == .circuit {
                guard processes <= 2000 else {
                    throw CLIError("--scenario circuit runs at most 2000 processes (its ring of routers has 254 loopbacks)")
                }
                try await CircuitScenario(processes: processes, location: location).run().print(json: output.json)
                return 0
            }
            let store = try await Stores.openForBenchmark(location)
            try await store.migrate()
            let marks = StepMarks()
            let workflow = scenario == .node ? NodeScenario.workflow : Self.trivialWorkflow(steps: steps, pure: pure, marks: marks)
            let products = try ProductRegistry(scenario == .node ? [NodeScenario.product] : [])
            try await store.syncWorkflows([workflow], now: Date())
            if !products.products.isEmpty { _ = try await store.syncProducts(products.products, now: Date()) }
            let registry = try WorkflowRegistry([workflow])
            let engine = Engine(store: store, registry: registry, products: products)
            let report: BenchReport
            do {
                try await store.prepareBareCommitTable()
                // Warm-up, so the first process does not pay for preparing statements and connections.
                for _ in 0..<20 { _ = try await engine.start(workflow.name, user: "bench") }
                var measured = try await measureInline(store: store, engine: engine, workflow: workflow, marks: marks)
                marks.recording.store(false, ordering: .relaxed)
                for count in try workerCounts() {
                    measured.workers.append(
                        try await measureWorkers(count, store: store, registry: registry, products: products, workflow: workflow))
                }
                report = measured
                try await store.dropBareCommitTable()
            } catch {
                await Self.cleanUp(store)
                throw error
            }
            await Self.cleanUp(store)
            report.print(json: output.json)
            return 0
        }
    }

    /// A PostgreSQL URL gets a fresh schema of its own (and a pool large enough for the workers).
    static func scratch(_ location: String, poolSize: Int) throws -> String {
        guard PostgresLocation.isPostgres(location) else { return location }
        let parsed = try PostgresLocation(location)
        guard parsed.schema == nil else {
            throw CLIError("wf bench works in a schema of its own and drops it afterwards: give the URL without schema=")
        }
        let schema = "wf_bench_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
        let separator = location.contains("?") ? "&" : "?"
        return location + separator + "schema=\(schema)" + (location.contains("pool=") ? "" : "&pool=\(min(200, poolSize))")
    }

    static func cleanUp(_ store: any WorkflowStore) async {
        if let postgres = store as? PostgresStore { try? await postgres.dropSchema() }
        await store.close()
    }

    static func trivialWorkflow(steps: Int, pure: Bool = false, marks: StepMarks) -> WorkflowDefinition {
        let clock = ContinuousClock()
        var list = begin
        for index in 1...steps {
            list =
                list
                >>> Step(StepKey("step_\(index)"), pure: pure) { _ in
                    if marks.recording.load(ordering: .relaxed) { marks.instants.withLock { $0.append(clock.now) } }
                    return .success(["step_\(index)": .int(index)])
                }
        }
        return WorkflowDefinition(name: "bench_trivial_\(steps)\(pure ? "_pure" : "")", target: .system, description: "benchmark", steps: list)
    }

    /// The floor and one inline runner, in interleaved rounds so that both see the same machine.
    private func measureInline(
        store: any WorkflowStore & BenchmarkFloor, engine: Engine, workflow: WorkflowDefinition, marks: StepMarks
    ) async throws -> BenchReport {
        let clock = ContinuousClock()
        let rounds = min(10, processes)
        var commitTimes: [Duration] = []
        var stepLatencies: [Duration] = []
        commitTimes.reserveCapacity(commits)
        stepLatencies.reserveCapacity(processes * steps)
        var elapsed = Duration.zero
        var counted = StatementTally()
        var cpu = CPUTime()
        for round in 0..<rounds {
            for index in 0..<(commits / rounds + (round < commits % rounds ? 1 : 0)) {
                let start = clock.now
                try await store.commitBareRow("row \(round)-\(index)")
                commitTimes.append(clock.now - start)
            }
            let before = StatementTally(store)
            let cpuBefore = CPUTime.now()
            let started = clock.now
            for _ in 0..<(processes / rounds + (round < processes % rounds ? 1 : 0)) {
                marks.instants.withLock { $0.removeAll(keepingCapacity: true) }
                let outcome = try await engine.start(workflow.name, user: "bench")
                let end = clock.now
                guard outcome.status == .completed else { throw CLIError("a benchmark process ended \(outcome.status.rawValue)") }
                let instants = marks.instants.withLock { $0 } + [end]
                for index in 0..<(instants.count - 1) { stepLatencies.append(instants[index + 1] - instants[index]) }
            }
            elapsed += clock.now - started
            cpu.add(CPUTime.now().minus(cpuBefore))
            counted.add(StatementTally(store).minus(before))
        }
        let steps = workflow.steps.steps.count
        let perProcess = elapsed / processes
        return BenchReport(
            dialect: store.dialect, scenario: scenario == .node ? "orchestrator-core's create_node" : pure ? "trivial, pure" : "trivial",
            processes: processes,
            steps: steps, seconds: elapsed.seconds,
            processesPerSecond: Double(processes) / elapsed.seconds, overheadPerStepMicros: (perProcess / steps).seconds * 1e6,
            stepP50Micros: Self.percentile(stepLatencies, 0.50).seconds * 1e6, stepP99Micros: Self.percentile(stepLatencies, 0.99).seconds * 1e6,
            commitMeanMicros: Self.mean(commitTimes).seconds * 1e6, commitP50Micros: Self.percentile(commitTimes, 0.50).seconds * 1e6,
            statementsPerProcess: counted.statements.map { Double($0) / Double(processes) },
            commitsPerProcess: counted.transactions.map { Double($0) / Double(processes) }, concurrency: concurrency,
            cpuMicrosPerProcess: cpu.wf.seconds * 1e6 / Double(processes),
            postgresCPUMicrosPerProcess: store.dialect == "postgres" ? cpu.postgres.seconds * 1e6 / Double(processes) : nil)
    }

    /// `count` workers (in this process, each its own runner id) drain `processes` processes
    /// that one enqueuer adds meanwhile; timed from the first enqueue to the last completion.
    private func measureWorkers(
        _ count: Int, store: any WorkflowStore, registry: WorkflowRegistry, products: ProductRegistry, workflow: WorkflowDefinition
    ) async throws -> WorkerFigures {
        let enqueuer = Engine(store: store, registry: registry, products: products)
        let fleet = (0..<count).map { index in
            Worker(
                engine: Engine(
                    store: store, registry: registry, products: products, configuration: EngineConfiguration(runnerID: "bench-worker-\(index)")),
                store: store,
                configuration: WorkerConfiguration(concurrency: concurrency, pollInterval: .milliseconds(200)))
        }
        let before = StatementTally(store)
        let clock = ContinuousClock()
        let started = clock.now
        let elapsed = try await withThrowingTaskGroup(of: Void.self) { group -> Duration in
            for worker in fleet { group.addTask { try await worker.run() } }
            for _ in 0..<processes { _ = try await enqueuer.enqueue(workflow.name, user: "bench") }
            while fleet.reduce(0, { $0 + $1.outcomes.values.reduce(0, +) }) < processes {
                try await Task.sleep(for: .milliseconds(10))
            }
            let elapsed = clock.now - started
            for worker in fleet { worker.stop() }
            try await group.waitForAll()
            return elapsed
        }
        let counted = StatementTally(store).minus(before)
        let completed = fleet.reduce(0) { $0 + ($1.outcomes[.completed] ?? 0) }
        guard completed == processes else { throw CLIError("only \(completed) of \(processes) benchmark processes completed") }
        return WorkerFigures(
            workers: count, seconds: elapsed.seconds, processesPerSecond: Double(processes) / elapsed.seconds,
            statementsPerProcess: counted.statements.map { Double($0) / Double(processes) },
            commitsPerProcess: counted.transactions.map { Double($0) / Double(processes) })
    }

    static func mean(_ values: [Duration]) -> Duration {
        values.reduce(.zero, +) / values.count
    }

    static func percentile(_ values: [Duration], _ fraction: Double) -> Duration {
        guard !values.isEmpty else { return .zero }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.down)))]
    }
}

/// When each step of the process being timed started.
final class StepMarks: Sendable {
    let instants = Mutex<[ContinuousClock.Instant]>([])
    /// Only the inline runner's steps are timed one by one.
    let recording = Atomic<Bool>(true)
}

/// Statements and commits a store sent (PostgreSQL counts them; SQLite does not).
struct StatementTally {
    var statements: Int?
    var transactions: Int?

    init() {
        statements = 0
        transactions = 0
    }

    init(_ store: any WorkflowStore) {
        guard let postgres = store as? PostgresStore else { return }
        (statements, transactions) = postgres.statementCounts
    }

    func minus(_ other: StatementTally) -> StatementTally {
        var result = StatementTally()
        result.statements = statements.flatMap { mine in other.statements.map { mine - $0 } }
        result.transactions = transactions.flatMap { mine in other.transactions.map { mine - $0 } }
        return result
    }

    mutating func add(_ other: StatementTally) {
        statements = statements.flatMap { mine in other.statements.map { mine + $0 } }
        transactions = transactions.flatMap { mine in other.transactions.map { mine + $0 } }
    }
}

struct WorkerFigures {
    var workers: Int
    var seconds: Double
    var processesPerSecond: Double
    var statementsPerProcess: Double?
    var commitsPerProcess: Double?
}

/// What each process is made of in `wf bench`.
enum Scenario: String, ExpressibleByArgument, CaseIterable {
    case trivial, node, circuit
}

/// CPU time used: by this process (user + system), and by every PostgreSQL process on this
/// machine (read from /proc; zero where it cannot be read).
struct CPUTime {
    var wf = Duration.zero
    var postgres = Duration.zero

    static func now() -> CPUTime {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func duration(_ time: timeval) -> Duration { .seconds(Int64(time.tv_sec)) + .microseconds(Int64(time.tv_usec)) }
        return CPUTime(wf: duration(usage.ru_utime) + duration(usage.ru_stime), postgres: postgresTicks())
    }

    /// utime + stime of every process named postgres, from /proc/PID/stat.
    private static func postgresTicks() -> Duration {
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        guard ticks > 0, let pids = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return .zero }
        var total = 0.0
        for pid in pids where pid.allSatisfy(\.isNumber) {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), stat.contains("(postgres)"),
                let end = stat.lastIndex(of: ")")
            else { continue }
            // After "(comm)": state is field 3, utime and stime fields 14 and 15.
            let fields = stat[stat.index(after: end)...].split(separator: " ")
            guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { continue }
            total += user + system
        }
        return .milliseconds(Int64(total / ticks * 1000))
    }

    func minus(_ other: CPUTime) -> CPUTime {
        CPUTime(wf: wf - other.wf, postgres: postgres - other.postgres)
    }

    mutating func add(_ other: CPUTime) {
        wf += other.wf
        postgres += other.postgres
    }
}

struct BenchReport {
    var dialect: String
    var scenario: String
    var processes: Int
    var steps: Int
    var seconds: Double
    var processesPerSecond: Double
    /// Wall time per step, everything included (the steps themselves do nothing).
    var overheadPerStepMicros: Double
    var stepP50Micros: Double
    var stepP99Micros: Double
    var commitMeanMicros: Double
    var commitP50Micros: Double
    var statementsPerProcess: Double?
    var commitsPerProcess: Double?
    var concurrency: Int
    /// CPU time of this process per inline process; of PostgreSQL's processes, on PostgreSQL.
    var cpuMicrosPerProcess: Double
    var postgresCPUMicrosPerProcess: Double?
    var workers: [WorkerFigures] = []

    /// Per-step time beyond the step's own commit, in commits: the goal is at most 1.
    var overheadBeyondCommit: Double { (overheadPerStepMicros - commitMeanMicros) / commitMeanMicros }
    var commitsPerSecond: Double { 1e6 / commitMeanMicros }
    /// What a process can reach if each of its commits (create + one per step) costs one bare commit.
    var limit: Double { commitsPerSecond / Double(steps + 1) }

    func print(json: Bool) {
        if json {
            JSONValue.object([
                "dialect": .string(dialect), "scenario": .string(scenario), "processes": .int(processes), "steps": .int(steps),
                "seconds": .double(seconds), "cpu_us_per_process": .double(cpuMicrosPerProcess),
                "postgres_cpu_us_per_process": postgresCPUMicrosPerProcess.map(JSONValue.double) ?? .null,
                "processes_per_second": .double(processesPerSecond), "overhead_per_step_us": .double(overheadPerStepMicros),
                "step_p50_us": .double(stepP50Micros), "step_p99_us": .double(stepP99Micros),
                "bare_commit_mean_us": .double(commitMeanMicros), "bare_commit_p50_us": .double(commitP50Micros),
                "bare_commits_per_second": .double(commitsPerSecond), "limit_processes_per_second": .double(limit),
                "overhead_beyond_own_commit": .double(overheadBeyondCommit),
                "statements_per_process": statementsPerProcess.map(JSONValue.double) ?? .null,
                "commits_per_process": commitsPerProcess.map(JSONValue.double) ?? .null,
                "worker_concurrency": .int(concurrency),
                "workers": .array(
                    workers.map { figures in
                        .object([
                            "workers": .int(figures.workers), "seconds": .double(figures.seconds),
                            "processes_per_second": .double(figures.processesPerSecond), "of_limit": .double(figures.processesPerSecond / limit),
                            "statements_per_process": figures.statementsPerProcess.map(JSONValue.double) ?? .null,
                            "commits_per_process": figures.commitsPerProcess.map(JSONValue.double) ?? .null,
                        ])
                    }),
            ]).printJSON()
            return
        }
        func format(_ value: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", value) }
        func counts(_ statements: Double?, _ commits: Double?) -> String {
            guard let statements, let commits else { return "not counted on \(dialect)" }
            return "\(format(statements)) statements, \(format(commits)) commits per process"
        }
        var lines = [
            "\(processes) processes x \(steps) steps (\(scenario)) on \(dialect)",
            "  bare commit (one row)    mean \(format(commitMeanMicros)) µs, p50 \(format(commitP50Micros)) µs: \(format(commitsPerSecond, 0)) commits/s",
            "  limit                    \(format(limit, 0)) processes/s at one commit per step (commits/s / \(steps + 1))",
            "one runner, inline:",
            "  processes/s              \(format(processesPerSecond, 0)) (\(format(100 * processesPerSecond / limit, 0))% of the limit)",
            "  time per step            \(format(overheadPerStepMicros)) µs (mean, commits included)",
            stepP99Micros > 0
                ? "  step latency             p50 \(format(stepP50Micros)) µs, p99 \(format(stepP99Micros)) µs"
                : "  step latency             not timed in this scenario (whole processes are)",
            "  beyond one commit a step \(format(overheadBeyondCommit, 2)) commits (goal: at most 1)",
            "  sent                     \(counts(statementsPerProcess, commitsPerProcess))",
            "  CPU per process          \(format(cpuMicrosPerProcess, 0)) µs in wf"
                + (postgresCPUMicrosPerProcess.map { ", \(format($0, 0)) µs in PostgreSQL" } ?? ""),
        ]
        for figures in workers {
            lines.append("\(figures.workers) worker\(figures.workers == 1 ? "" : "s") x concurrency \(concurrency), enqueued meanwhile:")
            lines.append(
                "  processes/s              \(format(figures.processesPerSecond, 0)) (\(format(100 * figures.processesPerSecond / limit, 0))% of the limit)"
            )
            lines.append("  sent                     \(counts(figures.statementsPerProcess, figures.commitsPerProcess))")
        }
        Swift.print(lines.joined(separator: "\n"))
    }
}
