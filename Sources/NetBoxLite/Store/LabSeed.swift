import Foundation

/// The seed inventory file (`default-lab.json`, the format of the contract's
/// `seed-inventory.json`): the objects a fresh NetBoxLite starts with, with their ids.
/// Objects refer to each other by slug.
///
/// Interfaces may carry a `description`: the default lab gives each `Loopback0` its
/// "router loopback", which the recordings show but the contract's inventory file leaves out.
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

        enum CodingKeys: String, CodingKey {
            case id, name, type, enabled, description
            case mgmtOnly = "mgmt_only"
        }
    }

    struct Device: Decodable, Sendable {
        let id: Int
        let name: String?
        let status: String
        let site: String
        let role: String
        let deviceType: String
        let interfaces: [Interface]

        enum CodingKeys: String, CodingKey {
            case id, name, status, site, role, interfaces
            case deviceType = "device_type"
        }
    }

    struct Prefix: Decodable, Sendable {
        let id: Int
        let prefix: String
        let status: String
        let isPool: Bool
        let description: String

        enum CodingKeys: String, CodingKey {
            case id, prefix, status, description
            case isPool = "is_pool"
        }
    }

    let sites: [Site]
    let manufacturers: [Manufacturer]
    let deviceTypes: [DeviceType]
    let interfaceTemplates: [InterfaceTemplate]
    let deviceRoles: [DeviceRole]
    let devices: [Device]
    let prefixes: [Prefix]
    /// Seeds start without cables and addresses; these lists must be empty.
    let cables: [JSON]?
    let ipAddresses: [JSON]?

    enum CodingKeys: String, CodingKey {
        case sites, manufacturers, devices, prefixes, cables
        case deviceTypes = "device_types"
        case interfaceTemplates = "interface_templates"
        case deviceRoles = "device_roles"
        case ipAddresses = "ip_addresses"
    }

    /// Reads a seed file; `nil` reads the default lab shipped with NetBoxLite.
    static func load(from url: URL?) throws -> LabSeed {
        guard let url = url ?? Bundle.module.url(forResource: "default-lab", withExtension: "json") else {
            throw NetBoxLiteError(.badSeed, "default-lab.json is missing from the NetBoxLite bundle")
        }
        do {
            let seed = try JSONDecoder().decode(LabSeed.self, from: Data(contentsOf: url))
            guard seed.cables?.isEmpty ?? true, seed.ipAddresses?.isEmpty ?? true else {
                throw NetBoxLiteError(.badSeed, "the seed \(url.path) lists cables or IP addresses; NetBoxLite seeds start without them")
            }
            return seed
        } catch let error as NetBoxLiteError {
            throw error
        } catch {
            throw NetBoxLiteError(.badSeed, "cannot read the seed inventory \(url.path): fix the file or pass another one", underlying: error)
        }
    }
}
