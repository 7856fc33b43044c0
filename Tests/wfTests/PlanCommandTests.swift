import Foundation
import NetBox
import Persistence
import Testing
import WorkflowEngine
import WorkflowTestKit

/// `wf plan`: a workflow run against copies of NetBox and the subscriptions, on NetBoxLite
/// as the configured NetBox (`NETBOX_URL`) and on both stores. Nothing is written, and a real
/// run with the same answers on the unchanged NetBox makes exactly the planned changes.
@Suite("wf plan", .tags(.cli), .storeSlots)
struct PlanCommandTests {
    @Test(arguments: StoreKind.available)
    func plansOfCreateNodeAndCreateCircuitWriteNothingAndTheRealRunsMakeExactlyThoseChanges(kind: StoreKind) async throws {
        let location = kind == .postgres ? try StoreKind.scratchLocation() : nil
        var wf = try WFRunner(database: location)
        // NetBoxLite in a process of its own: the test's threads wait on `wf` children, and
        // a server sharing them would answer late.
        let server = try NetBoxServer(wf)
        wf.environment["NETBOX_URL"] = server.url.absoluteString
        wf.environment["NETBOX_TOKEN"] = server.token
        defer {
            server.stop()
            wf.remove()
        }
        #expect(try wf.run(["db", "migrate"]).status == 0)
        let store = try await Stores.open(location ?? wf.database)

        // create_node of loc1-core: its loopbacks and the device's status.
        let node: JSONValue = ["device_id": 1, "confirmed": true]
        let nodePlan = try await planWritingNothing(wf, "create_node", node, server: server, store: store)
        let nodeLines = nodePlan.changes.compactMap { $0.objectValue?["line"]?.stringValue }
        #expect(nodeLines.contains("+ ipam.ip-address 10.0.127.1/32 (new)"), "\(nodeLines)")
        #expect(nodeLines.contains("+ ipam.ip-address fc00:0:0:127::1/128 (new)"), "\(nodeLines)")
        #expect(nodeLines.contains { $0.hasPrefix("~ dcim.device 1 (loc1-core)") && $0.contains("status planned -> active") }, "\(nodeLines)")
        #expect(nodePlan.json["status"] == "completed")
        #expect(nodePlan.json["subscription"]?.objectValue?["status"] == "active")
        let nodeA = try await realRun(wf, "create_node", node, store: store)
        #expect(comparable(try await store.ledger(LedgerQuery(processID: nodeA.process))) == comparable(nodePlan.changes))
        let nodeB = try await realRun(wf, "create_node", ["device_id": 2, "confirmed": true], store: store)

        // create_circuit between them: the cable, two prefixes, four addresses, the ports' descriptions.
        let circuit: JSONValue = [
            "product": "Circuit 10G", "node_a": .string(nodeA.subscription), "node_b": .string(nodeB.subscription), "port_a": 1, "port_b": 12,
            "confirmed": true,
        ]
        let circuitPlan = try await planWritingNothing(wf, "create_circuit", circuit, server: server, store: store)
        let lines = circuitPlan.changes.compactMap { $0.objectValue?["line"]?.stringValue }
        for expected in [
            "+ dcim.cable between interface 1 and interface 12 (new)", "+ ipam.prefix 10.0.0.0/31 (new)", "+ ipam.prefix fc00:0:0:10::/127 (new)",
            "+ ipam.ip-address 10.0.0.0/31 (new)", "+ ipam.ip-address 10.0.0.1/31 (new)", "+ ipam.ip-address fc00:0:0:10::/127 (new)",
            "+ ipam.ip-address fc00:0:0:10::1/127 (new)",
        ] {
            #expect(lines.contains(expected), "\(expected) not in \(lines)")
        }
        #expect(lines.contains { $0.hasPrefix("~ dcim.interface 1 (loc1-core ethernet-1/1) description") }, "\(lines)")
        #expect(circuitPlan.json["subscription"]?.objectValue?["status"] == "active")
        let real = try await realRun(wf, "create_circuit", circuit, store: store)
        // A new subscription's id is the plan's own (the description of the prefixes names it).
        let plannedID = try #require(circuitPlan.json["subscription"]?.objectValue?["subscription_id"]?.stringValue)
        let made = comparable(try await store.ledger(LedgerQuery(processID: real.process))).map {
            $0.replacingOccurrences(of: real.subscription, with: "NEW")
        }
        let planned = comparable(circuitPlan.changes).map { $0.replacingOccurrences(of: plannedID, with: "NEW") }
        #expect(
            made == planned,
            "made but not planned: \(made.filter { !planned.contains($0) }); planned but not made: \(planned.filter { !made.contains($0) })")

        // Without the confirmation the plan says what it would ask, with the config, and stops there.
        let asking = try wf.run(
            ["plan", "create_circuit", "--input", "-"],
            stdin: #"{"product": "Circuit 10G", "node_a": "\#(nodeA.subscription)", "node_b": "\#(nodeB.subscription)", "port_a": 2, "port_b": 13}"#)
        #expect(asking.status == 0, "\(asking.stderr)")
        #expect(asking.stdout.contains("would ask: Apply the configuration"), "\(asking.stdout)")
        #expect(asking.stdout.contains("address 10.0.0.2/31"), "the next free /31, after the real circuit's: \(asking.stdout)")
        #expect(asking.stdout.contains("the plan stops here"))

        // A wrong answer is refused as a start refuses it, and nothing is planned.
        let wrong = try wf.run(["plan", "create_circuit", "--input", "-"], stdin: #"{"product": "Circuit 10G", "node_a": "nope"}"#)
        #expect(wrong.status != 0)
        #expect(wrong.stderr.contains("node_a"), "\(wrong.stderr)")
        await store.close()
    }

    struct Planned {
        var json: [String: JSONValue]
        var changes: [JSONValue]
    }

    /// `wf plan --json`, checking that NetBox, the processes and the subscriptions are as before.
    private func planWritingNothing(_ wf: WFRunner, _ workflow: String, _ answers: JSONValue, server: NetBoxServer, store: any WorkflowStore)
        async throws -> Planned
    {
        let netbox = try await netBoxState(server)
        let processes = try await store.processes(ProcessFilter(limit: 1000)).count
        let subscriptions = try await store.subscriptions(SubscriptionFilter(limit: 1000))
        let planned = try wf.run(["plan", workflow, "--input", "-", "--json"], stdin: answers.jsonText)
        #expect(planned.status == 0, "\(planned.stderr)")
        let json = try #require(try JSONValue.parse(planned.stdout).objectValue)
        #expect(json["nothing_written"] == true)
        #expect(try await netBoxState(server) == netbox, "the plan wrote to NetBox")
        #expect(try await store.processes(ProcessFilter(limit: 1000)).count == processes, "the plan stored a process")
        #expect(try await store.subscriptions(SubscriptionFilter(limit: 1000)) == subscriptions, "the plan changed a subscription")
        return Planned(json: json, changes: json["netbox_changes"]?.arrayValue ?? [])
    }

    /// `wf start` with the initial form's answers, then `wf resume` with the rest; the
    /// process and the subscription it made.
    private func realRun(_ wf: WFRunner, _ workflow: String, _ answers: JSONValue, store: any WorkflowStore) async throws -> (
        process: ProcessID, subscription: String
    ) {
        var initial = try #require(answers.objectValue)
        initial["confirmed"] = nil
        let started = try wf.run(["start", workflow, "--input", "-", "--json"], stdin: JSONValue.object(initial).jsonText)
        try #require(started.status == 0 || started.status == 2, "\(started.stdout) \(started.stderr)")
        let outcome = try #require(try JSONValue.parse(started.stdout).objectValue, "\(started.stderr)")
        let id = try #require(outcome["process_id"]?.stringValue)
        let resumed = try wf.run(["resume", id, "--input", "-", "--json"], stdin: #"{"confirmed": true}"#)
        let done = try #require(try JSONValue.parse(resumed.stdout).objectValue, "\(resumed.stderr)")
        #expect(done["last_status"] == "completed", "\(resumed.stdout)")
        let subscription = try #require(done["state"]?.objectValue?["subscription"]?.objectValue?["subscription_id"]?.stringValue)
        return (try #require(ProcessID(id)), subscription)
    }

    /// What a change does, without the id NetBox gives a new object (nor a new cable's name, which is its id).
    private func comparable(_ entries: [LedgerEntry]) -> [String] {
        entries.filter { $0.outcome == .done }.map {
            Self.key(action: $0.action.rawValue, type: $0.objectType, id: $0.objectID, label: $0.label, sent: $0.sent)
        }
    }

    private func comparable(_ changes: [JSONValue]) -> [String] {
        changes.compactMap(\.objectValue).map {
            Self.key(
                action: $0["action"]?.stringValue ?? "", type: $0["object_type"]?.stringValue ?? "", id: $0["object_id"]?.intValue,
                label: $0["label"]?.stringValue, sent: $0["sent"] ?? .null)
        }
    }

    private static func key(action: String, type: String, id: Int?, label: String?, sent: JSONValue) -> String {
        let created = action == "create"
        return [action, type, created ? "" : id.map(String.init) ?? "", created && type == "dcim.cable" ? "" : label ?? "", sent.jsonText]
            .joined(separator: " | ")
    }

    /// What NetBox holds, object by object, without the times objects were last changed.
    private func netBoxState(_ server: NetBoxServer) async throws -> [String: JSONValue] {
        let client = NetBoxClient(NetBoxConfiguration(url: server.url, token: server.token))
        var state: [String: JSONValue] = [:]
        for type in ["dcim.device", "dcim.interface", "dcim.cable", "ipam.prefix", "ipam.ip-address"] {
            for id in 1...80 {
                guard let data = try? await client.object(type, id: id), case .object(var object) = try JSONValue.parse(data) else { continue }
                object["last_updated"] = nil
                state["\(type):\(id)"] = .object(object)
            }
        }
        return state
    }
}

/// `wf netbox serve` on a free port, in a process of its own.
struct NetBoxServer {
    let process: Process
    let url: URL
    let token = String(repeating: "0123456789", count: 4)

    init(_ wf: WFRunner) throws {
        process = Process()
        process.executableURL = WFRunner.binary
        process.arguments = [
            "netbox", "serve", "--port", "0", "--token", token, "--data", wf.directory.appendingPathComponent("netbox.sqlite").path,
        ]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var text = ""
        while !text.contains("token:") {
            let chunk = out.fileHandleForReading.availableData
            guard !chunk.isEmpty else { throw CLIFailure("wf netbox serve ended before it said where it listens: \(text)") }
            text += String(decoding: chunk, as: UTF8.self)
        }
        guard let start = text.range(of: "serving "), let end = text.range(of: "/api/", range: start.upperBound..<text.endIndex),
            let url = URL(string: String(text[start.upperBound..<end.lowerBound]))
        else { throw CLIFailure("wf netbox serve said: \(text)") }
        self.url = url
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}

struct CLIFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
