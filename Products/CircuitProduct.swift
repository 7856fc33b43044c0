import Foundation
import WorkflowEngine

/// A physical port of a node, in NetBox an interface.
public struct PortBlock: ProductBlock {
    public static let blockName = "PortBlock"
    public static let fields: [BlockField] = [
        .value("port_id", required: .from(.provisioning), "NetBox interface id"),
        .value("port_name", required: .from(.provisioning), "the interface's name"),
        .value("port_description", "the interface's description"),
        .block("node", NodeBlock.self, required: .from(.provisioning)),
    ]

    public var instanceID: UUID?
    public var portID: Int?
    public var portName: String?
    public var portDescription: String?
    /// The NodeBlock of an active Node subscription: the Circuit uses that Node.
    public var node: NodeBlock?

    public init(instanceID: UUID? = nil, portID: Int? = nil, portName: String? = nil, portDescription: String? = nil, node: NodeBlock? = nil) {
        self.instanceID = instanceID
        self.portID = portID
        self.portName = portName
        self.portDescription = portDescription
        self.node = node
    }

    enum CodingKeys: String, CodingKey {
        case instanceID = "subscription_instance_id"
        case portID = "port_id"
        case portName = "port_name"
        case portDescription = "port_description"
        case node
    }
}

/// One side of a circuit: a port and the point-to-point addresses on it.
public struct Layer3InterfaceBlock: ProductBlock {
    public static let blockName = "Layer3InterfaceBlock"
    public static let fields: [BlockField] = [
        .block("port", PortBlock.self, required: .from(.provisioning)),
        .value("v6_ip_address", required: .from(.provisioning), "the side's IPv6 address (/127)"),
        .value("v4_ip_address", required: .from(.provisioning), "the side's IPv4 address (/31)"),
    ]

    public var instanceID: UUID?
    public var port: PortBlock?
    public var v6IPAddress: String?
    public var v4IPAddress: String?

    public init(instanceID: UUID? = nil, port: PortBlock? = nil, v6IPAddress: String? = nil, v4IPAddress: String? = nil) {
        self.instanceID = instanceID
        self.port = port
        self.v6IPAddress = v6IPAddress
        self.v4IPAddress = v4IPAddress
    }

    enum CodingKeys: String, CodingKey {
        case instanceID = "subscription_instance_id"
        case port
        case v6IPAddress = "v6_ip_address"
        case v4IPAddress = "v4_ip_address"
    }
}

/// A link between two nodes: in NetBox a cable between two interfaces.
public struct CircuitBlock: ProductBlock {
    public static let blockName = "CircuitBlock"
    public static let fields: [BlockField] = [
        .blocks("members", Layer3InterfaceBlock.self, count: 2...2, required: .from(.initial)),
        .value("circuit_id", required: .from(.active), "NetBox cable id"),
        .value("circuit_status", required: .from(.provisioning), "the cable's NetBox status (planned, connected)"),
        .value("circuit_description", "the cable's description"),
        .value("under_maintenance", required: .from(.provisioning), "IS-IS metric raised, traffic drained"),
    ]

    public var instanceID: UUID?
    /// Exactly two: [0] the A side, [1] the B side.
    public var members: [Layer3InterfaceBlock]
    public var circuitID: Int?
    public var circuitStatus: String?
    public var circuitDescription: String?
    public var underMaintenance: Bool?

    public init(
        instanceID: UUID? = nil, members: [Layer3InterfaceBlock] = [], circuitID: Int? = nil, circuitStatus: String? = nil,
        circuitDescription: String? = nil, underMaintenance: Bool? = nil
    ) {
        self.instanceID = instanceID
        self.members = members
        self.circuitID = circuitID
        self.circuitStatus = circuitStatus
        self.circuitDescription = circuitDescription
        self.underMaintenance = underMaintenance
    }

    enum CodingKeys: String, CodingKey {
        case instanceID = "subscription_instance_id"
        case members
        case circuitID = "circuit_id"
        case circuitStatus = "circuit_status"
        case circuitDescription = "circuit_description"
        case underMaintenance = "under_maintenance"
    }

    /// "Circuit ID 12: rt1:xe-0/0/0 <--> rt2:xe-0/0/1"; nil until both sides are known.
    public var subscriptionDescription: String? {
        guard let ends = endsDescription else { return nil }
        return "Circuit ID \(circuitID.map(String.init) ?? "(none yet)"): \(ends)"
    }

    /// "rt1:xe-0/0/0 <--> rt2:xe-0/0/1", the two ends; nil until both sides are known.
    public var endsDescription: String? {
        guard members.count == 2, let a = members[0].port, let b = members[1].port, let aNode = a.node?.nodeName,
            let bNode = b.node?.nodeName, let aPort = a.portName, let bPort = b.portName
        else { return nil }
        return "\(aNode):\(aPort) <--> \(bNode):\(bPort)"
    }
}

public enum CircuitProduct {
    /// The product type every variant shares (`products.product_type`).
    public static let type = "Circuit"

    /// One variant per port speed in Mbit/s (fixed input `speed`); the default lab's ports are 10G.
    public static let variants: [ProductDefinition] = [(10_000, "10G"), (100_000, "100G")].map { speed, label in
        ProductDefinition(
            name: "\(type) \(label)", type: type, description: "A \(label) point-to-point link between two nodes",
            fixedInputs: ["speed": String(speed)], rootAttribute: "circuit", root: CircuitBlock.self,
            workflows: ["create_circuit", "modify_circuit", "modify_note", "terminate_circuit", "validate_circuit"],
            describe: { $0.subscriptionDescription })
    }
}

/// Every product this build ships.
public enum ProductCatalog {
    public static var all: [ProductDefinition] { [NodeProduct.definition] + CircuitProduct.variants }
}
