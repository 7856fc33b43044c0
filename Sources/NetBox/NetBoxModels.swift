import Foundation

/// A choice as NetBox reads it back: `{"value": "planned", "label": "Planned"}`.
public struct NetBoxChoice: Sendable, Hashable, Codable {
    public var value: String
    public var label: String

    public init(value: String, label: String) {
        self.value = value
        self.label = label
    }
}

/// The `{"id": …, "display": …}` part every nested object has.
public struct NetBoxReference: Sendable, Hashable, Codable {
    public var id: Int
    public var display: String?
    public var name: String?
    public var address: String?
}

public struct NetBoxDevice: Sendable, Hashable, Codable {
    public var id: Int
    public var name: String?
    public var status: NetBoxChoice
    public var description: String
    public var primaryIP4: NetBoxReference?
    public var primaryIP6: NetBoxReference?
    public var site: NetBoxReference?
    public var role: NetBoxReference?

    enum CodingKeys: String, CodingKey {
        case id, name, status, description, site, role
        case primaryIP4 = "primary_ip4"
        case primaryIP6 = "primary_ip6"
    }
}

public struct NetBoxInterface: Sendable, Hashable, Codable {
    public var id: Int
    public var name: String
    public var device: NetBoxReference
    public var type: NetBoxChoice
    public var enabled: Bool
    public var markConnected: Bool
    public var mgmtOnly: Bool
    public var description: String
    public var speed: Int?
    public var cable: NetBoxReference?
    public var occupied: Bool

    enum CodingKeys: String, CodingKey {
        case id, name, device, type, enabled, description, speed, cable
        case markConnected = "mark_connected"
        case mgmtOnly = "mgmt_only"
        case occupied = "_occupied"
    }

    /// A physical port a circuit can use: not cabled, not marked connected, not management, not virtual.
    public var isFreePhysicalPort: Bool {
        cable == nil && !markConnected && !mgmtOnly && !occupied && !["virtual", "bridge", "lag"].contains(type.value)
    }
}

/// One end of a cable: `{"object_type": "dcim.interface", "object_id": 7}`.
public struct NetBoxTermination: Sendable, Hashable, Codable {
    public var objectType: String
    public var objectID: Int

    public init(interface id: Int) {
        objectType = "dcim.interface"
        objectID = id
    }

    enum CodingKeys: String, CodingKey {
        case objectType = "object_type"
        case objectID = "object_id"
    }
}

public struct NetBoxCable: Sendable, Hashable, Codable {
    public var id: Int
    public var status: NetBoxChoice
    public var description: String
    public var label: String
    public var aTerminations: [NetBoxTermination]
    public var bTerminations: [NetBoxTermination]

    enum CodingKeys: String, CodingKey {
        case id, status, description, label
        case aTerminations = "a_terminations"
        case bTerminations = "b_terminations"
    }
}

public struct NetBoxPrefix: Sendable, Hashable, Codable {
    public var id: Int
    public var prefix: String
    public var status: NetBoxChoice
    public var description: String
    public var isPool: Bool

    enum CodingKeys: String, CodingKey {
        case id, prefix, status, description
        case isPool = "is_pool"
    }
}

public struct NetBoxIPAddress: Sendable, Hashable, Codable {
    public var id: Int
    public var address: String
    public var status: NetBoxChoice
    public var description: String
    public var assignedObjectType: String?
    public var assignedObjectID: Int?

    enum CodingKeys: String, CodingKey {
        case id, address, status, description
        case assignedObjectType = "assigned_object_type"
        case assignedObjectID = "assigned_object_id"
    }
}

/// A free block of a prefix, as `available-prefixes` lists them.
public struct NetBoxAvailablePrefix: Sendable, Hashable, Codable {
    public var prefix: String
}

/// A page of a list, as NetBox returns it.
struct NetBoxPage<Item: Decodable>: Decodable {
    var count: Int
    var next: String?
    var results: [Item]
}
