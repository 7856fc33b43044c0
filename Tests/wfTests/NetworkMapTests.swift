import Foundation
import Persistence
import Products
import Testing
import WorkflowEngine
import WorkflowTestKit

@testable import wf

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// The network map: drawn from values (well-formed, linked, marked, escaped, deterministic,
/// laid out without overlaps), and loaded from a store as it is and as it was.
@Suite struct NetworkMapTests {
    @Test func drawsEveryNodeAndCircuitAsALinkToItsSubscription() throws {
        let map = Sample.map
        let svg = try SVGElements(map.svg())
        for node in map.nodes where !node.isPlaceholder {
            let id = node.subscriptionID.uuidString.lowercased()
            let link = try #require(svg.links[id], "no link for node \(node.name)")
            #expect(link.attributes["href"] == "/subscriptions/\(id)")
            #expect(link.text.contains(node.name))
            #expect(svg.elements.contains { $0.name == "title" && $0.text.contains(node.name) }, "a tooltip names \(node.name)")
        }
        for circuit in map.circuits {
            let id = circuit.subscriptionID.uuidString.lowercased()
            let link = try #require(svg.links[id], "no link for circuit \(circuit.description)")
            #expect(link.attributes["href"] == "/subscriptions/\(id)")
            #expect(link.attributes["data-status"] == circuit.status.rawValue)
        }
        #expect(svg.links[Sample.id(10)]?.text.contains("xe-0/0/0 ⟷ et-1/0/0 · 10G") == true)
        #expect(svg.links[Sample.id(11)]?.text.contains("xe-0/0/1 ⟷ ge-0/0/9 · 100G") == true)
        // A circuit whose product has no speed says only its ports.
        let bare = try #require(svg.links[Sample.id(12)])
        #expect(bare.text.contains("et-1/0/1 ⟷ xe-0/1/0") && !bare.text.contains("·"))
        #expect(svg.elements.contains { $0.name == "g" && $0.attributes["class"] == "nm-legend" })
    }

    @Test func marksWhatIsNotInSync() throws {
        let svg = try SVGElements(Sample.map.svg())
        let outOfSync = try #require(svg.elements(in: Sample.id(3)).first { $0.name == "rect" })
        #expect(outOfSync.attributes["stroke"] == NetworkMap.outOfSync)
        #expect(outOfSync.attributes["stroke-dasharray"] != nil)
        #expect(svg.links[Sample.id(3)]?.attributes["data-insync"] == "false")
        let inSync = try #require(svg.elements(in: Sample.id(1)).first { $0.name == "rect" })
        #expect(inSync.attributes["stroke"] != NetworkMap.outOfSync && inSync.attributes["stroke-dasharray"] == nil)
        #expect(inSync.attributes["fill"] == NetworkMap.colours(.active).fill)
        #expect(svg.elements(in: Sample.id(11)).contains { $0.name == "path" && $0.attributes["stroke"] == NetworkMap.outOfSync })
        #expect(!svg.elements(in: Sample.id(10)).contains { $0.attributes["stroke"] == NetworkMap.outOfSync })
    }

    @Test func escapesText() throws {
        let raw = Sample.map.svg()
        #expect(raw.contains("a&lt;&amp;&gt;&quot;b"))
        #expect(!raw.contains("a<&>"))
        let svg = try SVGElements(raw)
        #expect(svg.links[Sample.id(4)]?.text.contains("a<&>\"b") == true)
        // Control characters XML cannot hold do not break the document.
        var hostile = Sample.map
        hostile.nodes[0].name = "bell\u{7}\u{0}and\u{FFFE}"
        #expect(throws: Never.self) { try SVGElements(hostile.svg()) }
    }

    @Test func drawsAPlaceholderForANodeOnlyACircuitNames() throws {
        let svg = try SVGElements(Sample.map.svg())
        let placeholder = try #require(svg.elements.first { $0.attributes["data-placeholder-for"] == Sample.id(12) })
        #expect(placeholder.attributes["href"] == "/subscriptions/\(Sample.id(12))")
        #expect(placeholder.attributes["data-subscription"] == nil)
        #expect(placeholder.text.contains("rt9.lab"))
    }

    @Test func isDeterministicWhateverTheOrderOfItsInput() {
        let map = Sample.map
        let shuffled = NetworkMap(nodes: map.nodes.reversed(), circuits: map.circuits.reversed())
        #expect(map.svg() == map.svg())
        #expect(shuffled.svg() == map.svg())
        #expect(map.svg(width: 1600) != map.svg())
    }

    @Test func anEmptyMapSaysSo() throws {
        let svg = try SVGElements(NetworkMap(nodes: [], circuits: []).svg())
        #expect(svg.elements.contains { $0.name == "text" && $0.text == "No nodes or circuits yet" })
        #expect(svg.links.isEmpty)
    }

    @Test func threeHundredNodesLayOutWithoutOverlapsQuickly() throws {
        let map = Sample.ring(300)
        let layout = NetworkMapLayout(map, width: 1200)
        #expect(layout.boxes.count == 300)
        for (i, box) in layout.boxes.enumerated() {
            #expect(box.x >= 0 && box.x + box.width <= Double(layout.width))
            #expect(box.y >= 0 && box.y + box.height <= Double(layout.height))
            for other in layout.boxes[(i + 1)...] where box.overlaps(other) {
                Issue.record("boxes overlap: \(box) and \(other)")
            }
        }
        #expect(layout.height > NetworkMapLayout(Sample.ring(30), width: 1200).height, "the picture grows downwards")

        let clock = ContinuousClock()
        var svg = ""
        let took = clock.measure { svg = map.svg() }
        let parsed = try SVGElements(svg)
        #expect(parsed.links.count == 600)
        let boxes = parsed.elements.filter { $0.name == "rect" && $0.attributes["class"] == "nm-shape" }.map { rect in
            NetworkMapLayout.Box(x: rect.number("x"), y: rect.number("y"), width: rect.number("width"), height: rect.number("height"))
        }
        #expect(boxes.count == 300)
        // Every label found a place off the boxes (a ring leaves room enough).
        let labels = parsed.elements.filter { $0.attributes["class"] == "nm-label" }
        #expect(labels.count == 300)
        for label in labels {
            let spot = NetworkMapLayout.Box(x: label.number("x") - 1, y: label.number("y") - 6, width: 2, height: 2)
            #expect(!boxes.contains { $0.overlaps(spot) }, "label \(label.text) lies on a box")
        }
        // The budget is 20 ms in a release build; a debug build gets room to spare.
        #expect(took < .milliseconds(500), "300 nodes took \(took)")
    }

    @Test func loadsTheWorkshopStoryFromTheStore() async throws {
        let wf = try WFRunner()
        defer { wf.remove() }
        let demo = try wf.run(["demo"])
        try #require(demo.status == 0, "\(demo.stderr)")
        let store = try wf.store()
        let map = try await NetworkMap.load(store: store, at: nil)
        #expect(map.nodes.map(\.name).sorted() == ["loc1-core", "loc2-core"])
        #expect(map.nodes.allSatisfy { $0.status == .active && $0.insync && $0.loopbacks.count == 2 })
        let circuit = try #require(map.circuits.first)
        #expect(map.circuits.count == 1)
        #expect(circuit.speed == "10G")
        #expect(Set([circuit.a.node, circuit.b.node]) == Set(map.nodes.map(\.key)), "the circuit joins the two Nodes")
        let svg = try SVGElements(map.svg())
        #expect(svg.links[circuit.subscriptionID.uuidString.lowercased()]?.text.contains(circuit.label) == true)

        // Just before the circuit's first version: the two Nodes, no circuit.
        let created = try #require(try await store.versions(of: circuit.subscriptionID).first?.time)
        let before = try await NetworkMap.load(store: store, at: created.addingTimeInterval(-0.001))
        #expect(before.nodes.count == 2 && before.circuits.isEmpty)
        #expect(try await NetworkMap.load(store: store, at: Date(timeIntervalSince1970: 0)).isEmpty)
        #expect(!map.truncated)

        // A limit keeps a large network drawable, and says that it left some out; a search picks which.
        let one = try await NetworkMap.load(store: store, at: nil, limit: 1)
        #expect(one.truncated && one.nodes.filter { !$0.isPlaceholder }.count == 1 && one.circuits.isEmpty)
        let searched = try await NetworkMap.load(store: store, at: nil, text: "loc2-core")
        #expect(searched.nodes.filter { !$0.isPlaceholder }.map(\.name).contains("loc2-core"))
        #expect(!searched.nodes.contains { $0.name == "loc1-core" && !$0.isPlaceholder })
    }

    @Test func leavesOutTheTerminatedAndWhatDidNotExistYet() async throws {
        let temporary = try await TemporaryStore(products: ProductCatalog.all)
        let store = temporary.store
        let node = NodeProduct.definition
        let circuit10G = try #require(CircuitProduct.variants.first { $0.name == "Circuit 10G" })
        let t0 = Date(timeIntervalSince1970: 1_700_000_000)
        func at(_ seconds: Double) -> Date { t0.addingTimeInterval(seconds) }

        let a = try await store.seed(Sample.nodeModel(1, "rt1.lab", device: 1), product: node, now: at(10))
        let b = try await store.seed(Sample.nodeModel(2, "rt2.lab", device: 2), product: node, now: at(10))
        _ = try await store.seed(Sample.circuitModel(10, a, b), product: circuit10G, now: at(20))
        var gone = try await store.seed(Sample.nodeModel(5, "rt5.lab", device: 5), product: node, now: at(30))
        gone.status = .terminated
        try await store.saveSubscription(SubscriptionWrite(gone, product: node), user: "test", now: at(40))
        // A circuit to a node no Node subscription holds: drawn to a placeholder.
        let stranger = try JSONValue(encoding: NodeBlock(nodeID: 9, nodeName: "rt9.lab"))
        _ = try await store.seed(
            Sample.circuitModel(
                11, a, SubscriptionModel(subscriptionID: Sample.uuid(9), productName: "Node", customerID: "lab", description: "", root: stranger)),
            product: circuit10G, now: at(50))

        let now = try await NetworkMap.load(store: store, at: nil)
        #expect(now.nodes.map(\.name).sorted() == ["rt1.lab", "rt2.lab", "rt9.lab"])
        #expect(now.nodes.first { $0.name == "rt9.lab" }?.isPlaceholder == true)
        #expect(now.circuits.map(\.subscriptionID).sorted { $0.uuidString < $1.uuidString } == [Sample.uuid(10), Sample.uuid(11)])
        #expect(now.circuits.allSatisfy { $0.speed == "10G" })

        let whileLive = try await NetworkMap.load(store: store, at: at(35))
        #expect(whileLive.nodes.map(\.name).sorted() == ["rt1.lab", "rt2.lab", "rt5.lab"], "rt5 was live then")
        #expect(whileLive.circuits.map(\.subscriptionID) == [Sample.uuid(10)])
        #expect(whileLive.time == at(35))
        let first = try await NetworkMap.load(store: store, at: at(15))
        #expect(first.nodes.count == 2 && first.circuits.isEmpty)
        #expect(try await NetworkMap.load(store: store, at: at(5)).isEmpty)
    }
}

extension NetworkMapLayout.Box {
    func overlaps(_ other: Self) -> Bool {
        x < other.x + other.width && other.x < x + width && y < other.y + other.height && other.y < y + height
    }
}

/// Maps built from values.
private enum Sample {
    static func uuid(_ number: Int) -> UUID {
        UUID(uuidString: "00000000-0000-4000-8000-\(String(repeating: "0", count: 12 - String(number).count))\(number)")!
    }

    static func id(_ number: Int) -> String { uuid(number).uuidString.lowercased() }

    /// Four Nodes (one out of sync, one with a name to escape), three circuits (one out of
    /// sync, one without a speed and to a node only it knows).
    static var map: NetworkMap {
        NetworkMap(
            nodes: [
                .init(subscriptionID: uuid(1), name: "rt1.lab", status: .active, insync: true, loopbacks: ["10.0.0.1", "fc00::1"]),
                .init(subscriptionID: uuid(2), name: "rt2.lab", status: .provisioning, insync: true),
                .init(subscriptionID: uuid(3), name: "rt3.lab", status: .active, insync: false),
                .init(subscriptionID: uuid(4), name: "a<&>\"b", status: .initial, insync: true),
            ],
            circuits: [
                .init(
                    subscriptionID: uuid(10), description: "Circuit ID 1", status: .active, insync: true,
                    a: .init(node: uuid(1), port: "xe-0/0/0"), b: .init(node: uuid(2), port: "et-1/0/0"), speed: "10G"),
                .init(
                    subscriptionID: uuid(11), description: "Circuit ID 2", status: .provisioning, insync: false,
                    a: .init(node: uuid(1), port: "xe-0/0/1"), b: .init(node: uuid(3), port: "ge-0/0/9"), speed: "100G"),
                .init(
                    subscriptionID: uuid(12), description: "Circuit to a stranger", status: .active, insync: true,
                    a: .init(node: uuid(2), port: "et-1/0/1"), b: .init(node: "placeholder:rt9.lab", port: "xe-0/1/0"), speed: nil),
            ])
    }

    /// `count` active Nodes in a ring of circuits, named so that name order is not ring order.
    static func ring(_ count: Int) -> NetworkMap {
        let nodes = (0..<count).map {
            NetworkMap.Node(subscriptionID: uuid($0 + 1), name: "rt\($0 * 7919 % count).lab", status: .active, insync: true)
        }
        let circuits = (0..<count).map { index in
            NetworkMap.Circuit(
                subscriptionID: uuid(100_000 + index), description: "ring \(index)", status: .active, insync: index % 10 != 0,
                a: .init(node: nodes[index].key, port: "xe-0/0/0"), b: .init(node: nodes[(index + 1) % count].key, port: "xe-0/0/1"), speed: "10G")
        }
        return NetworkMap(nodes: nodes, circuits: circuits)
    }

    static func nodeModel(_ number: Int, _ name: String, device: Int) throws -> SubscriptionModel {
        let block = NodeBlock(nodeID: device, nodeName: name, nodeStatus: "active", ipv4Loopback: "10.0.0.\(device)", ipv6Loopback: "fc00::\(device)")
        return SubscriptionModel(
            subscriptionID: uuid(number), productName: "Node", customerID: "lab", description: "Node \(name)", status: .active, insync: true,
            root: try JSONValue(encoding: block))
    }

    static func circuitModel(_ number: Int, _ a: SubscriptionModel, _ b: SubscriptionModel) throws -> SubscriptionModel {
        func side(_ node: SubscriptionModel, port: Int) throws -> Layer3InterfaceBlock {
            Layer3InterfaceBlock(
                port: PortBlock(portID: port, portName: "ethernet-1/\(port)", node: try node.root.decode(NodeBlock.self)),
                v6IPAddress: "fc00:0:0:10::\(port)/127", v4IPAddress: "10.1.0.\(port)/31")
        }
        let circuit = CircuitBlock(
            members: [try side(a, port: number), try side(b, port: number + 1)], circuitID: number, circuitStatus: "connected",
            underMaintenance: false)
        return SubscriptionModel(
            subscriptionID: uuid(number), productName: "Circuit 10G", customerID: "lab", description: circuit.subscriptionDescription ?? "Circuit",
            status: .active, insync: true, root: try JSONValue(encoding: circuit))
    }
}

/// An SVG read back with Foundation's XML parser: every element with its attributes and all
/// the text inside it; reading fails unless the document is well-formed.
private final class SVGElements: NSObject, XMLParserDelegate {
    struct Element {
        var name: String
        var attributes: [String: String]
        var text = ""
        /// The `data-subscription` of the link it is in, if any.
        var link: String?

        func number(_ attribute: String) -> Double { attributes[attribute].flatMap(Double.init) ?? .nan }
    }

    private(set) var elements: [Element] = []
    private var open: [Int] = []

    init(_ svg: String) throws {
        super.init()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = self
        guard parser.parse() else {
            throw ParseFailure(message: "\(parser.parserError.map(String.init(describing:)) ?? "unknown error") in \(svg.prefix(400))")
        }
        #expect(elements.first?.name == "svg")
    }

    struct ParseFailure: Error {
        var message: String
    }

    /// Each link by its `data-subscription`.
    var links: [String: Element] {
        Dictionary(elements.filter { $0.name == "a" && $0.attributes["data-subscription"] != nil }.map { ($0.attributes["data-subscription"]!, $0) })
        { a, _ in a }
    }

    /// The elements inside the link of `subscription`.
    func elements(in subscription: String) -> [Element] {
        elements.filter { $0.link == subscription && $0.name != "a" }
    }

    func parser(
        _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        let link = attributes["data-subscription"] ?? open.last.flatMap { elements[$0].link }
        elements.append(Element(name: elementName, attributes: attributes, link: link))
        open.append(elements.count - 1)
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
        open.removeLast()
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        for index in open { elements[index].text += string }
    }
}
