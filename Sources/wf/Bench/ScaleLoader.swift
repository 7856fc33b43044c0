import Foundation
import Persistence
import Products
import WorkflowEngine

/// Loads N subscriptions of the workshop products with two years of history through the
/// store's bulk path, in batches: about one Node in ten, each enrolled by create_node; the
/// rest Circuits between two earlier Nodes (free ports, addresses, cable ids of their own),
/// each made by create_circuit. Later processes, at random times up to now: modify_circuit,
/// validate_node and validate_circuit, modify_note, terminate_circuit; a few create_circuit
/// processes still wait for the NOC's confirmation, holding their Circuit. Deterministic:
/// the same N loads the same network.
struct ScaleLoader {
    let count: Int
    let now: Date
    var batchSize = 1000
    private let history: ScaleHistory
    private var rng = ScaleRandom(seed: 0x5CA1E)
    private var nodes: [ScaleNode] = []
    /// Nodes with every port taken.
    private var fullNodes = 0
    private var circuits = 0
    private let circuitProducts: (tenG: ProductDefinition, hundredG: ProductDefinition)
    private(set) var samples = ScaleSamples()

    /// The history reaches this far back.
    static let span: TimeInterval = 730 * 86_400
    static let users = [
        "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "niaj", "olivia", "peggy", "rupert",
        "sybil", "trent", "victor", "walter", "xavier", "yvonne", "zoe", "amir", "bea", "chen", "dara", "emeka", "fatima", "goran", "hana",
    ]
    /// Who confirms configurations (the NOC).
    static let noc = ["noc-anna", "noc-ben", "noc-chris", "noc-dina", "noc-eli"]
    static let customers = (1...400).map { "customer-\($0)" }

    init(count: Int, now: Date, workflows: [WorkflowDefinition]) throws {
        self.count = count
        self.now = now
        history = ScaleHistory(workflows)
        let products = try ProductRegistry(ProductCatalog.all)
        circuitProducts = (try products.product(named: "Circuit 10G"), try products.product(named: "Circuit 100G"))
    }

    /// Generates and writes every batch; the next batch is generated while the store writes
    /// the last one. `progress` is told the subscriptions written so far.
    mutating func load(into store: any BulkLoading, progress: (Int) -> Void) async throws -> BulkLoadCounts {
        var counts = BulkLoadCounts()
        var done = 0
        var batch = try nextBatch(from: 0)
        while !batch.isEmpty {
            let writing = batch
            async let written = store.bulkLoad(writing)
            let next = try nextBatch(from: done + batch.count)
            counts.add(try await written)
            done += batch.count
            progress(done)
            batch = next
        }
        return counts
    }

    private mutating func nextBatch(from start: Int) throws -> [BulkSubscription] {
        try (start..<min(count, start + batchSize)).map { try subscription($0) }
    }

    /// Subscription `index`: created at its place in the two years, a Node or a Circuit.
    private mutating func subscription(_ index: Int) throws -> BulkSubscription {
        let created = now.addingTimeInterval(-Self.span * (1 - (Double(index) + 0.5) / Double(count)))
        let bulk = try index < 2 || index % 10 == 0 || !canConnect ? node(at: created) : circuit(at: created)
        samples.processes += bulk.processes.map(\.record.processID)
        if let model = bulk.versions.last?.model {
            samples.subscriptions.append(model.subscriptionID)
            samples.created.append(bulk.versions.first?.time ?? created)
            if index % max(1, count / 12) == 0 || (bulk.lockedBy != nil && !samples.models.contains { $0.status == .provisioning })
                || (model.status == .terminated && !samples.models.contains { $0.status == .terminated })
            {
                samples.models.append(model)
            }
        }
        return bulk
    }

    private var canConnect: Bool { nodes.count - fullNodes >= 2 }

    /// Times after `start`, sorted: when the later processes on a subscription started (each
    /// after the one before it ended: see `after(_:)`). None when `start` is too recent.
    private mutating func laterTimes(_ count: Int, after start: Date) -> [Date] {
        let room = now.timeIntervalSince(start) - 3600
        guard count > 0, room > 120 else { return [] }
        return (0..<count).map { _ in start.addingTimeInterval(Double.random(in: 60..<room, using: &rng)) }.sorted()
    }

    /// `time`, or a minute after `run`'s process ended if that is later: one process at a time.
    private static func after(_ run: ScaleRun, _ time: Date) -> Date {
        max(time, run.process.record.lastModifiedAt.addingTimeInterval(60))
    }

    private mutating func takePort(_ index: Int) {
        nodes[index].usedPorts += 1
        if nodes[index].usedPorts == ScaleNode.ports { fullNodes += 1 }
    }

    private mutating func node(at created: Date) throws -> BulkSubscription {
        let device = nodes.count + 1
        let node = ScaleNode(
            subscriptionID: rng.uuid(), instanceID: rng.uuid().lowercased, deviceID: device, name: "loc\(device)-core",
            customer: rng.pick(Self.customers))
        nodes.append(node)
        samples.nodeNames.append(node.name)
        var run = try history.createNode(node, by: rng.pick(Self.users), confirmedBy: rng.pick(Self.noc), at: created, rng: &rng)
        var processes = [run.process]
        var versions = run.versions
        let validates = rng.chance(0.3) ? 1 : 0
        let notes = rng.chance(0.1) ? 1 : 0
        for (index, planned) in laterTimes(validates + notes, after: run.process.record.lastModifiedAt).enumerated() {
            let time = Self.after(run, planned)
            run =
                index < validates
                ? try history.validate(run.model, node: true, by: rng.pick(Self.users), at: time, rng: &rng)
                : try history.modifyNote(
                    run.model, note: "rack \(rng.int(1...40)), row \(rng.int(1...12))", by: rng.pick(Self.users), at: time, rng: &rng)
            processes.append(run.process)
            versions += run.versions
        }
        return BulkSubscription(product: NodeProduct.definition, versions: versions, processes: processes)
    }

    /// Two different Nodes with a free port each.
    private mutating func endpoints() -> (Int, Int) {
        func free() -> Int {
            for _ in 0..<20 {
                let index = Int.random(in: 0..<nodes.count, using: &rng)
                if nodes[index].usedPorts < ScaleNode.ports { return index }
            }
            return nodes.firstIndex { $0.usedPorts < ScaleNode.ports } ?? 0
        }
        let a = free()
        var b = free()
        while b == a { b = nodes.indices.first { $0 != a && nodes[$0].usedPorts < ScaleNode.ports } ?? a }
        return (a, b)
    }

    private mutating func side(_ index: Int, address: Int, peer: (node: ScaleNode, port: Int)) -> ScaleSide {
        let node = nodes[index]
        return ScaleSide(
            node: node, portID: node.deviceID * 100 + node.usedPorts, portName: "ethernet-1/\(node.usedPorts)",
            addressV4: "10.\((address >> 16) & 127).\((address >> 8) & 255).\(address & 255)/31",
            addressV6: "fc00:0:0:10::\(String(address, radix: 16))/127", peer: "\(peer.node.name) ethernet-1/\(peer.port)",
            memberID: rng.uuid().lowercased, portInstanceID: rng.uuid().lowercased)
    }

    private mutating func circuit(at created: Date) throws -> BulkSubscription {
        circuits += 1
        let (a, b) = endpoints()
        takePort(a)
        takePort(b)
        let product = rng.chance(0.15) ? circuitProducts.hundredG : circuitProducts.tenG
        let circuit = ScaleCircuit(
            subscriptionID: rng.uuid(), instanceID: rng.uuid().lowercased, cableID: circuits, productName: product.name,
            customer: rng.pick(Self.customers),
            a: side(a, address: 2 * circuits, peer: (nodes[b], nodes[b].usedPorts)),
            b: side(b, address: 2 * circuits + 1, peer: (nodes[a], nodes[a].usedPorts)))
        let foreign = [circuit.a.node.instanceID: circuit.a.node.subscriptionID, circuit.b.node.instanceID: circuit.b.node.subscriptionID]
        let waiting = rng.chance(0.02)
        var run = try history.createCircuit(
            circuit, by: rng.pick(Self.users), confirmedBy: waiting ? nil : rng.pick(Self.noc), at: created, rng: &rng)
        if waiting {
            return BulkSubscription(
                product: product, versions: run.versions, processes: [run.process], lockedBy: run.process.record.processID, foreignBlocks: foreign)
        }
        var processes = [run.process]
        var versions = run.versions
        let modifies = rng.chance(0.3) ? 1 : 0
        let validates = rng.chance(0.15) ? 1 : 0
        let notes = rng.chance(0.05) ? 1 : 0
        let terminates = rng.chance(0.03) ? 1 : 0
        let times = laterTimes(modifies + validates + notes + terminates, after: run.process.record.lastModifiedAt)
        for (index, planned) in times.enumerated() {
            let time = Self.after(run, planned)
            let user = rng.pick(Self.users)
            switch index {
            case ..<modifies: run = try history.modifyCircuit(run.model, circuit, by: user, at: time, rng: &rng)
            case ..<(modifies + validates): run = try history.validate(run.model, node: false, by: user, at: time, rng: &rng)
            case ..<(modifies + validates + notes):
                run = try history.modifyNote(run.model, note: "ticket CHG-\(rng.int(10_000...99_999))", by: user, at: time, rng: &rng)
            default: run = try history.terminateCircuit(run.model, by: user, at: time, rng: &rng)
            }
            processes.append(run.process)
            versions += run.versions
        }
        return BulkSubscription(product: product, versions: versions, processes: processes, foreignBlocks: foreign)
    }
}

/// What the loader made that the measurements pick from.
struct ScaleSamples {
    var subscriptions: [UUID] = []
    /// When each of `subscriptions` was first saved.
    var created: [Date] = []
    var nodeNames: [String] = []
    var processes: [ProcessID] = []
    /// A few subscriptions as the loader meant them, to compare with what the store reads back.
    var models: [SubscriptionModel] = []
    var portNames: [String] { (1...ScaleNode.ports).map { "ethernet-1/\($0)" } }
}
