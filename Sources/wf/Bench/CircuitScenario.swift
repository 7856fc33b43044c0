import Foundation
import Logging
import NetBox
import NetBoxLite
import Persistence
import Products
import WorkflowEngine
import Workflows

/// `wf bench --scenario circuit`: the workshop's own create_circuit, NetBox calls and all,
/// against a NetBoxLite in this process: a ring of routers with 48 ports each is enrolled
/// with create_node first (not timed), then `processes` circuits are created one after
/// another, each started with its answers and resumed with the config confirmed.
struct CircuitScenario {
    let processes: Int
    let location: String

    /// Ports per router; each circuit takes one on two neighbouring routers.
    static let ports = 48

    struct Report {
        var dialect: String
        var processes: Int
        var routers: Int
        var seconds: Double
        var statements: Int?
        var transactions: Int?
        var cpu: CPUTime

        func print(json: Bool) {
            let perProcess = Double(processes)
            if json {
                JSONValue.object([
                    "dialect": .string(dialect), "scenario": "the workshop's create_circuit on NetBoxLite", "processes": .int(processes),
                    "routers": .int(routers), "seconds": .double(seconds), "processes_per_second": .double(perProcess / seconds),
                    "statements_per_process": statements.map { .double(Double($0) / perProcess) } ?? .null,
                    "commits_per_process": transactions.map { .double(Double($0) / perProcess) } ?? .null,
                    "cpu_us_per_process": .double(cpu.wf.seconds * 1e6 / perProcess),
                    "postgres_cpu_us_per_process": dialect == "postgres" ? .double(cpu.postgres.seconds * 1e6 / perProcess) : .null,
                ]).printJSON()
                return
            }
            var lines = [
                "\(processes) create_circuit processes (started, then resumed with the config confirmed) on \(dialect), NetBoxLite in this process, \(routers) routers",
                "  processes/s              \(String(format: "%.1f", perProcess / seconds))",
                "  CPU per process          \(String(format: "%.0f", cpu.wf.seconds * 1e6 / perProcess)) µs in wf (NetBoxLite included)"
                    + (dialect == "postgres" ? ", \(String(format: "%.0f", cpu.postgres.seconds * 1e6 / perProcess)) µs in PostgreSQL" : ""),
            ]
            if let statements, let transactions {
                lines.append(
                    "  sent                     \(String(format: "%.1f", Double(statements) / perProcess)) statements, "
                        + "\(String(format: "%.1f", Double(transactions) / perProcess)) commits per process")
            }
            Swift.print(lines.joined(separator: "\n"))
        }
    }

    func run() async throws -> Report {
        let routers = max(2, Int((Double(2 * processes) / Double(Self.ports)).rounded(.up)) + 1)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wf-bench-circuits-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let seed = directory.appendingPathComponent("ring.json")
        try Self.ring(routers).write(to: seed)
        let server = try await NetBoxLiteServer.start(NetBoxLiteConfiguration(seed: seed))
        let store = try await Stores.openForBenchmark(location)
        do {
            let report = try await measure(
                routers: routers, netbox: NetBoxClient(NetBoxConfiguration(url: server.url, token: server.token)), store: store)
            await Bench.cleanUp(store)
            await server.stop()
            return report
        } catch {
            await Bench.cleanUp(store)
            await server.stop()
            throw error
        }
    }

    private func measure(routers: Int, netbox: NetBoxClient, store: any WorkflowStore) async throws -> Report {
        try await store.migrate()
        let workflows = WorkflowCatalog.all
        try await store.syncWorkflows(workflows, now: Date())
        _ = try await store.syncProducts(ProductCatalog.all, now: Date())
        var logger = Logger(label: "wf.bench.circuits")
        logger.logLevel = .warning
        let engine = Engine(
            store: store, registry: try WorkflowRegistry(workflows), products: try ProductRegistry(ProductCatalog.all),
            services: Services().registering(netbox).registering(IPAMPlan()).registeringNetBoxReleaser(), logger: logger)
        var nodes: [String] = []
        for router in 1...routers {
            let outcome = try await confirmed(engine.start("create_node", input: ["device_id": .int(router)], user: "bench"), engine)
            guard let node = outcome.state[raw: "subscription"]?.objectValue?["subscription_id"]?.stringValue else {
                throw CLIError("create_node of router \(router) left no subscription: \(outcome.failedReason ?? outcome.status.rawValue)")
            }
            nodes.append(node)
        }
        var nextPort = Array(repeating: 1, count: routers)
        let before = StatementTally(store)
        let cpuBefore = CPUTime.now()
        let clock = ContinuousClock()
        let started = clock.now
        for index in 0..<processes {
            let a = index % routers
            let b = (a + 1) % routers
            let answers: State = [
                "product": "Circuit 10G", "node_a": .string(nodes[a]), "node_b": .string(nodes[b]),
                "port_a": .int(Self.interfaceID(router: a + 1, port: nextPort[a])),
                "port_b": .int(Self.interfaceID(router: b + 1, port: nextPort[b])),
            ]
            nextPort[a] += 1
            nextPort[b] += 1
            let outcome = try await confirmed(engine.start("create_circuit", input: answers, user: "bench"), engine)
            guard outcome.status == .completed else {
                throw CLIError("a benchmark create_circuit ended \(outcome.status.rawValue): \(outcome.failedReason ?? "")")
            }
        }
        let elapsed = clock.now - started
        let counted = StatementTally(store).minus(before)
        return Report(
            dialect: store.dialect, processes: processes, routers: routers, seconds: elapsed.seconds, statements: counted.statements,
            transactions: counted.transactions, cpu: CPUTime.now().minus(cpuBefore))
    }

    /// Resumes a process waiting for its config to be confirmed, as the NOC would.
    private func confirmed(_ outcome: ProcessOutcome, _ engine: Engine) async throws -> ProcessOutcome {
        guard outcome.status == .suspended else { return outcome }
        return try await engine.resume(outcome.processID, input: ["confirmed": true], user: "bench")
    }

    /// Router `router`'s port `port` (both from 1), as the ring's seed numbers them.
    static func interfaceID(router: Int, port: Int) -> Int {
        (router - 1) * (ports + 2) + port
    }

    /// A NetBoxLite seed: `count` planned routers of the workshop's type, each with 48 ports,
    /// Loopback0 and mgmt0, and the workshop's loopback and core-link prefixes.
    static func ring(_ count: Int) throws -> Data {
        func interface(_ id: Int, _ name: String, _ type: String, description: String = "", mgmt: Bool = false) -> JSONValue {
            [
                "id": .int(id), "name": .string(name), "type": .string(type), "enabled": true, "mgmt_only": .bool(mgmt),
                "description": .string(description),
            ]
        }
        let devices: [JSONValue] = (1...count).map { router in
            let ports = (1...Self.ports).map { interface(interfaceID(router: router, port: $0), "ethernet-1/\($0)", "10gbase-x-sfpp") }
            let base = interfaceID(router: router, port: Self.ports)
            return [
                "id": .int(router), "name": .string("ring\(router)-core"), "status": "planned", "site": "bench-lab", "role": "router",
                "device_type": "7220-ixr-d2l",
                "interfaces": .array(
                    ports + [
                        interface(base + 1, "Loopback0", "virtual", description: "router loopback"),
                        interface(base + 2, "mgmt0", "1000base-t", mgmt: true),
                    ]),
            ]
        }
        func prefix(_ id: Int, _ cidr: String, _ status: String, _ description: String) -> JSONValue {
            ["id": .int(id), "prefix": .string(cidr), "status": .string(status), "is_pool": false, "description": .string(description)]
        }
        let plan = IPAMPlan()
        let seed: JSONValue = [
            "sites": [["id": 1, "name": "Bench Lab", "slug": "bench-lab", "status": "active"]],
            "manufacturers": [["id": 1, "name": "Nokia", "slug": "nokia"]],
            "device_types": [["id": 1, "model": "7220 IXR-D2L", "slug": "7220-ixr-d2l", "manufacturer": "nokia"]],
            "interface_templates": [], "device_roles": [["id": 1, "name": "router", "slug": "router", "color": "2196f3"]],
            "devices": .array(devices),
            "prefixes": [
                prefix(1, plan.loopbackV4, "active", "IPv4 loopback prefix"), prefix(2, plan.loopbackV6, "active", "IPv6 loopback prefix"),
                prefix(3, plan.coreLinkV4, "container", "IPv4 core link prefix"), prefix(4, plan.coreLinkV6, "container", "IPv6 core link prefix"),
            ],
        ]
        return Data(seed.jsonText.utf8)
    }
}
