import Foundation
import Persistence
import WorkflowEngine
import Workflows

/// What one process did to one subscription: its log, the versions it saved, the model after it.
struct ScaleRun {
    var process: BulkProcess
    var versions: [BulkVersion]
    var model: SubscriptionModel
}

/// The workshop workflows as the scale loader replays them: each the real workflow's steps
/// in its order (`ProcessLog` checks), with the inputs, states and model changes that
/// workflow makes, but no NetBox and no engine in between.
struct ScaleHistory {
    private let workflows: [WorkflowName: WorkflowDefinition]

    init(_ workflows: [WorkflowDefinition]) {
        self.workflows = Dictionary(workflows.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    private func start(
        _ name: WorkflowName, by user: String, at start: Date, pages: [(String, State)], labels: [String: [String: String]],
        rng: inout ScaleRandom
    ) throws -> ProcessLog {
        guard let definition = workflows[name] else { throw CLIError("the scale loader needs workflow \(name), which this build lacks") }
        return ProcessLog(definition, id: ProcessID(rng.uuid()), user: user, at: start, pages: pages, labels: labels)
    }

    /// How every workflow ends: the subscription back in sync (the `resync` step's version),
    /// then `done`.
    private static func resynced(_ model: SubscriptionModel, _ log: inout ProcessLog, rng: inout ScaleRandom) throws -> ScaleRun {
        var model = model
        model.insync = true
        log.save("resync", model, rng: &rng)
        return ScaleRun(process: try log.finished(rng: &rng), versions: log.versions, model: model)
    }

    /// Start dates are whole seconds, so that they read back as the very `Date` written.
    private static func startDate(_ time: Date) -> Date {
        Date(timeIntervalSince1970: time.timeIntervalSince1970.rounded(.down))
    }

    /// create_node, from the planned device to the active, in-sync Node.
    func createNode(_ node: ScaleNode, by user: String, confirmedBy answerer: String, at time: Date, rng: inout ScaleRandom) throws -> ScaleRun {
        var log = try start(
            "create_node", by: user, at: time, pages: [("device", ["customer_id": .string(node.customer), "device_id": .int(node.deviceID)])],
            labels: ["device_id": ["\(node.deviceID)": node.name]], rng: &rng)
        var model = SubscriptionModel(
            subscriptionID: node.subscriptionID, productName: "Node", customerID: node.customer, description: node.description,
            root: node.root(status: "planned", loopbacks: false, identified: false))
        log.step("construct_node_model", ["subscription": model.json], took: 3...15, rng: &rng)
        model.root = node.root(status: "planned", loopbacks: false)
        log.save("store_process_subscription", model, rng: &rng)
        model.root = node.root(status: "planned")
        log.save("fetch_ip_address_information", model, took: 20...80, rng: &rng)
        model.status = .provisioning
        log.save("set_status_provisioning", model, rng: &rng)
        let config = RouterConfig.node(hostname: node.name, loopbackV4: node.loopbackV4, loopbackV6: node.loopbackV6)
        let form = Form(
            name: "config", title: "Apply the configuration of \(node.name)",
            fields: [.display("config", "Configuration", text: config), .accept("confirmed", "The configuration is applied")],
            assignee: WorkshopTeams.configuration)
        try log.ask("provide_config_to_user", form, answer: ["confirmed": true], by: answerer, after: 60...3600, rng: &rng)
        model.root = node.root()
        log.save("set_node_to_active", model, rng: &rng)
        log.step("update_node_in_netbox", took: 10...40, rng: &rng)
        model.status = .active
        model.startDate = Self.startDate(log.clock)
        log.save("set_status_active", model, rng: &rng)
        return try Self.resynced(model, &log, rng: &rng)
    }

    /// create_circuit, to a connected circuit under maintenance; or left suspended on the
    /// config confirmation (`confirmedBy` nil), provisioning and held by the process.
    func createCircuit(_ circuit: ScaleCircuit, by user: String, confirmedBy answerer: String?, at time: Date, rng: inout ScaleRandom) throws
        -> ScaleRun
    {
        let (a, b) = (circuit.a, circuit.b)
        let speed = circuit.productName.hasSuffix("100G") ? 100_000 : 10_000
        var log = try start(
            "create_circuit", by: user, at: time,
            pages: [
                ("a_side", ["node_a": .string(a.node.subscriptionID.lowercased), "product": .string(circuit.productName)]),
                ("b_side", ["customer_id": .string(circuit.customer), "node_b": .string(b.node.subscriptionID.lowercased)]),
                ("a_port", ["port_a": .int(a.portID)]), ("b_port", ["port_b": .int(b.portID)]),
            ],
            labels: [
                "node_a": [a.node.subscriptionID.lowercased: a.node.name], "node_b": [b.node.subscriptionID.lowercased: b.node.name],
                "port_a": ["\(a.portID)": a.portName], "port_b": ["\(b.portID)": b.portName],
                "product": [circuit.productName: "\(circuit.productName) (speed \(speed) Mbit/s)"],
            ], rng: &rng)
        var model = SubscriptionModel(
            subscriptionID: circuit.subscriptionID, productName: circuit.productName, customerID: circuit.customer,
            description: circuit.description(cable: false),
            root: circuit.root(identified: false, cable: false, addresses: false, described: false, status: "planned", maintenance: true))
        log.step("construct_circuit_model", ["subscription": model.json], took: 5...20, rng: &rng)
        model.root = circuit.root(cable: false, addresses: false, described: false, status: "planned", maintenance: true)
        log.save("store_process_subscription", model, rng: &rng)
        model.description = circuit.description(cable: true)
        model.root = circuit.root(addresses: false, described: false, status: "planned", maintenance: true)
        log.save("create_circuit_in_netbox", model, took: 15...60, rng: &rng)
        model.root = circuit.root(described: false, status: "planned", maintenance: true)
        log.save("reserve_ips_in_ipam", model, took: 40...150, rng: &rng)
        model.status = .provisioning
        log.save("set_status_provisioning", model, rng: &rng)
        model.root = circuit.root(status: "planned", maintenance: true)
        log.save("update_circuit_description", model, took: 15...50, rng: &rng)
        let form = Self.configForm(circuit, maintenance: true)
        guard let answerer else {
            try log.suspend("provide_config_to_user", form, rng: &rng)
            return ScaleRun(process: try log.finished(rng: &rng), versions: log.versions, model: model)
        }
        try log.ask("provide_config_to_user", form, answer: ["confirmed": true], by: answerer, after: 60...7200, rng: &rng)
        model.root = circuit.root(status: "connected", maintenance: true)
        log.save("set_circuit_in_service", model, rng: &rng)
        log.step("update_circuit_in_netbox", took: 10...40, rng: &rng)
        model.status = .active
        model.startDate = Self.startDate(log.clock)
        log.save("set_status_active", model, rng: &rng)
        return try Self.resynced(model, &log, rng: &rng)
    }

    /// The config form of both sides, as create_circuit and modify_circuit ask it.
    private static func configForm(_ circuit: ScaleCircuit, maintenance: Bool) -> Form {
        let config = [circuit.a, circuit.b].map { side in
            RouterConfig.circuitSide(
                node: side.node.name, interface: side.portName, description: "core link to \(side.peer)", addressV4: side.addressV4,
                addressV6: side.addressV6, underMaintenance: maintenance)
        }.joined(separator: "\n\n")
        return Form(
            name: "config", title: "Apply the configuration of both sides",
            fields: [.display("config", "Configuration", text: config), .accept("confirmed", "Both sides are configured")],
            assignee: WorkshopTeams.configuration)
    }

    /// A modify, terminate or validate: the subscription chosen on the first page (with the
    /// label the choice showed), `extra` pages after it, and `unsync` run.
    private func startOn(
        _ model: SubscriptionModel, _ name: WorkflowName, by user: String, at time: Date, extra: [(String, State)], rng: inout ScaleRandom
    ) throws -> (ProcessLog, SubscriptionModel) {
        let key = model.subscriptionID.lowercased
        let label = "\(model.description) (\(model.productName), \(model.status.rawValue)) \(key.prefix(8))"
        var log = try start(
            name, by: user, at: time, pages: [("subscription", ["subscription_id": .string(key)])] + extra,
            labels: ["subscription_id": [key: label]], rng: &rng)
        let unsynced = model.with { $0.insync = false }
        log.step("unsync", ["subscription": unsynced.json, "__old_subscription__": unsynced.json], took: 1...4, rng: &rng)
        return (log, unsynced)
    }

    /// modify_circuit: the circuit put into service (or back under maintenance).
    func modifyCircuit(_ current: SubscriptionModel, _ circuit: ScaleCircuit, by user: String, at time: Date, rng: inout ScaleRandom) throws
        -> ScaleRun
    {
        let before = current.root.objectValue?["under_maintenance"]?.boolValue ?? true
        var (log, model) = try startOn(
            current, "modify_circuit", by: user, at: time, extra: [("maintenance", ["under_maintenance": .bool(!before)])], rng: &rng)
        func words(_ flag: Bool) -> String { flag ? "under maintenance" : "in service" }
        model.root = circuit.root(status: "connected", maintenance: !before)
        log.save("update_maintenance", model, ["maintenance_change": .string("\(words(before)) -> \(words(!before))")], rng: &rng)
        try log.ask(
            "provide_config_to_user", Self.configForm(circuit, maintenance: !before), answer: ["confirmed": true], by: user, after: 30...1800,
            rng: &rng)
        log.step("update_circuit_in_netbox", took: 10...40, rng: &rng)
        return try Self.resynced(model, &log, rng: &rng)
    }

    /// validate_node or validate_circuit: compared with NetBox, found in sync.
    func validate(_ current: SubscriptionModel, node: Bool, by user: String, at time: Date, rng: inout ScaleRandom) throws -> ScaleRun {
        var (log, model) = try startOn(
            current, node ? "validate_node" : "validate_circuit", by: user, at: time, extra: [(node ? "node" : "circuit", State())], rng: &rng)
        log.step("check_unconfirmed_changes", rng: &rng)
        log.step(node ? "compare_node_with_netbox" : "compare_circuit_with_netbox", took: 10...60, rng: &rng)
        return try Self.resynced(model, &log, rng: &rng)
    }

    /// modify_note: a new free-text note.
    func modifyNote(_ current: SubscriptionModel, note: String, by user: String, at time: Date, rng: inout ScaleRandom) throws -> ScaleRun {
        var (log, model) = try startOn(current, "modify_note", by: user, at: time, extra: [("note", ["note": .string(note)])], rng: &rng)
        model.note = note
        log.save("update_note", model, rng: &rng)
        return try Self.resynced(model, &log, rng: &rng)
    }

    /// terminate_circuit: cable deleted, addresses and ports released, the subscription ended.
    func terminateCircuit(_ current: SubscriptionModel, by user: String, at time: Date, rng: inout ScaleRandom) throws -> ScaleRun {
        var (log, model) = try startOn(current, "terminate_circuit", by: user, at: time, extra: [("circuit", State())], rng: &rng)
        log.step("delete_circuit_in_netbox", took: 15...60, rng: &rng)
        log.step("release_ips_in_ipam", took: 30...100, rng: &rng)
        log.step("release_ports_in_netbox", took: 20...60, rng: &rng)
        model.status = .terminated
        model.endDate = Self.startDate(log.clock)
        log.save("set_status_terminated", model, rng: &rng)
        return try Self.resynced(model, &log, rng: &rng)
    }
}
