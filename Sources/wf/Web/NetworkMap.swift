import Foundation
import Persistence
import Products
import WorkflowEngine

/// The network as a picture: every Node subscription a box, every Circuit a line between
/// its two nodes, coloured by lifecycle and sync, each linking to its subscription. Loaded
/// from the store (as it is, or as it was at a past time) and drawn as a self-contained SVG
/// by `svg(width:)`, its boxes placed by `NetworkMapLayout`.
struct NetworkMap: Sendable, Hashable {
    /// A box on the map: a Node subscription, or a placeholder for a node a circuit names
    /// that is not on the map (no Node subscription, or not one the map could match).
    struct Node: Sendable, Hashable {
        /// What circuit endpoints refer to: the Node subscription's id in lower case, or for
        /// a placeholder what the circuit knows of the node (`placeholder:…`).
        var key: String
        var name: String
        /// Where the box links: the Node's own subscription; for a placeholder, the circuit
        /// that named it.
        var subscriptionID: UUID
        /// The Node's lifecycle; nil for a placeholder.
        var status: Lifecycle?
        var insync: Bool
        var loopbacks: [String]

        var isPlaceholder: Bool { status == nil }
    }

    /// One side of a circuit: the node's key and the port's name, if known.
    struct Endpoint: Sendable, Hashable {
        var node: String
        var port: String?
    }

    /// A line on the map: a Circuit subscription between two nodes.
    struct Circuit: Sendable, Hashable {
        var subscriptionID: UUID
        var description: String
        var status: Lifecycle
        var insync: Bool
        var a: Endpoint
        var b: Endpoint
        /// "10G", from the product's `speed` fixed input; nil when the product has none.
        var speed: String?
        var underMaintenance: Bool = false

        /// "portA ⟷ portB · 10G", what the line's label says.
        var label: String {
            let ports = "\(a.port ?? "?") ⟷ \(b.port ?? "?")"
            return speed.map { "\(ports) · \($0)" } ?? ports
        }
    }

    var nodes: [Node]
    var circuits: [Circuit]
    /// The past time the map shows, nil for now.
    var time: Date?

    /// A circuit side naming a node that is not among `nodes` gets a placeholder node, so
    /// every line has two ends to draw.
    init(nodes: [Node], circuits: [Circuit], time: Date? = nil) {
        var nodes = nodes
        var keys = Set(nodes.map(\.key))
        for circuit in circuits {
            for end in [circuit.a, circuit.b] where keys.insert(end.node).inserted {
                let name = end.node.hasPrefix("placeholder:") ? String(end.node.dropFirst("placeholder:".count)) : end.node
                nodes.append(.placeholder(end.node, name: name, circuit: circuit.subscriptionID))
            }
        }
        self.nodes = nodes
        self.circuits = circuits
        self.time = time
    }

    var isEmpty: Bool { nodes.isEmpty && circuits.isEmpty }
    /// Whether `load` left subscriptions out to stay within its limit.
    var truncated = false
    /// How many subscriptions `load` draws at most.
    static let defaultLimit = 400
}

extension NetworkMap.Node {
    /// The box of a Node subscription.
    init(subscriptionID: UUID, name: String, status: Lifecycle, insync: Bool, loopbacks: [String] = []) {
        self.init(
            key: subscriptionID.uuidString.lowercased(), name: name, subscriptionID: subscriptionID, status: status, insync: insync,
            loopbacks: loopbacks)
    }

    /// A node only a circuit knows about, linking to that circuit.
    static func placeholder(_ key: String, name: String, circuit: UUID) -> Self {
        Self(key: key, name: name, subscriptionID: circuit, status: nil, insync: true, loopbacks: [])
    }
}

extension NetworkMap.Endpoint {
    /// The side at the Node subscription `node`.
    init(node: UUID, port: String?) {
        self.init(node: node.uuidString.lowercased(), port: port)
    }
}

// MARK: - Loading

extension NetworkMap {
    /// Reads every Node and Circuit subscription that is not terminated (at `time`, when
    /// given: the models and the subscriptions as they were then, leaving out those that did
    /// not exist yet), each as its newest version saved it, all in one read. `products` says which products draw as a node or
    /// a circuit (by their root block) and each circuit product's speed.
    static func load(
        store: any WorkflowStore, at time: Date?, products: [ProductDefinition] = ProductCatalog.all, text: String? = nil,
        limit: Int = NetworkMap.defaultLimit
    ) async throws -> NetworkMap {
        let nodeProducts = products.filter { $0.root.name == NodeBlock.blockName }
        let circuitProducts = products.filter { $0.root.name == CircuitBlock.blockName }
        // Now: the listing leaves the terminated out. In the past: a subscription terminated
        // since may have been live then, so every one is read and judged by its old model.
        let statuses = time == nil ? Set(Lifecycle.allCases).subtracting([.terminated]) : []
        var ids: [UUID] = []
        var seen: Set<UUID> = []
        // At most `limit` subscriptions (and `text` picks which): a picture of a few hundred
        // nodes is readable, one of a hundred thousand is not, nor quick to draw.
        var truncated = false
        for product in nodeProducts + circuitProducts {
            let room = limit - ids.count
            guard room > 0 else {
                truncated = true
                break
            }
            let filter = SubscriptionFilter(product: product.name, statuses: statuses, limit: room + 1, text: text)
            let found = try await store.subscriptions(filter)
            if found.count > room { truncated = true }
            for summary in found.prefix(room) where seen.insert(summary.subscriptionID).inserted {
                ids.append(summary.subscriptionID)
            }
        }
        let models = try await store.newestVersions(ids, at: time).filter { $0.status != .terminated }
        var map = try NetworkMapBuilder(nodeProducts: nodeProducts, circuitProducts: circuitProducts).build(models, time: time)
        map.truncated = truncated
        return map
    }
}

/// Turns subscription models into a map: decodes the blocks, matches each circuit's sides
/// to the Node subscriptions (by the node block's instance, else its NetBox device id, else
/// its name) and adds a placeholder for a side that matches none.
private struct NetworkMapBuilder {
    let nodeProducts: Set<String>
    let circuitSpeeds: [String: String?]

    init(nodeProducts: [ProductDefinition], circuitProducts: [ProductDefinition]) {
        self.nodeProducts = Set(nodeProducts.map(\.name))
        circuitSpeeds = Dictionary(circuitProducts.map { ($0.name, $0.fixedInputs["speed"].map(NetworkMap.speedText)) }) { first, _ in first }
    }

    func build(_ models: [SubscriptionModel], time: Date?) throws -> NetworkMap {
        var nodes: [NetworkMap.Node] = []
        var byInstance: [UUID: String] = [:]
        var byDevice: [Int: String] = [:]
        var byName: [String: String] = [:]
        var circuitModels: [(SubscriptionModel, CircuitBlock)] = []
        for model in models {
            if nodeProducts.contains(model.productName) {
                let block = try model.root.decode(NodeBlock.self)
                let node = NetworkMap.Node(
                    subscriptionID: model.subscriptionID, name: block.nodeName ?? (model.description.isEmpty ? "(unnamed node)" : model.description),
                    status: model.status, insync: model.insync, loopbacks: [block.ipv4Loopback, block.ipv6Loopback].compactMap { $0 })
                nodes.append(node)
                if let instance = block.instanceID { byInstance[instance] = node.key }
                if let device = block.nodeID { byDevice[device] = byDevice[device] ?? node.key }
                if let name = block.nodeName { byName[name] = byName[name] ?? node.key }
            } else if circuitSpeeds[model.productName] != nil {
                circuitModels.append((model, try model.root.decode(CircuitBlock.self)))
            }
        }
        var placeholders: Set<String> = []
        var circuits: [NetworkMap.Circuit] = []
        for (model, block) in circuitModels {
            func endpoint(_ side: Int) -> NetworkMap.Endpoint {
                let port = side < block.members.count ? block.members[side].port : nil
                let node = port?.node
                if let key = node?.instanceID.flatMap({ byInstance[$0] }) ?? node?.nodeID.flatMap({ byDevice[$0] })
                    ?? node?.nodeName.flatMap({ byName[$0] })
                {
                    return NetworkMap.Endpoint(node: key, port: port?.portName)
                }
                // Not on the map: a placeholder named by what the circuit knows, shared by
                // every circuit that names the same node.
                let known =
                    node?.instanceID.map { "instance:\($0.uuidString.lowercased())" } ?? node?.nodeID.map { "device:\($0)" }
                    ?? node?.nodeName.map { "name:\($0)" }
                let key = "placeholder:" + (known ?? "\(model.subscriptionID.uuidString.lowercased()):\(side == 0 ? "a" : "b")")
                if placeholders.insert(key).inserted {
                    let name = node?.nodeName ?? node?.nodeID.map { "device \($0)" } ?? "\(side == 0 ? "A" : "B") side: unknown node"
                    nodes.append(.placeholder(key, name: name, circuit: model.subscriptionID))
                }
                return NetworkMap.Endpoint(node: key, port: port?.portName)
            }
            circuits.append(
                NetworkMap.Circuit(
                    subscriptionID: model.subscriptionID, description: model.description, status: model.status, insync: model.insync,
                    a: endpoint(0), b: endpoint(1), speed: circuitSpeeds[model.productName] ?? nil, underMaintenance: block.underMaintenance ?? false)
            )
        }
        return NetworkMap(nodes: nodes, circuits: circuits, time: time)
    }
}

extension NetworkMap {
    /// A speed in Mbit/s as people say it: 10000 is "10G", 2500 "2.5G", 100 "100M"; any
    /// other text as it is.
    static func speedText(_ megabits: String) -> String {
        guard let value = Int(megabits), value > 0 else { return megabits }
        if value % 1000 == 0 { return "\(value / 1000)G" }
        if value > 1000 && value % 100 == 0 { return "\(value / 1000).\(value % 1000 / 100)G" }
        return "\(value)M"
    }
}

// MARK: - Layout

/// Where each node's box goes: a grid as wide as the picture, growing downwards, so boxes
/// never overlap however many there are. Nodes are placed in the order a depth-first walk
/// along the circuits visits them (components and neighbours taken by name), row after row
/// in a serpentine, so that connected nodes sit next to each other and most lines are short.
/// The same map always gets the same layout.
struct NetworkMapLayout: Sendable {
    struct Box: Sendable, Hashable {
        var x: Double
        var y: Double
        var width: Double
        var height: Double

        var midX: Double { x + width / 2 }
        var midY: Double { y + height / 2 }
    }

    /// The narrowest picture: the legend's one line fits (a page scales the picture down).
    static let minimumWidth = 1000
    static let margin = 20.0
    static let legendHeight = 44.0
    static let minimumCellWidth = 180.0
    static let cellHeight = 110.0
    static let boxHeight = 44.0

    let width: Int
    let height: Int
    let cellWidth: Double
    /// One per node of the map, in the map's order.
    let boxes: [Box]
    /// The index in the map's nodes of each node key (the first node with that key).
    let index: [String: Int]
    /// Each node's place in the layout order: what sorts circuits for drawing.
    let rank: [Int]

    init(_ map: NetworkMap, width requested: Int) {
        let count = map.nodes.count
        width = max(requested, Self.minimumWidth)
        var index: [String: Int] = [:]
        index.reserveCapacity(count)
        for (position, node) in map.nodes.enumerated() where index[node.key] == nil { index[node.key] = position }
        self.index = index

        let byName = map.nodes.indices.sorted { (map.nodes[$0].name, map.nodes[$0].key, $0) < (map.nodes[$1].name, map.nodes[$1].key, $1) }
        var nameRank = [Int](repeating: 0, count: count)
        for (position, node) in byName.enumerated() { nameRank[node] = position }
        var neighbours = [[Int]](repeating: [], count: count)
        for circuit in map.circuits {
            guard let a = index[circuit.a.node], let b = index[circuit.b.node], a != b else { continue }
            neighbours[a].append(b)
            neighbours[b].append(a)
        }
        // Depth first: a chain of nodes (a ring, a line of sites) comes out in a row.
        var order: [Int] = []
        order.reserveCapacity(count)
        var visited = [Bool](repeating: false, count: count)
        for start in byName where !visited[start] {
            var stack = [start]
            while let node = stack.popLast() {
                guard !visited[node] else { continue }
                visited[node] = true
                order.append(node)
                stack += neighbours[node].filter { !visited[$0] }.sorted { nameRank[$0] > nameRank[$1] }
            }
        }
        var rank = [Int](repeating: 0, count: count)
        for (position, node) in order.enumerated() { rank[node] = position }
        self.rank = rank

        let usable = Double(width) - 2 * Self.margin
        let widest = max(1, Int(usable / Self.minimumCellWidth))
        // Roughly square while few, then as many columns as fit.
        let columns = max(1, min(widest, count, Int(Double(count * 8 / 5).squareRoot().rounded(.up))))
        cellWidth = usable / Double(columns)
        let boxWidth = min(150, cellWidth - 30)
        let rows = (count + columns - 1) / columns
        var boxes = [Box](repeating: Box(x: 0, y: 0, width: 0, height: 0), count: count)
        for (position, node) in order.enumerated() {
            let row = position / columns
            let column = row % 2 == 0 ? position % columns : columns - 1 - position % columns
            let midX = Self.margin + (Double(column) + 0.5) * cellWidth
            let midY = Self.margin + Self.legendHeight + (Double(row) + 0.5) * Self.cellHeight
            boxes[node] = Box(x: midX - boxWidth / 2, y: midY - Self.boxHeight / 2, width: boxWidth, height: Self.boxHeight)
        }
        self.boxes = boxes
        height = Int((2 * Self.margin + Self.legendHeight + Double(rows) * Self.cellHeight).rounded(.up))
    }
}

// MARK: - Drawing

extension NetworkMap {
    /// Fill and outline of each lifecycle: calm, told apart at a glance.
    static func colours(_ status: Lifecycle?) -> (fill: String, stroke: String) {
        switch status {
        case .initial?: ("#eceff4", "#7c8798")
        case .provisioning?: ("#fcefc7", "#b7861b")
        case .active?: ("#d6efdf", "#3d8b5a")
        case .disabled?: ("#ebe2f5", "#7e61a8")
        case .migrating?: ("#d9e8f7", "#3f7cb8")
        case .terminated?: ("#e6e6e6", "#8f8f8f")
        case nil: (Ink.paper, "#9aa3ad")
        }
    }

    static let outOfSync = "#d1342f"

    /// The colours of text and paper. Kept out of the raw string literals below, where a
    /// `"#` would end the literal.
    private enum Ink {
        static let name = "#1f252d"
        static let label = "#2b3138"
        static let legend = "#3b424c"
        static let muted = "#5b6470"
        static let paper = "#ffffff"
    }
    private static let outOfSyncDash = "6 4"
    private static let placeholderDash = "2 3"

    /// The map as a self-contained SVG `width` pixels wide (at least 1000; its height grows
    /// with the node count): no external fonts, styles or scripts, fit to be inlined into a page. Each node
    /// and circuit is an `<a href="/subscriptions/<id>" data-subscription="<id>">` with a
    /// `<title>` tooltip; a placeholder node links to the circuit that named it and carries
    /// `data-placeholder-for="<circuit id>"` instead.
    func svg(width: Int = 1200) -> String {
        guard !isEmpty else { return emptySVG(width: max(width, 400)) }
        let layout = NetworkMapLayout(self, width: width)
        var out = ""
        out.reserveCapacity(2_048 + nodes.count * 700 + circuits.count * 900)
        appendHeader(to: &out, width: layout.width, height: layout.height)
        out += "<style>a.nm-link:hover .nm-shape{stroke-width:3.5}a.nm-link:focus .nm-shape{stroke-width:3.5}</style>"
        appendLegend(to: &out, width: Double(layout.width))

        // Lines first, boxes over them, then every label again on top so none hides under a box.
        let drawn = drawingOrder(layout)
        var geometry = curves(drawn, layout)
        placeLabels(on: &geometry, of: drawn, layout)
        out += #"<g class="nm-circuits">"#
        for (position, circuit) in drawn.enumerated() {
            appendCircuit(circuits[circuit], geometry[position], number: position, layout: layout, to: &out)
        }
        out += #"</g><g class="nm-nodes">"#
        for node in nodes.indices.sorted(by: { layout.rank[$0] < layout.rank[$1] }) { appendNode(nodes[node], layout.boxes[node], to: &out) }
        out += #"</g><g class="nm-labels" pointer-events="none" aria-hidden="true">"#
        for position in drawn.indices { out += "<use href=\"#nm-label-\(position)\"/>" }
        out += "</g></svg>"
        return out
    }

    /// "3 nodes, 2 circuits".
    private var counts: String {
        "\(nodes.count) node\(nodes.count == 1 ? "" : "s"), \(circuits.count) circuit\(circuits.count == 1 ? "" : "s")"
    }

    /// The `<svg>` start tag and the picture's title: what it shows, and when if in the past.
    private func appendHeader(to out: inout String, width: Int, height: Int) {
        out += #"<svg xmlns="http://www.w3.org/2000/svg" width="\#(width)" height="\#(height)" viewBox="0 0 \#(width) \#(height)" "#
        out += #"font-family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif" class="nm-map" aria-labelledby="nm-title">"#
        let when = time.map { " as it was at \(UTCTimeText.text($0, separator: " ", zone: " UTC"))" } ?? ""
        out += #"<title id="nm-title">Network map\#(when): \#(counts)</title>"#
    }

    private func emptySVG(width: Int) -> String {
        var out = ""
        appendHeader(to: &out, width: width, height: 120)
        out +=
            #"<rect x="1" y="1" width="\#(width - 2)" height="118" rx="8" fill="none" stroke="\#(Self.colours(nil).stroke)" stroke-dasharray="6 4"/>"#
        out += #"<text class="nm-empty" x="\#(width / 2)" y="66" text-anchor="middle" font-size="16" fill="\#(Ink.muted)">"#
        out += "No nodes or circuits yet</text></svg>"
        return out
    }

    private func appendLegend(to out: inout String, width: Double) {
        out += #"<g class="nm-legend" font-size="12" fill="\#(Ink.legend)">"#
        var x = NetworkMapLayout.margin
        let y = NetworkMapLayout.margin
        func item(_ text: String, fill: String, stroke: String, dash: String?) {
            out += #"<rect x="\#(Self.number(x))" y="\#(Self.number(y))" width="22" height="14" rx="4" fill="\#(fill)" stroke="\#(stroke)" "#
            out += #"stroke-width="\#(dash == nil ? "1.5" : "2")"\#(dash.map { #" stroke-dasharray="\#($0)""# } ?? "")/>"#
            out += #"<text x="\#(Self.number(x + 28))" y="\#(Self.number(y + 11))">\#(text)</text>"#
            x += 28 + Double(text.count) * 7 + 18
        }
        for status in [Lifecycle.initial, .provisioning, .active, .disabled, .migrating] {
            let colours = Self.colours(status)
            item(status.rawValue, fill: colours.fill, stroke: colours.stroke, dash: nil)
        }
        item("not in sync (dashed red)", fill: Ink.paper, stroke: Self.outOfSync, dash: Self.outOfSyncDash)
        item("named by a circuit, not a Node here", fill: Ink.paper, stroke: Self.colours(nil).stroke, dash: Self.placeholderDash)
        if x + 160 < width {
            out += #"<text x="\#(Self.number(width - NetworkMapLayout.margin))" y="\#(Self.number(y + 11))" text-anchor="end" fill="\#(Ink.muted)">"#
            out += "\(counts)</text>"
        }
        out += "</g>"
    }

    private func appendNode(_ node: Node, _ box: NetworkMapLayout.Box, to out: inout String) {
        let id = node.subscriptionID.uuidString.lowercased()
        let colours = Self.colours(node.status)
        out += #"<a class="nm-link nm-node" href="/subscriptions/\#(id)" "#
        if node.isPlaceholder {
            out += #"data-placeholder-for="\#(id)">"#
        } else {
            out += #"data-subscription="\#(id)" data-status="\#(node.status?.rawValue ?? "")" data-insync="\#(node.insync ? "true" : "false")">"#
        }
        out += "<title>"
        out += Markup.escaped(tooltip(node))
        out += #"</title><rect class="nm-shape" x="\#(Self.number(box.x))" y="\#(Self.number(box.y))" "#
        out += #"width="\#(Self.number(box.width))" height="\#(Self.number(box.height))" rx="9" fill="\#(colours.fill)" "#
        if node.isPlaceholder {
            out += #"stroke="\#(colours.stroke)" stroke-width="1.5" stroke-dasharray="\#(Self.placeholderDash)"/>"#
        } else if !node.insync {
            out += #"stroke="\#(Self.outOfSync)" stroke-width="2.5" stroke-dasharray="\#(Self.outOfSyncDash)"/>"#
        } else {
            out += #"stroke="\#(colours.stroke)" stroke-width="1.5"/>"#
        }
        // About 7 pixels a character at 12 px: a long name is cut to fit, whole in the tooltip.
        let fits = max(4, Int((box.width - 12) / 7))
        out += #"<text x="\#(Self.number(box.midX))" y="\#(Self.number(box.midY - 3))" text-anchor="middle" font-size="12" font-weight="600" "#
        out += #"fill="\#(Ink.name)"\#(node.isPlaceholder ? #" font-style="italic""# : "")>"#
        out += Markup.escaped(Self.truncated(node.name, to: fits))
        out +=
            #"</text><text x="\#(Self.number(box.midX))" y="\#(Self.number(box.midY + 13))" text-anchor="middle" font-size="10" fill="\#(Ink.muted)">"#
        out += Markup.escaped(
            Self.truncated(node.isPlaceholder ? "not on the map" : node.loopbacks.first ?? node.status?.rawValue ?? "", to: fits + 2))
        out += "</text></a>"
    }

    private func tooltip(_ node: Node) -> String {
        guard let status = node.status else {
            let circuit = circuits.first { $0.subscriptionID == node.subscriptionID }
            return
                "\(node.name): no Node subscription on the map; named by circuit \(circuit?.description ?? node.subscriptionID.uuidString.lowercased())"
        }
        var text = "\(node.name): Node, \(status.rawValue), \(node.insync ? "in sync" : "not in sync")"
        if !node.loopbacks.isEmpty { text += "\nloopbacks " + node.loopbacks.joined(separator: ", ") }
        return text
    }
}

extension NetworkMap {
    /// A circuit's line as drawn: a quadratic curve (straight when its control point is the
    /// middle), and where its label goes.
    fileprivate struct Curve {
        var from: (x: Double, y: Double)
        var control: (x: Double, y: Double)
        var to: (x: Double, y: Double)
        var straight: Bool
        var label = (x: 0.0, y: 0.0)

        var path: String {
            let start = "M\(NetworkMap.number(from.x)) \(NetworkMap.number(from.y))"
            let end = "\(NetworkMap.number(to.x)) \(NetworkMap.number(to.y))"
            return straight ? "\(start)L\(end)" : "\(start)Q\(NetworkMap.number(control.x)) \(NetworkMap.number(control.y)) \(end)"
        }

        func point(at t: Double) -> (x: Double, y: Double) {
            let (a, b, c) = ((1 - t) * (1 - t), 2 * (1 - t) * t, t * t)
            return (a * from.x + b * control.x + c * to.x, a * from.y + b * control.y + c * to.y)
        }
    }

    /// The circuits' indices in layout order of their ends, then by id: the same map draws
    /// the same way whatever order the store listed it in.
    private func drawingOrder(_ layout: NetworkMapLayout) -> [Int] {
        let keys = circuits.map { circuit -> (Int, Int, String) in
            let a = layout.rank[layout.index[circuit.a.node] ?? 0]
            let b = layout.rank[layout.index[circuit.b.node] ?? 0]
            return (min(a, b), max(a, b), circuit.subscriptionID.uuidString)
        }
        return circuits.indices.sorted { keys[$0] < keys[$1] }
    }

    /// Each drawn circuit's line. A line between neighbours in a row arcs up, so its label
    /// can sit between the rows rather than on the boxes; one along a column past other
    /// boxes arcs sideways; parallel circuits between the same two nodes fan out.
    private func curves(_ drawn: [Int], _ layout: NetworkMapLayout) -> [Curve] {
        var perPair: [[Int]: Int] = [:]
        let pairs = drawn.map { circuit -> [Int] in
            // Ends in layout order, not the circuit's: the same pair of nodes draws the same way round.
            let ends = [layout.index[circuits[circuit].a.node] ?? 0, layout.index[circuits[circuit].b.node] ?? 0].sorted {
                layout.rank[$0] < layout.rank[$1]
            }
            perPair[ends, default: 0] += 1
            return ends
        }
        var seen: [[Int]: Int] = [:]
        return pairs.map { ends in
            let number = seen[ends, default: 0]
            seen[ends] = number + 1
            let (from, to) = (layout.boxes[ends[0]], layout.boxes[ends[1]])
            let (dx, dy) = (to.midX - from.midX, to.midY - from.midY)
            let length = max((dx * dx + dy * dy).squareRoot(), 1)
            // The unit normal pointing up (or right, for a vertical line), whichever way the line runs.
            var (nx, ny) = (dy / length, -dx / length)
            if ny > 0 || (ny == 0 && nx < 0) { (nx, ny) = (-nx, -ny) }
            var bend = (Double(number) - Double((perPair[ends] ?? 1) - 1) / 2) * 36
            if abs(dy) < 1 {
                bend += NetworkMapLayout.cellHeight * 0.8
            } else if abs(dx) < 1 && abs(dy) > NetworkMapLayout.cellHeight * 1.5 {
                bend += layout.cellWidth
            }
            let middle = ((from.midX + to.midX) / 2, (from.midY + to.midY) / 2)
            return Curve(
                from: (from.midX, from.midY), control: (middle.0 + nx * bend, middle.1 + ny * bend), to: (to.midX, to.midY), straight: bend == 0)
        }
    }

    /// Puts each label at the point of its line nearest the middle where it covers no box
    /// and no label placed before it (else where it covers least): with a few hundred
    /// circuits, labels in one gap between boxes would otherwise pile up on each other.
    private func placeLabels(on curves: inout [Curve], of drawn: [Int], _ layout: NetworkMapLayout) {
        var taken = OccupiedAreas()
        for box in layout.boxes { taken.insert(box) }
        for (position, circuit) in drawn.enumerated() {
            // About 6.2 pixels a character at 11 px, and a line's height.
            let (width, height) = (Double(circuits[circuit].label.count) * 6.2 + 6, 15.0)
            var best: (cover: Double, area: NetworkMapLayout.Box)?
            search: for t in [0.5, 0.42, 0.58, 0.34, 0.66, 0.26, 0.74, 0.18, 0.82] {
                let point = curves[position].point(at: t)
                // Inside the picture, and if need be a little off the line.
                let x = min(max(point.x, width / 2 + 2), Double(layout.width) - width / 2 - 2)
                for shift in [0.0, -13, 13] {
                    let area = NetworkMapLayout.Box(x: x - width / 2, y: point.y + shift - height / 2, width: width, height: height)
                    let cover = taken.cover(area)
                    if best == nil || cover < best!.cover { best = (cover, area) }
                    if cover == 0 { break search }
                }
            }
            guard let area = best?.area else { continue }
            taken.insert(area)
            curves[position].label = (area.midX, area.midY)
        }
    }

    private func appendCircuit(_ circuit: Circuit, _ curve: Curve, number: Int, layout: NetworkMapLayout, to out: inout String) {
        let id = circuit.subscriptionID.uuidString.lowercased()
        let colours = Self.colours(circuit.status)
        out += #"<a class="nm-link nm-circuit" href="/subscriptions/\#(id)" data-subscription="\#(id)" data-status="\#(circuit.status.rawValue)" "#
        out += #"data-insync="\#(circuit.insync ? "true" : "false")"><title>"#
        out += Markup.escaped(tooltip(circuit, layout))
        out +=
            #"</title><path class="nm-shape" d="\#(curve.path)" fill="none" stroke="\#(colours.stroke)" stroke-width="\#(circuit.insync ? "2.5" : "4")" "#
        out += #"stroke-linecap="round"/>"#
        if !circuit.insync {
            out += #"<path d="\#(curve.path)" fill="none" stroke="\#(Self.outOfSync)" stroke-width="2" stroke-dasharray="\#(Self.outOfSyncDash)"/>"#
        }
        out += #"<text id="nm-label-\#(number)" class="nm-label" x="\#(Self.number(curve.label.x))" y="\#(Self.number(curve.label.y + 4))" "#
        out +=
            #"text-anchor="middle" font-size="11" fill="\#(circuit.insync ? Ink.label : Self.outOfSync)" paint-order="stroke" stroke="\#(Ink.paper)" "#
        out += #"stroke-width="4" stroke-linejoin="round">"#
        out += Markup.escaped(circuit.label)
        out += "</text></a>"
    }

    private func tooltip(_ circuit: Circuit, _ layout: NetworkMapLayout) -> String {
        func end(_ endpoint: Endpoint) -> String {
            let name = layout.index[endpoint.node].map { nodes[$0].name } ?? endpoint.node
            return "\(name):\(endpoint.port ?? "?")"
        }
        var text = circuit.description.isEmpty ? "Circuit" : circuit.description
        text += "\n\(end(circuit.a)) ⟷ \(end(circuit.b))" + (circuit.speed.map { " · \($0)" } ?? "")
        text += "\n\(circuit.status.rawValue), \(circuit.insync ? "in sync" : "not in sync")"
        if circuit.underMaintenance { text += ", under maintenance" }
        return text
    }

    /// A coordinate to the pixel: the picture does not need more, and the text stays short.
    fileprivate static func number(_ value: Double) -> String {
        String(Int(value.rounded()))
    }

    private static func truncated(_ text: String, to length: Int) -> String {
        text.count <= length ? text : String(text.prefix(max(1, length - 1))) + "…"
    }
}

/// The areas of the picture taken so far (boxes, placed labels), bucketed on a coarse grid
/// so that asking what an area covers looks at its neighbourhood only.
private struct OccupiedAreas {
    private var buckets: [Int: [NetworkMapLayout.Box]] = [:]
    private static let size = 100.0

    /// Calls `body` with the key of every bucket `area` touches.
    private static func forEachKey(_ area: NetworkMapLayout.Box, _ body: (Int) -> Void) {
        let (left, right) = (Int((area.x / size).rounded(.down)), Int(((area.x + area.width) / size).rounded(.down)))
        let (top, bottom) = (Int((area.y / size).rounded(.down)), Int(((area.y + area.height) / size).rounded(.down)))
        for row in top...bottom {
            for column in left...right { body(row &* 1_000_003 &+ column) }
        }
    }

    mutating func insert(_ area: NetworkMapLayout.Box) {
        Self.forEachKey(area) { buckets[$0, default: []].append(area) }
    }

    /// How much of `area` the areas taken cover (an area in two buckets counts twice: only
    /// the comparison matters).
    func cover(_ area: NetworkMapLayout.Box) -> Double {
        var total = 0.0
        Self.forEachKey(area) { key in
            for other in buckets[key] ?? [] {
                let width = min(area.x + area.width, other.x + other.width) - max(area.x, other.x)
                let height = min(area.y + area.height, other.y + other.height) - max(area.y, other.y)
                if width > 0 && height > 0 { total += width * height }
            }
        }
        return total
    }
}
