import Foundation
import NetBox
import NetBoxPayloads
import Products
import WorkflowEngine

/// Connects two active Nodes with a point-to-point link: a planned cable, addresses from the
/// core-link prefixes, the config of both sides to apply, then the cable connected.
/// The link starts under maintenance (IS-IS metric raised); modify_circuit brings it into service.
public enum CreateCircuit: Workflow {
    public static let name: WorkflowName = "create_circuit"

    public static let target = WorkflowTarget.create
    public static let description = "Connect two nodes with a circuit"
    public static var initialForm: FormFlow? { form }
    public static var steps: StepList {
        begin
            >>> constructCircuitModel
            >>> StandardSteps.storeProcessSubscription
            // The cable first: NetBox refuses a second cable on a port, so of two processes
            // racing for the same ports the loser stops here, before it allocates anything.
            >>> createCircuitInNetBox
            >>> reserveIPsInIPAM
            >>> StandardSteps.setStatus(.provisioning)
            >>> updateCircuitDescription
            >>> provideConfigToUser
            >>> setCircuitInService
            >>> updateCircuitInNetBox
    }

    static let nodeA = StateKey<String>("node_a")
    static let nodeB = StateKey<String>("node_b")
    static let portA = StateKey<Int>("port_a")
    static let portB = StateKey<Int>("port_b")
    static let product = StateKey<String>("product")
    static let customer = StateKey<String>("customer_id")

    // MARK: - Form

    static var form: FormFlow {
        FormFlow([
            .init("a_side", "A side") { context in
                let nodes = try await usableNodes(context)
                let variants = CircuitProduct.variants.map {
                    Choice(.string($0.name), label: "\($0.name) (speed \($0.fixedInputs["speed"] ?? "?") Mbit/s)")
                }
                let unusable = try await unusableNodes(context)
                return (unusable.isEmpty ? [] : [FormField.summary("unusable_nodes", "Nodes not offered", items: unusable)]) + [
                    .choice("product", "Which circuit?", choices: variants, default: variants.first?.value),
                    .choice(
                        "node_a", "A-side node", choices: nodes,
                        ifEmpty: "no active, in-sync Node to connect yet: run create_node first"
                            + (unusable.isEmpty ? "" : " (\(unusable.count) not offered, see above)")),
                ]
            },
            FormFlow.Page("b_side", "B side") { context in
                let a = try context.answers.value(for: nodeA)
                let nodes = try await usableNodes(context)
                let name = nodes.first { $0.value.stringValue == a }?.label ?? "the A side"
                // The customer, as create_node asks it; by default the A-side node's.
                var aCustomer: String?
                if let id = UUID(uuidString: a) { aCustomer = try await context.subscriptions?.subscription(id)?.customerID }
                return [
                    .choice(
                        "node_b", "B-side node", choices: nodes.filter { $0.value.stringValue != a },
                        ifEmpty: "no other active, in-sync Node to connect \(name) to: run create_node first"),
                    .text("customer_id", "Customer", default: aCustomer ?? "lab", length: 1...64),
                ]
            }
            .validate { answers in
                (try? answers.value(for: nodeA)) == (try? answers.value(for: nodeB))
                    ? [FieldProblem(field: "node_b", reason: "cannot be the A-side node")] : []
            },
            .init("a_port", "A-side port") { context in
                try await [portField(context, "port_a", "A-side port", node: try context.answers.value(for: nodeA))]
            },
            .init("b_port", "B-side port") { context in
                try await [portField(context, "port_b", "B-side port", node: try context.answers.value(for: nodeB))]
            },
        ])
    }

    /// Why a Node cannot carry a new circuit now, or nil when it can: it must be active, in
    /// sync (its name and addresses are what the circuit's config is built from) and not held
    /// by a process that may be changing it.
    static func unusable(_ summary: SubscriptionSummary) -> String? {
        if let holder = summary.lockedBy { return "held by process \(holder.description.prefix(8)) until it ends" }
        if summary.status != .active { return "\(summary.status.rawValue), not active" }
        if !summary.insync { return "out of sync: see `wf subscription history \(summary.subscriptionID.uuidString.lowercased().prefix(8))`" }
        return nil
    }

    /// Active, in-sync Node subscriptions nobody holds, by id, labelled with the node's name.
    static func usableNodes(_ context: FormContext) async throws -> [Choice] {
        // Per session, and across sessions while no Node changes (a Circuit's changes leave
        // it be): the first page of this form reads 10,000 Nodes and their names on a large
        // network (150 ms).
        try await context.cached("usable-nodes") {
            try await context.cachedWhileSubscriptionsUnchanged("create_circuit.usable-nodes", products: [NodeProduct.definition.name]) {
                try await readUsableNodes(context)
            }
        }
    }

    private static func readUsableNodes(_ context: FormContext) async throws -> [Choice] {
        guard let store = context.subscriptions else { return [] }
        let usable = try await store.subscriptions(
            SubscriptionFilter(product: NodeProduct.definition.name, statuses: [.active], limit: SubscriptionFilter.all)
        ).filter { unusable($0) == nil }
        // The names in one read: a network of 10,000 nodes is one statement, not 40,000.
        let names = try await store.blockValues("node_name", of: usable.map(\.subscriptionID))
        return usable.map { summary in
            Choice(.string(summary.subscriptionID.uuidString.lowercased()), label: names[summary.subscriptionID]?.first ?? summary.description)
        }
        .sorted { $0.label < $1.label }
    }

    /// The Nodes not offered, each with the reason.
    static func unusableNodes(_ context: FormContext) async throws -> [SummaryItem] {
        try await context.cachedWhileSubscriptionsUnchanged("create_circuit.unusable-nodes", products: [NodeProduct.definition.name]) {
            guard let store = context.subscriptions else { return [] }
            let live: Set<Lifecycle> = [.provisioning, .active, .disabled, .migrating]
            return try await store.subscriptions(
                SubscriptionFilter(product: NodeProduct.definition.name, statuses: live, limit: SubscriptionFilter.all)
            )
            .compactMap { summary in unusable(summary).map { SummaryItem(summary.description, $0) } }
        }
    }

    /// The choice of a node's free ports of the chosen product's speed, saying so when there is none.
    static func portField(_ context: FormContext, _ name: String, _ label: String, node: String) async throws -> FormField {
        let speed = try chosenSpeed(context)
        let nodeName = try await usableNodes(context).first { $0.value.stringValue == node }?.label ?? "that node"
        let speedText = speed.map { $0 % 1000 == 0 ? "\($0 / 1000)G" : "\($0) Mbit/s" } ?? "any speed"
        return .choice(
            name, label, choices: try await freePorts(context, node: node, speed: speed),
            ifEmpty: "no free \(speedText) port on \(nodeName): free one in NetBox, or choose another node or circuit speed")
    }

    /// The speed (Mbit/s) of the circuit product chosen on the first page.
    static func chosenSpeed(_ context: FormContext) throws -> Int? {
        let variant = try context.answers.value(for: product)
        return CircuitProduct.variants.first { $0.name == variant }?.fixedInputs["speed"].flatMap(Int.init)
    }

    /// The node's free physical ports of `speed` with no address on them, labelled by name.
    static func freePorts(_ context: FormContext, node subscription: String, speed: Int?) async throws -> [Choice] {
        try await context.cached("ports:\(subscription):\(speed ?? 0)") {
            guard let id = UUID(uuidString: subscription), let store = context.subscriptions,
                let node = try await store.subscription(id)?.root.decode(NodeBlock.self), let device = node.nodeID
            else { return [] }
            // A port that carries an address is not free: the circuit's addresses go there, and
            // someone else's would be taken over or deleted with it.
            let netbox = try await context.netbox()
            let addressed = Set(try await netbox.ipAddresses(deviceID: device).compactMap(\.assignedObjectID))
            return try await netbox.freeInterfaces(deviceID: device, speed: speed).filter { !addressed.contains($0.id) }.map {
                Choice(.int($0.id), label: $0.name)
            }
        }
    }

    // MARK: - Steps

    static let constructCircuitModel = Step("construct_circuit_model", retry: .standard) { context in
        let netbox = try await context.netbox()
        func side(_ node: StateKey<String>, _ port: StateKey<Int>, peer: StateKey<String>, peerPort: StateKey<Int>) async throws
            -> Layer3InterfaceBlock
        {
            guard let id = UUID(uuidString: try context[node]) else { throw StepError("\(node.name) is not a subscription id") }
            // The form offered it usable; it may have changed since (create_circuit holds no Node).
            let found: [SubscriptionSummary] = try await context.subscriptions(SubscriptionFilter(limit: 1, id: id))
            if let summary = found.first, let reason = unusable(summary) {
                throw StepError("the \(node.name == "node_a" ? "A" : "B")-side Node \(summary.description) cannot be used now: \(reason)")
            }
            let nodeBlock = try await context.loadSubscription(id).root.decode(NodeBlock.self)
            guard let peerID = UUID(uuidString: try context[peer]) else { throw StepError("\(peer.name) is not a subscription id") }
            let peerNode = try await context.loadSubscription(peerID).root.decode(NodeBlock.self)
            let interface = try await netbox.interface(id: try context[port])
            let peerInterface = try await netbox.interface(id: try context[peerPort])
            guard interface.device.id == nodeBlock.nodeID else {
                throw StepError("port \(interface.name) does not belong to \(nodeBlock.nodeName ?? "the node")")
            }
            let description = "core link to \(peerNode.nodeName ?? "?") \(peerInterface.name)"
            return Layer3InterfaceBlock(
                port: PortBlock(portID: interface.id, portName: interface.name, portDescription: description, node: nodeBlock))
        }
        let circuit = CircuitBlock(
            members: [
                try await side(nodeA, portA, peer: nodeB, peerPort: portB), try await side(nodeB, portB, peer: nodeA, peerPort: portA),
            ],
            circuitStatus: "planned", underMaintenance: true)
        var described = circuit
        described.circuitDescription = circuit.endsDescription
        let model = SubscriptionModel(
            subscriptionID: context.makeID(), productName: try context[product], customerID: try context[customer],
            // The product's own description ("Circuit ID …"), kept up to date by every save.
            description: described.subscriptionDescription ?? "", root: try JSONValue(encoding: described))
        return .success(["subscription": model.json])
    }

    /// A /31 from the IPv4 core-link prefix and a /127 from the IPv6 one, one address of each
    /// per side, assigned to its port. A re-run adopts what an earlier run of this step made,
    /// as the ledger says, instead of allocating again; an address on a port that the ledger
    /// does not know is someone else's, and the step refuses it rather than take it over.
    static let reserveIPsInIPAM = Step("reserve_ips_in_ipam", retry: .standard) { context in
        var subscription = try context.subscription(CircuitBlock.self)
        let netbox = try await context.netbox()
        let plan = context.ipamPlan
        let tag = "circuit \(subscription.subscriptionID.uuidString.lowercased())"
        let ours = Set(try await context.settlePendingCreates().filter { $0.objectType == "ipam.ip-address" }.compactMap(\.objectID))
        for member in subscription.root.members {
            guard let port = member.port, let portID = port.portID else { throw StepError("a member of the circuit has no port") }
            if let foreign = try await netbox.ipAddresses(interfaceID: portID).first(where: { !ours.contains($0.id) }) {
                throw StepError(
                    "port \(port.portName ?? String(portID)) of \(port.node?.nodeName ?? "the node") carries \(foreign.address) "
                        + "(ipam.ip-address \(foreign.id)), which this process did not create (a person, a tool or another process did): remove it from the port in NetBox "
                        + "and retry, or abort this process")
            }
        }
        for (parent, length, family) in [(plan.coreLinkV4, 31, "v4"), (plan.coreLinkV6, 127, "v6")] {
            let blockKey = "\(family) block"
            let block = try await context.adoptOrCreate(blockKey, fetch: { try await netbox.prefix(id: $0) }) {
                try await netbox.allocatePrefix(
                    in: try await netbox.requirePrefix(parent), .init(prefixLength: length, description: "\(tag) \(family)"), key: blockKey)
            }
            for index in subscription.root.members.indices {
                guard let port = subscription.root.members[index].port, let portID = port.portID else {
                    throw StepError("member \(index) of the circuit has no port")
                }
                let key = "\(family) address \(index == 0 ? "A" : "B")"
                let address = try await context.adoptOrCreate(key, fetch: { try await netbox.ipAddress(id: $0) }) {
                    try await netbox.allocateAddress(
                        in: block, .init(interface: portID, description: "\(port.node?.nodeName ?? "") \(port.portName ?? "")"), key: key)
                }
                if family == "v6" {
                    subscription.root.members[index].v6IPAddress = address.address
                } else {
                    subscription.root.members[index].v4IPAddress = address.address
                }
            }
        }
        return .success(try context.save(subscription))
    }

    /// A planned cable between the two ports, or the one an earlier run of this step made.
    /// A cable on the A port that the ledger does not know is someone else's: refused. It
    /// comes before the addresses: NetBox takes one cable per port, so it settles which of
    /// two processes racing for the same ports goes on, before either allocates anything.
    static let createCircuitInNetBox = Step("create_circuit_in_netbox", retry: .standard) { context in
        var subscription = try context.subscription(CircuitBlock.self)
        let netbox = try await context.netbox()
        guard let a = subscription.root.members.first?.port?.portID, let b = subscription.root.members.last?.port?.portID else {
            throw StepError("the circuit has no ports")
        }
        try await context.settlePendingCreates()
        let cable = try await context.adoptOrCreate("cable", fetch: { try await netbox.cable(id: $0) }) {
            if let existing = try await netbox.cable(onInterface: a) {
                throw StepError(
                    "port \(subscription.root.members[0].port?.portName ?? "A") already has cable \(existing.id) (dcim.cable \(existing.id)), "
                        + "which this process did not create (a person, a tool or another process did): remove it in NetBox and retry, "
                        + "or abort this process")
            }
            guard case .cable(_, let request) = try buildPayload(subscription.root, subscription: subscription.model) else {
                throw StepError("a circuit must become a cable")
            }
            return try await netbox.createCable(request, key: "cable")
        }
        guard Set((cable.aTerminations + cable.bTerminations).map(\.objectID)) == [a, b] else {
            throw StepError("cable \(cable.id) no longer connects ports \(a) and \(b); repair it in NetBox and retry")
        }
        subscription.root.circuitID = cable.id
        return .success(try context.save(subscription))
    }

    /// The subscription's description now that the cable id is known, and each port's description in NetBox.
    static let updateCircuitDescription = Step("update_circuit_description", retry: .standard) { context in
        var subscription = try context.subscription(CircuitBlock.self)
        let netbox = try await context.netbox()
        for member in subscription.root.members {
            try await netbox.update(try buildPayload(member, subscription: subscription.model))
        }
        subscription.root.circuitDescription = subscription.root.subscriptionDescription
        return .success(try context.save(subscription))
    }

    static let provideConfigToUser = Step.inputStep("provide_config_to_user", assignee: WorkshopTeams.configuration) { context in
        let circuit = try context.subscription(CircuitBlock.self).root
        return Form(
            name: "config", title: "Apply the configuration of both sides",
            fields: [.display("config", "Configuration", text: config(of: circuit)), .accept("confirmed", "Both sides are configured")])
    }

    /// Both sides' config: interface, description, addresses, and the IS-IS metric for the maintenance state.
    public static func config(of circuit: CircuitBlock) -> String {
        circuit.members.map { member in
            RouterConfig.circuitSide(
                node: member.port?.node?.nodeName ?? "?", interface: member.port?.portName ?? "?",
                description: member.port?.portDescription ?? "", addressV4: member.v4IPAddress ?? "?", addressV6: member.v6IPAddress ?? "?",
                underMaintenance: circuit.underMaintenance ?? true)
        }.joined(separator: "\n\n")
    }

    static let setCircuitInService = Step("set_circuit_in_service", retry: .never) { context in
        var subscription = try context.subscription(CircuitBlock.self)
        subscription.root.circuitStatus = "connected"
        return .success(try context.save(subscription))
    }

    /// The cable becomes connected in NetBox, through the payload builder.
    static let updateCircuitInNetBox = Step("update_circuit_in_netbox", retry: .standard) { context in
        let subscription = try context.subscription(CircuitBlock.self)
        try await context.netbox().update(try buildPayload(subscription.root, subscription: subscription.model))
        return .success
    }
}
