import ArgumentParser
import Foundation
import Persistence
import Synchronization
import WorkflowEngine

// Chains steps left to right (see StepChainPrecedence).
infix operator >> : StepChainPrecedence

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the engine on SQLite: processes/s and per-step overhead, against one bare commit measured in the same run.",
        discussion: "Build with `swift run -c release wf bench` for meaningful figures. Uses a fresh temporary database unless --database is given.")

    @Option(name: [.customShort("n"), .long], help: "How many processes to run.") var processes = 1000
    @Option(name: [.customShort("k"), .long], help: "Trivial steps per process.") var steps = 6
    @Option(name: .long, help: "How many bare commits to time for the floor.") var commits = 2000
    @Option(name: .long, help: "The SQLite file to use (default: a fresh temporary one).") var database: String?
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard processes > 0, steps > 0, commits > 0 else { throw ValidationError("--processes, --steps and --commits must be positive") }
    }

    func run() async throws {
        try await runCommand {
            Runtime.bootstrapLogging()
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wf-bench-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: directory) }
            let store = try await Stores.open(database ?? directory.appendingPathComponent("bench.sqlite").path)
            try await store.migrate()

            let marks = Mutex<[ContinuousClock.Instant]>([])
            let clock = ContinuousClock()
            var list = begin
            for index in 1...steps {
                list =
                    list
                    >> Step(StepKey("step_\(index)")) { _ in
                        marks.withLock { $0.append(clock.now) }
                        return .success(["step_\(index)": .int(index)])
                    }
            }
            let workflow = WorkflowDefinition(name: "bench_trivial_\(steps)", target: .system, description: "benchmark", steps: list)
            try await store.syncWorkflows([workflow], now: Date())
            let engine = Engine(store: store, registry: try WorkflowRegistry([workflow]))

            // Warm-up, so the first process does not pay for compiling statements.
            try await store.prepareBareCommitTable()
            _ = try await engine.start(workflow.name, user: "bench")

            // The floor (one small row per transaction, through the same pool) and the
            // processes are measured in interleaved rounds, so both see the same machine.
            let rounds = min(10, processes)
            var commitTimes: [Duration] = []
            var stepLatencies: [Duration] = []
            commitTimes.reserveCapacity(commits)
            stepLatencies.reserveCapacity(processes * steps)
            var elapsed = Duration.zero
            for round in 0..<rounds {
                for index in 0..<(commits / rounds + (round < commits % rounds ? 1 : 0)) {
                    let start = clock.now
                    try await store.commitBareRow("row \(round)-\(index)")
                    commitTimes.append(clock.now - start)
                }
                let started = clock.now
                for _ in 0..<(processes / rounds + (round < processes % rounds ? 1 : 0)) {
                    marks.withLock { $0.removeAll(keepingCapacity: true) }
                    let outcome = try await engine.start(workflow.name, user: "bench")
                    let end = clock.now
                    guard outcome.status == .completed else { throw CLIError("a benchmark process ended \(outcome.status.rawValue)") }
                    let instants = marks.withLock { $0 } + [end]
                    for index in 0..<(instants.count - 1) { stepLatencies.append(instants[index + 1] - instants[index]) }
                }
                elapsed += clock.now - started
            }
            try await store.dropBareCommitTable()

            let perProcess = elapsed / processes
            let overheadPerStep = perProcess / steps
            let commit = mean(commitTimes)
            let report = BenchReport(
                processes: processes, steps: steps, seconds: elapsed.seconds, processesPerSecond: Double(processes) / elapsed.seconds,
                overheadPerStepMicros: overheadPerStep.seconds * 1e6, stepP50Micros: percentile(stepLatencies, 0.50).seconds * 1e6,
                stepP99Micros: percentile(stepLatencies, 0.99).seconds * 1e6, commitMeanMicros: commit.seconds * 1e6,
                commitP50Micros: percentile(commitTimes, 0.50).seconds * 1e6)
            report.print(json: output.json)
            return 0
        }
    }

    private func mean(_ values: [Duration]) -> Duration {
        values.reduce(.zero, +) / values.count
    }

    private func percentile(_ values: [Duration], _ fraction: Double) -> Duration {
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.down)))]
    }
}

struct BenchReport {
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

    var ratio: Double { overheadPerStepMicros / commitMeanMicros }

    func print(json: Bool) {
        if json {
            JSONValue.object([
                "processes": .int(processes), "steps": .int(steps), "seconds": .double(seconds),
                "processes_per_second": .double(processesPerSecond), "overhead_per_step_us": .double(overheadPerStepMicros),
                "step_p50_us": .double(stepP50Micros), "step_p99_us": .double(stepP99Micros),
                "bare_commit_mean_us": .double(commitMeanMicros), "bare_commit_p50_us": .double(commitP50Micros),
                "overhead_to_commit_ratio": .double(ratio),
            ]).printJSON()
            return
        }
        Swift.print(
            """
            \(processes) processes x \(steps) trivial steps on SQLite (WAL, synchronous=NORMAL), one runner
              total                    \(String(format: "%.2f", seconds)) s
              processes/s              \(String(format: "%.0f", processesPerSecond))
              engine overhead per step \(String(format: "%.1f", overheadPerStepMicros)) µs (mean; everything but the step's own work)
              step latency             p50 \(String(format: "%.1f", stepP50Micros)) µs, p99 \(String(format: "%.1f", stepP99Micros)) µs
              bare commit (one row)    mean \(String(format: "%.1f", commitMeanMicros)) µs, p50 \(String(format: "%.1f", commitP50Micros)) µs
              overhead / bare commit   \(String(format: "%.2f", ratio))x (goal: at most 2x)
            """)
    }
}
