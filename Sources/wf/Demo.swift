import ArgumentParser
import Foundation
import NetBox
import Products
import WorkflowEngine
import Workflows

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The workshop story on the embedded defaults: enrol two routers, connect them, bring the link into service, validate it.",
        discussion: """
            Uses the configured database and NetBox (by default the embedded SQLite database and NetBoxLite beside it), so \
            `wf subscriptions` shows the result afterwards. Run it again to enrol the next two planned routers. The configs \
            an operator would apply are confirmed automatically, and the demo says so.
            """)

    @OptionGroup var actor: ActorOptions
    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        try await runCommand {
            // The newcomer's first command sets the database up, PostgreSQL included.
            let runtime = try await Runtime.open(database, migrating: true)
            let story = DemoStory(runtime: runtime, user: actor.resolvedUser)
            return try await story.tell()
        }
    }
}

/// The story `wf demo` tells, step by step, through the same engine calls as `wf start` and `wf resume`.
struct DemoStory {
    let runtime: Runtime
    let user: String
    var engine: Engine { runtime.engine }

    func tell() async throws -> Int32 {
        print("database: \(runtime.store.locationDescription)")
        let netbox = try await engine.services.netbox()
        print("NetBox:   \(netbox.configuration.url.absoluteString)\n")

        // 1. Two planned routers that no subscription owns yet.
        let deviceForm = try engine.registry.workflow(named: CreateNode.name).initialForm.map(engine.makeFormSession)
        let devices = try await deviceForm?.page(0, answers: State()).fields.first { $0.name == "device_id" }?.choices ?? []
        guard devices.count >= 2 else {
            print("The lab has fewer than two planned routers left to enrol: every one is a Node already (see `wf subscriptions`).")
            return 1
        }
        var nodes: [(subscription: String, name: String)] = []
        for device in devices.prefix(2) {
            heading("wf start create_node  (device \(device.label))")
            let outcome = try await run(CreateNode.name, input: ["device_id": device.value])
            nodes.append((try subscriptionID(of: outcome), device.label))
        }

        // 2. A circuit between them on their first free ports.
        let circuitForm = try engine.registry.workflow(named: CreateCircuit.name).initialForm.map(engine.makeFormSession)
        var answers: State = ["product": "Circuit 10G", "node_a": .string(nodes[0].subscription), "node_b": .string(nodes[1].subscription)]
        for (index, name) in [(2, "port_a"), (3, "port_b")] {
            guard let port = try await circuitForm?.page(index, answers: answers).fields.first?.choices?.first else {
                print("\(nodes[index - 2].name) has no free 10G port left.")
                return 1
            }
            answers[raw: name] = port.value
        }
        heading("wf start create_circuit  (\(nodes[0].name) <--> \(nodes[1].name))")
        let circuit = try subscriptionID(of: try await run(CreateCircuit.name, input: answers))

        // 3. Out of maintenance, into service.
        heading("wf start modify_circuit  (bring the link into service)")
        _ = try await run(ModifyCircuit.name, input: ["subscription_id": .string(circuit), "under_maintenance": false])

        // 4. Check the circuit against NetBox.
        heading("wf start validate_circuit")
        _ = try await run("validate_circuit", input: ["subscription_id": .string(circuit)])

        try await showNetBox(netbox, circuit: circuit)
        heading("wf subscription history \(circuit.prefix(8))")
        try await printHistory(of: circuit)
        print(
            "\nDone: this run enrolled \(nodes[0].name) and \(nodes[1].name) and connected them (circuit \(circuit.prefix(8))). "
                + "`wf subscriptions` lists every node and circuit; `wf demo` again enrols the next two planned routers.")
        return 0
    }

    /// Starts a workflow, answers its config confirmations as an operator would, and shows its step log.
    private func run(_ workflow: WorkflowName, input: State) async throws -> ProcessOutcome {
        var outcome = try await engine.start(workflow, input: input, user: user)
        while outcome.status == .suspended, let form = outcome.form {
            for field in form.fields where field.kind == .display {
                print("\(field.label):")
                print((field.text ?? "").split(separator: "\n", omittingEmptySubsequences: false).map { "    \($0)" }.joined(separator: "\n"))
            }
            var answer = State()
            for field in form.answerableFields where field.kind == .accept { answer[raw: field.name] = true }
            print("(the demo confirms '\(form.title)' for you)\n")
            outcome = try await engine.resume(outcome.processID, input: answer, user: user)
        }
        try await ProcessView.show(outcome.processID, runtime: runtime, json: false)
        guard outcome.status == .completed else {
            throw CLIError("\(workflow) stopped as \(outcome.status.rawValue): \(outcome.failedReason ?? "see wf process show")", code: 3)
        }
        return outcome
    }

    private func subscriptionID(of outcome: ProcessOutcome) throws -> String {
        guard let json = outcome.state[raw: "subscription"] else { throw CLIError("\(outcome.workflowName) left no subscription") }
        return try SubscriptionModel(json: json).subscriptionID.uuidString.lowercased()
    }

    private func heading(_ text: String) {
        print("\n== \(text) ==\n")
    }

    private func showNetBox(_ netbox: NetBoxClient, circuit: String) async throws {
        heading("NetBox now")
        guard let id = UUID(uuidString: circuit), let model = try await runtime.store.subscription(id) else { return }
        let block = try model.root.decode(CircuitBlock.self)
        for member in block.members {
            guard let deviceID = member.port?.node?.nodeID, let portID = member.port?.portID else { continue }
            let device = try await netbox.device(id: deviceID)
            print(
                "device \(device.name ?? "?"): \(device.status.value), primary \(device.primaryIP4?.address ?? "-") \(device.primaryIP6?.address ?? "-")"
            )
            let addresses = try await netbox.ipAddresses(interfaceID: portID).map(\.address).sorted()
            print("  \(member.port?.portName ?? "?"): \(addresses.joined(separator: ", "))")
        }
        if let cableID = block.circuitID {
            let cable = try await netbox.cable(id: cableID)
            print("cable \(cable.id): \(cable.status.value), \(cable.description)")
        }
    }

    private func printHistory(of circuit: String) async throws {
        guard let id = UUID(uuidString: circuit) else { return }
        for entry in try await SubscriptionView.history(of: id, store: runtime.store) { print(entry.text) }
    }
}
