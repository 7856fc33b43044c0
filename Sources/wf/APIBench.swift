import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import Persistence
import ServiceLifecycle
import WorkflowEngine
import Workflows

/// `wf bench --api`: the HTTP API under load on loopback, with tokens, beside the bare floor
/// of the same server (a route that does nothing) in the same run: reads of a subscription's
/// domain model and of a process with its steps on `connections` connections, the latency of
/// start→suspended and resume→completed, and `wf serve`'s start-up time and idle memory.
struct APIBench {
    let database: String
    let seconds: Double
    let connections: Int
    let rounds: Int

    struct Rate {
        var name: String
        var requests: Int
        var seconds: Double
        var latencies: [Double]

        var perSecond: Double { Double(requests) / seconds }
    }

    /// A workflow that asks once and ends: what start→suspended and resume→completed time.
    static let confirm = WorkflowDefinition(
        name: "bench_confirm", target: .system, description: "benchmark: one question, then done",
        steps: StepList([
            Step.inputStep("confirm", form: { _ in Form(name: "confirm", title: "Confirm", fields: [.accept("confirmed", "Confirmed")]) }),
            done,
        ]))

    func run(json: Bool) async throws -> Int32 {
        var options = DatabaseOptions()
        options.database = database
        let opened = try await Runtime.open(options)
        try await opened.store.syncWorkflows(opened.engine.registry.workflows + [Self.confirm], now: Date())
        let engine = Engine(
            store: opened.store, registry: try WorkflowRegistry(opened.engine.registry.workflows + [Self.confirm]),
            products: opened.engine.products, services: opened.engine.services, configuration: opened.engine.configuration)
        let runtime = Runtime(store: opened.store, engine: engine)
        let secret = TokenSecret.generate()
        try await runtime.store.createToken(
            AccessToken(id: UUID(), user: "bench", role: .admin, createdAt: Date(), createdBy: "bench"), secretHash: TokenSecret.hash(secret))

        // What the reads read: a Node made by create_node, and its process with every step.
        var outcome = try await engine.start(CreateNode.name, input: FormInput.merged(["device_id": 1]), user: "bench")
        outcome = try await engine.resume(outcome.processID, input: ["confirmed": true], user: "bench")
        guard outcome.status == .completed, let subscription = outcome.state[raw: "subscription"]?.objectValue?["subscription_id"]?.stringValue
        else { throw CLIError("the bench's create_node ended as \(outcome.status.rawValue): \(outcome.failedReason ?? "")") }

        let logger = Logger(label: "wf.bench")
        let router = try ServeCommand.router(runtime: runtime, authenticating: true, developer: "bench", logger: logger)
        router.get("/bench/floor") { _, _ in Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: "{}"))) }
        let server = await LoopbackServer.start(router, logger: logger)
        let base = server.base
        let client = HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: HTTPClient.Configuration(
                connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: connections)))
        var rates: [Rate] = []
        var latencies: [(String, [Double])] = []
        do {
            for (name, path) in [
                ("floor: GET /bench/floor", "/bench/floor"), ("GET /api/subscriptions/{id}", "/api/subscriptions/\(subscription)"),
                ("GET /api/processes/{id}", "/api/processes/\(outcome.processID)"),
            ] {
                _ = try await load(client, url: base + path, secret: secret, seconds: 0.5)  // warm-up
                rates.append(try await load(client, url: base + path, secret: secret, seconds: seconds).named(name))
            }
            var starts: [Double] = []
            var resumes: [Double] = []
            for _ in 0..<rounds {
                let (started, startSeconds) = try await timed(client, "POST", base + "/api/processes/bench_confirm", body: "[]", secret: secret)
                guard started.objectValue?["last_status"]?.stringValue == "suspended", let id = started.objectValue?["process_id"]?.stringValue else {
                    throw CLIError("the bench's start did not suspend: \(started.jsonText)")
                }
                let (resumed, resumeSeconds) = try await timed(
                    client, "POST", base + "/api/processes/\(id)/resume", body: #"{"confirmed": true}"#, secret: secret)
                guard resumed.objectValue?["last_status"]?.stringValue == "completed" else {
                    throw CLIError("the bench's resume did not complete: \(resumed.jsonText)")
                }
                starts.append(startSeconds)
                resumes.append(resumeSeconds)
            }
            latencies = [("start -> suspended (POST /api/processes/bench_confirm)", starts), ("resume -> completed (POST …/resume)", resumes)]
        } catch {
            try? await client.shutdown()
            await server.stop()
            throw error
        }
        try await client.shutdown()
        await server.stop()
        let startup = try await Self.startup(database: database)
        report(rates: rates, latencies: latencies, startup: startup, json: json)
        return 0
    }

    /// `connections` clients sending `GET url` one after another for `seconds`.
    private func load(_ client: HTTPClient, url: String, secret: String, seconds: Double) async throws -> Rate {
        let clock = ContinuousClock()
        let end = clock.now + .milliseconds(Int64(seconds * 1000))
        let started = clock.now
        let results = try await withThrowingTaskGroup(of: [Double].self) { group in
            for _ in 0..<connections {
                group.addTask {
                    var latencies: [Double] = []
                    while clock.now < end {
                        let (_, elapsed) = try await timed(client, "GET", url, body: nil, secret: secret)
                        latencies.append(elapsed)
                    }
                    return latencies
                }
            }
            var all: [Double] = []
            for try await latencies in group { all += latencies }
            return all
        }
        let elapsed = clock.now - started
        return Rate(name: url, requests: results.count, seconds: Self.seconds(elapsed), latencies: results)
    }

    private func timed(_ client: HTTPClient, _ method: String, _ url: String, body: String?, secret: String) async throws -> (JSONValue, Double) {
        var request = HTTPClientRequest(url: url)
        request.method = .init(rawValue: method)
        request.headers.add(name: "Authorization", value: "Bearer \(secret)")
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let clock = ContinuousClock()
        let started = clock.now
        let response = try await client.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 16 * 1024 * 1024)
        let elapsed = Self.seconds(clock.now - started)
        guard (200..<300).contains(Int(response.status.code)) else {
            throw CLIError("\(method) \(url) answered \(response.status.code): \(String(buffer: bytes))")
        }
        let parsed = (try? JSONValue.parse(Data(buffer: bytes))) ?? .null
        return (parsed, elapsed)
    }

    /// `wf serve` started as a process: seconds until it listens, on a migrated database (and
    /// on a fresh one, which it migrates first), and its resident memory once idle.
    static func startup(database: String) async throws -> (migrated: Double, fresh: Double, rssMiB: Double) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wf-bench-serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let fresh = directory.appendingPathComponent("fresh.sqlite").path
        let (freshSeconds, _) = try await serveOnce(database: fresh, directory: directory)
        let (migratedSeconds, rss) = try await serveOnce(database: fresh, directory: directory)
        return (migratedSeconds, freshSeconds, rss)
    }

    private static func serveOnce(database: String, directory: URL) async throws -> (seconds: Double, rssMiB: Double) {
        let log = directory.appendingPathComponent("serve-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        if let path = Bundle.main.executablePath { process.executableURL = URL(fileURLWithPath: path) }
        process.arguments = ["serve", "--port", "0", "--no-auth", "--database", database]
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_DATA_HOME"] = directory.path
        process.environment = environment
        process.standardOutput = try FileHandle(forWritingTo: log)
        process.standardError = FileHandle.nullDevice
        let clock = ContinuousClock()
        let started = clock.now
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        while !(((try? String(contentsOf: log, encoding: .utf8)) ?? "").contains("listening on")) {
            guard process.isRunning, clock.now - started < .seconds(30) else { throw CLIError("wf serve did not start listening within 30 s") }
            try await Task.sleep(for: .milliseconds(1))
        }
        let elapsed = seconds(clock.now - started)
        try await Task.sleep(for: .seconds(1))
        let status = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)) ?? ""
        let kilobytes =
            status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }?.split(separator: " ").dropFirst().first.flatMap { Double($0) } ?? 0
        process.terminate()
        while process.isRunning { try await Task.sleep(for: .milliseconds(10)) }
        return (elapsed, kilobytes / 1024)
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func percentile(_ values: [Double], _ fraction: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.down)))]
    }

    private func report(rates: [Rate], latencies: [(String, [Double])], startup: (migrated: Double, fresh: Double, rssMiB: Double), json: Bool) {
        func ms(_ seconds: Double) -> Double { (seconds * 100_000).rounded() / 100 }
        if json {
            JSONValue.object([
                "connections": .int(connections), "seconds_per_load": .double(seconds), "rounds": .int(rounds),
                "loads": .array(
                    rates.map {
                        .object([
                            "name": .string($0.name), "requests_per_second": .double(($0.perSecond * 10).rounded() / 10),
                            "p50_ms": .double(ms(Self.percentile($0.latencies, 0.5))), "p99_ms": .double(ms(Self.percentile($0.latencies, 0.99))),
                        ])
                    }),
                "latencies": .array(
                    latencies.map {
                        .object([
                            "name": .string($0.0), "p50_ms": .double(ms(Self.percentile($0.1, 0.5))),
                            "p99_ms": .double(ms(Self.percentile($0.1, 0.99))),
                        ])
                    }),
                "startup_ms": .double(ms(startup.migrated)), "startup_fresh_database_ms": .double(ms(startup.fresh)),
                "rss_idle_mib": .double((startup.rssMiB * 10).rounded() / 10),
            ]).printJSON()
            return
        }
        print("wf bench --api: \(connections) connections, \(seconds) s per load, token auth, on \(database)")
        print(
            Rendering.table(
                ["LOAD", "REQUESTS/S", "P50 MS", "P99 MS", "OF FLOOR"],
                rates.map { rate in
                    [
                        rate.name, String(format: "%.0f", rate.perSecond), String(format: "%.2f", ms(Self.percentile(rate.latencies, 0.5))),
                        String(format: "%.2f", ms(Self.percentile(rate.latencies, 0.99))),
                        String(format: "%.0f%%", 100 * rate.perSecond / max(1, rates.first?.perSecond ?? 1)),
                    ]
                }))
        print(
            Rendering.table(
                ["ROUND TRIP (\(rounds) EACH, ONE AT A TIME)", "P50 MS", "P99 MS"],
                latencies.map {
                    [$0.0, String(format: "%.2f", ms(Self.percentile($0.1, 0.5))), String(format: "%.2f", ms(Self.percentile($0.1, 0.99)))]
                }))
        print(
            String(
                format: "wf serve start-up: %.1f ms to listening (%.1f ms on a fresh database, migrating it); RSS idle %.1f MiB",
                ms(startup.migrated), ms(startup.fresh), startup.rssMiB))
    }
}

extension APIBench.Rate {
    func named(_ name: String) -> Self {
        var copy = self
        copy.name = name
        return copy
    }
}
