import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Metrics
import NIOCore
import Persistence
import Prometheus
import ServiceLifecycle
import WorkflowEngine

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the web UI (at /), the HTTP API (under /api, described at /api/openapi.json) and run workers in the same process.",
        discussion: """
            Every request but /api/health and /api/openapi.json needs a token (`wf token create`), sent as \
            "Authorization: Bearer <token>"; it acts as the token's user, within the token's role. Several `wf serve` and \
            `wf worker` processes on one PostgreSQL database share the work. SIGTERM or Ctrl-C: stop accepting requests, let \
            running steps finish and hand their processes over (as `wf worker` does), exit 0.
            """)

    @Option(name: .long, help: "The address to listen on.") var host = "127.0.0.1"
    @Option(name: .long, help: "The port to listen on (0: any free port, printed at start).") var port = 8080
    @Flag(name: .long, help: "Skip tokens: every request acts as --user, an admin. Only on a loopback address, for development.")
    var noAuth = false
    @Option(name: .long, help: "How many processes the in-process worker runs at once.") var concurrency = 4
    @Option(name: .long, help: "Seconds between the worker's looks for due retries and expired leases.") var poll = 1.0
    @Option(name: .long, help: "Seconds to wait for running steps after SIGTERM before dropping them.") var grace = 30.0
    @OptionGroup var automation: AutomationOptions
    @OptionGroup var actor: ActorOptions
    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be from 0 to 65535") }
        guard (1...256).contains(concurrency) else { throw ValidationError("--concurrency must be from 1 to 256") }
        guard poll >= 0.05 else { throw ValidationError("--poll must be at least 0.05 seconds") }
        guard grace >= 0 else { throw ValidationError("--grace must not be negative") }
        if noAuth, !Self.isLoopback(host) {
            throw ValidationError("--no-auth is only for development on a loopback address (127.0.0.1, ::1, localhost), not \(host)")
        }
    }

    /// The API's routes behind its middleware: problem documents, request metrics, tokens
    /// (`authenticating: false`: every request acts as `developer`, an admin).
    static func router(runtime: Runtime, authenticating: Bool, developer: String, logger: Logger) throws -> Router<APIContext> {
        let router = Router(context: APIContext.self)
        router.middlewares.add(ProblemMiddleware(logger: logger))
        router.middlewares.add(MetricsMiddleware())
        router.middlewares.add(
            AuthenticationMiddleware(tokens: authenticating ? runtime.store : nil, refusals: runtime.store, developer: developer))
        API(runtime: runtime).register(on: router)
        try WebUI(runtime: runtime, authenticating: authenticating).register(on: router)
        return router
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    func run() async throws {
        try await runCommand {
            let runtime = try await Runtime.open(database)
            let metrics = ServeMetrics.bootstrap()
            let logger = Logger(label: "wf.serve")
            let router = try Self.router(runtime: runtime, authenticating: !noAuth, developer: actor.resolvedUser, logger: logger)
            metrics.register(on: router, store: runtime.store)
            let app = Application(
                router: router, configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "wf"),
                onServerRunning: { channel in
                    let bound = channel.localAddress?.port ?? port
                    print(
                        "wf serve: listening on http://\(host.contains(":") ? "[\(host)]" : host):\(bound) (web UI at /, API under /api, spec at /api/openapi.json)"
                    )
                    if noAuth { printError("warning: --no-auth: every request acts as \(actor.resolvedUser), an admin; for development only") }
                    fflush(nil)
                }, logger: logger)
            let worker = Worker(
                engine: runtime.engine, store: runtime.store,
                configuration: WorkerConfiguration(
                    concurrency: concurrency, pollInterval: .milliseconds(Int64(poll * 1000)), runsWorkListener: false))
            print("wf serve on \(runtime.store.locationDescription): worker \(worker.workerID), concurrency \(concurrency)")
            let failure = await WorkerCommand.runUntilStopped(
                worker, beside: runtime.store.services + automation.services(runtime), front: [app], grace: .milliseconds(Int64(grace * 1000)))
            WorkerCommand.printStopped(worker)
            if let failure {
                if let error = failure as? IOError, error.errnoCode == EADDRINUSE {
                    throw CLIError("cannot listen on \(host):\(port): the address is in use (another wf serve?); pick another --port")
                }
                throw failure
            }
            return 0
        }
    }
}

/// `/metrics` in Prometheus's text format: HTTP requests by route and status (Hummingbird's
/// metrics middleware), processes by status and the work queue's depth, read from the
/// database at each scrape, and whatever else reports through swift-metrics.
struct ServeMetrics: Sendable {
    let registry: PrometheusCollectorRegistry

    static func bootstrap() -> ServeMetrics {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return ServeMetrics(registry: registry)
    }

    func register(on router: Router<APIContext>, store: any WorkflowStore) {
        router.get("/metrics") { _, context in
            _ = try context.require(.read)
            var buffer: [UInt8] = []
            registry.emit(into: &buffer)
            var text = String(decoding: buffer, as: UTF8.self)
            text.append(try await processGauges(store))
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }
    }

    /// Processes by status, counted at scrape time.
    private func processGauges(_ store: any WorkflowStore) async throws -> String {
        let counts = try await store.processCounts()
        var text = "# HELP wf_processes Processes by status.\n# TYPE wf_processes gauge\n"
        for status in ProcessStatus.allCases {
            text += "wf_processes{status=\"\(status.rawValue)\"} \(counts[status] ?? 0)\n"
        }
        text += "# HELP wf_queue_depth Processes waiting for a worker (created, or waiting for a due retry).\n# TYPE wf_queue_depth gauge\n"
        text += "wf_queue_depth \((counts[.created] ?? 0) + (counts[.waiting] ?? 0))\n"
        return text
    }
}
