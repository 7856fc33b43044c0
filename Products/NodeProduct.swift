import Foundation
import WorkflowEngine

/// A router enrolled in the network: one NetBox device.
public struct NodeBlock: ProductBlock {
    public static let blockName = "NodeBlock"
    public static let fields: [BlockField] = [
        .value("node_id", required: .from(.provisioning), "NetBox device id"),
        .value("node_name", required: .from(.provisioning), "the device's name"),
        .value("node_status", required: .from(.provisioning), "the device's NetBox status (planned, active, ...)"),
        .value("ipv4_loopback", required: .from(.provisioning), "Loopback0 IPv4 address"),
        .value("ipv6_loopback", required: .from(.provisioning), "Loopback0 IPv6 address"),
    ]

    public var instanceID: UUID?
    public var nodeID: Int?
    public var nodeName: String?
    public var nodeStatus: String?
    public var ipv4Loopback: String?
    public var ipv6Loopback: String?

    public init(
        instanceID: UUID? = nil, nodeID: Int? = nil, nodeName: String? = nil, nodeStatus: String? = nil, ipv4Loopback: String? = nil,
        ipv6Loopback: String? = nil
    ) {
        self.instanceID = instanceID
        self.nodeID = nodeID
        self.nodeName = nodeName
        self.nodeStatus = nodeStatus
        self.ipv4Loopback = ipv4Loopback
        self.ipv6Loopback = ipv6Loopback
    }

    enum CodingKeys: String, CodingKey {
        case instanceID = "subscription_instance_id"
        case nodeID = "node_id"
        case nodeName = "node_name"
        case nodeStatus = "node_status"
        case ipv4Loopback = "ipv4_loopback"
        case ipv6Loopback = "ipv6_loopback"
    }
}

public enum NodeProduct {
    public static let definition = ProductDefinition(
        name: "Node", type: "Node", description: "A network node: one router in NetBox", rootAttribute: "node", root: NodeBlock.self,
        workflows: ["create_node", "modify_node", "modify_note", "terminate_node", "validate_node"], uniqueFields: ["node_id"],
        describe: { node in node.nodeName.map { "Node \($0)" } })
}
