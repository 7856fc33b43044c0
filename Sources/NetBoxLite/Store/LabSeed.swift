import Foundation

/// The seed inventory file (`default-lab.json`, the format of the contract's
/// `seed-inventory.json`, extended): the objects a fresh NetBoxLite starts with, with their
/// ids. Catalogue objects are named by slug; devices, interfaces, cables and addresses refer
/// to each other by id.
///
/// Fields the contract's inventory file leaves out are optional and default to what NetBox
/// gives a new object: an empty text, `false`, no MTU, no primary address. The default lab
/// uses one of them: each `Loopback0` carries the description "router loopback", which the
/// recordings show. A seed written by `NetBoxClient.inventorySnapshot()` fills them all in.
struct LabSeed: Decodable, Sendable {
    struct Site: Decodable, Sendable {
        let id: Int
        let name: String
        let slug: String
        let status: String
    }

    struct Manufacturer: Decodable, Sendable {
        let id: Int
        let name: String
        let slug: String
    }

    struct DeviceType: Decodable, Sendable {
        let id: Int
        let model: String
        let slug: String
        let manufacturer: String
    }

    struct InterfaceTemplate: Decodable, Sendable {
        let id: Int
        let name: String
        let type: String
        let mgmtOnly: Bool
        /// The device type's slug; may be left out when the seed has one device type.
        let deviceType: String?
        let description: String?

        enum CodingKeys: String, CodingKey {
            case id, name, type, description
            case mgmtOnly = "mgmt_only"
            case deviceType = "device_type"
        }
    }

    struct DeviceRole: Decodable, Sendable {
        let id: Int
        let name: String
        let slug: String
        let color: String
    }

    struct Interface: Decodable, Sendable {
        let id: Int
        let name: String
        let type: String
        let enabled: Bool
        let mgmtOnly: Bool
        let description: String?
        let markConnected: Bool?
        let label: String?
        let mtu: Int?

        enum CodingKeys: String, CodingKey {
            case id, name, type, enabled, description, label, mtu
            case mgmtOnly = "mgmt_only"
            case markConnected = "mark_connected"
        }
    }

    struct Device: Decodable, Sendable {
        let id: Int
        let name: String?
        let status: String
        let site: String
        let role: String
        let deviceType: String
        let description: String?
        let serial: String?
        let comments: String?
        /// The id of one of the seed's IPv4 addresses.
        let primaryIP4: Int?
        /// The id of one of the seed's IPv6 addresses.
        let primaryIP6: Int?
        let interfaces: [Interface]

        enum CodingKeys: String, CodingKey {
            case id, name, status, site, role, description, serial, comments, interfaces
            case deviceType = "device_type"
            case primaryIP4 = "primary_ip4"
            case primaryIP6 = "primary_ip6"
        }
    }

    struct Prefix: Decodable, Sendable {
        let id: Int
        let prefix: String
        let status: String
        let isPool: Bool
        let description: String
        let markUtilized: Bool?
        let comments: String?

        enum CodingKeys: String, CodingKey {
            case id, prefix, status, description, comments
            case isPool = "is_pool"
            case markUtilized = "mark_utilized"
        }
    }

    /// A cable between interfaces of the seed, named by id on each side. A side may be empty
    /// when the cable's other ends are objects NetBoxLite does not model (a copy of a real
    /// NetBox keeps the interface ends), but not both.
    struct Cable: Decodable, Sendable {
        let id: Int
        let status: String
        let type: String?
        let label: String?
        let color: String?
        let description: String?
        let comments: String?
        let aTerminations: [Int]
        let bTerminations: [Int]

        enum CodingKeys: String, CodingKey {
            case id, status, type, label, color, description, comments
            case aTerminations = "a_terminations"
            case bTerminations = "b_terminations"
        }
    }

    /// An address in the global table, assigned to one of the seed's interfaces or to nothing.
    struct IPAddress: Decodable, Sendable {
        let id: Int
        /// With its mask, as NetBox writes it: `10.0.0.1/31`.
        let address: String
        let status: String
        let role: String?
        let description: String?
        let dnsName: String?
        let comments: String?
        /// The id of the interface it is assigned to.
        let interface: Int?

        enum CodingKeys: String, CodingKey {
            case id, address, status, role, description, comments, interface
            case dnsName = "dns_name"
        }
    }

    let sites: [Site]
    let manufacturers: [Manufacturer]
    let deviceTypes: [DeviceType]
    let interfaceTemplates: [InterfaceTemplate]
    let deviceRoles: [DeviceRole]
    let devices: [Device]
    let prefixes: [Prefix]
    let cables: [Cable]
    let ipAddresses: [IPAddress]

    enum CodingKeys: String, CodingKey {
        case sites, manufacturers, devices, prefixes, cables
        case deviceTypes = "device_types"
        case interfaceTemplates = "interface_templates"
        case deviceRoles = "device_roles"
        case ipAddresses = "ip_addresses"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        sites = try container.decode([Site].self, forKey: .sites)
        manufacturers = try container.decode([Manufacturer].self, forKey: .manufacturers)
        deviceTypes = try container.decode([DeviceType].self, forKey: .deviceTypes)
        interfaceTemplates = try container.decode([InterfaceTemplate].self, forKey: .interfaceTemplates)
        deviceRoles = try container.decode([DeviceRole].self, forKey: .deviceRoles)
        devices = try container.decode([Device].self, forKey: .devices)
        prefixes = try container.decode([Prefix].self, forKey: .prefixes)
        // Older seeds leave these out or list none.
        cables = try container.decodeIfPresent([Cable].self, forKey: .cables) ?? []
        ipAddresses = try container.decodeIfPresent([IPAddress].self, forKey: .ipAddresses) ?? []
    }

    /// Reads a seed file; `nil` reads the default lab shipped with NetBoxLite.
    static func load(from url: URL?) throws -> LabSeed {
        guard let url = url ?? Bundle.module.url(forResource: "default-lab", withExtension: "json") else {
            throw NetBoxLiteError(.badSeed, "default-lab.json is missing from the NetBoxLite bundle")
        }
        do {
            return try JSONDecoder().decode(LabSeed.self, from: Data(contentsOf: url))
        } catch {
            throw NetBoxLiteError(.badSeed, "cannot read the seed inventory \(url.path): fix the file or pass another one", underlying: error)
        }
    }
}
