import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import Persistence
import ServiceLifecycle
import WorkflowEngine

/// The web UI's server time per page, on whatever a database holds (`wf bench --ui`, or
/// after `wf bench --scale` loaded it): `wf serve`'s router on loopback, signed in with a
/// session cookie, each page asked `rounds` times; the time is what the page itself reports
/// in its `Server-Timing` header (the work between the request and the rendered HTML),
/// beside the round trip the client saw.
struct WebPageBench {
    let runtime: Runtime
    let rounds: Int

    struct Figure {
        var page: String
        var serverMillis: [Double]
        var roundTripMillis: [Double]
        var bytes: Int
    }

    func run() async throws -> [Figure] {
        let secret = TokenSecret.generate()
        try await runtime.store.createToken(
            AccessToken(id: UUID(), user: "bench", role: .admin, createdAt: Date(), createdBy: "bench"), secretHash: TokenSecret.hash(secret))
        let pages = try await samplePages()
        let logger = Logger(label: "wf.bench.ui")
        let router = try ServeCommand.router(runtime: runtime, authenticating: true, developer: "bench", logger: logger)
        let server = await LoopbackServer.start(router, logger: logger)
        let port = server.port
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        var figures: [Figure] = []
        do {
            for (name, path) in pages {
                var figure = Figure(page: name, serverMillis: [], roundTripMillis: [], bytes: 0)
                let afterAChange = name.hasSuffix(Self.afterAChange)
                for round in 0...rounds {
                    // What the first reader after a subscription changed waits for.
                    if afterAChange { runtime.engine.subscriptionsCache.removeAll() }
                    var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
                    request.headers.add(name: "Cookie", value: "\(WebSession.cookieName)=\(secret)")
                    let started = ContinuousClock.now
                    let response = try await client.execute(request, timeout: .seconds(60))
                    let body = try await response.body.collect(upTo: 64 * 1024 * 1024)
                    let elapsed = ContinuousClock.now - started
                    guard response.status == .ok else {
                        throw CLIError("the bench's page \(path) answered \(response.status.code): \(String(buffer: body).prefix(300))")
                    }
                    // The first round warms caches and is not counted.
                    guard round > 0 else { continue }
                    let timing = response.headers.first(name: "Server-Timing") ?? ""
                    figure.serverMillis.append(Double(timing.split(separator: "=").last ?? "") ?? .nan)
                    figure.roundTripMillis.append(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000)
                    figure.bytes = body.readableBytes
                }
                figures.append(figure)
            }
        } catch {
            try? await client.shutdown()
            await server.stop()
            throw error
        }
        try await client.shutdown()
        await server.stop()
        return figures
    }

    /// Names the pages timed with the engine's `subscriptionsCache` emptied before each
    /// request: what the first reader after any subscription changed waits for.
    static let afterAChange = ", after a change"

    /// The pages a NOC engineer opens, on real rows: a circuit (the richest model), its past
    /// view, the newest process, searches and filters of the lists, a start form, the map.
    private func samplePages() async throws -> [(String, String)] {
        let store = runtime.store
        var pages: [(String, String)] = [
            ("home", "/"), ("subscriptions", "/subscriptions"), ("subscriptions, page 20", "/subscriptions?offset=1000"),
            ("subscriptions ?q=core", "/subscriptions?q=core"),
            ("subscriptions ?product=Node&status=active", "/subscriptions?product=Node&status=active"),
            ("processes", "/processes"), ("processes ?workflow=create_node", "/processes?workflow=create_node"), ("workflows", "/workflows"),
            ("start create_circuit", "/start/create_circuit"), ("start create_circuit" + Self.afterAChange, "/start/create_circuit"),
            ("network map", "/map"), ("network map" + Self.afterAChange, "/map"),
        ]
        let circuits = try await store.subscriptions(SubscriptionFilter(product: "Circuit 10G", limit: 1))
        let nodes = try await store.subscriptions(SubscriptionFilter(product: "Node", limit: 1))
        if let subscription = (circuits.first ?? nodes.first)?.subscriptionID {
            let id = subscription.uuidString.lowercased()
            pages.append(("subscription", "/subscriptions/\(id)"))
            if let first = try await store.versions(of: subscription).first {
                pages.append(("subscription ?at=", "/subscriptions/\(id)?at=\(WebUI.localInput(first.time.addingTimeInterval(0.001)))"))
            }
        }
        if let name = nodes.first?.description.split(separator: " ").last {
            pages.append(("subscriptions ?where=node_name=…", "/subscriptions?where=node_name%3D\(name)"))
        }
        if let process = try await store.processes(ProcessFilter(limit: 1)).first {
            pages.append(("process", "/processes/\(process.processID)"))
        }
        return pages
    }

    static func report(_ figures: [Figure], heading: String, json: Bool) {
        func percentile(_ values: [Double], _ p: Double) -> Double {
            let sorted = values.filter { !$0.isNaN }.sorted()
            guard !sorted.isEmpty else { return .nan }
            return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
        }
        if json {
            JSONValue.array(
                figures.map { figure in
                    .object([
                        "page": .string(figure.page), "server_p50_ms": .double(percentile(figure.serverMillis, 0.5)),
                        "server_p99_ms": .double(percentile(figure.serverMillis, 0.99)),
                        "round_trip_p50_ms": .double(percentile(figure.roundTripMillis, 0.5)), "bytes": .int(figure.bytes),
                    ])
                }
            ).printJSON()
            return
        }
        print(heading)
        print(
            Rendering.table(
                ["PAGE", "SERVER P50 MS", "SERVER P99 MS", "ROUND TRIP P50 MS", "KB"],
                figures.map { figure in
                    [
                        figure.page, String(format: "%.2f", percentile(figure.serverMillis, 0.5)),
                        String(format: "%.2f", percentile(figure.serverMillis, 0.99)),
                        String(format: "%.2f", percentile(figure.roundTripMillis, 0.5)),
                        String(format: "%.1f", Double(figure.bytes) / 1024),
                    ]
                }))
    }
}
