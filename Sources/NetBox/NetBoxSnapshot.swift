import Foundation

/// Copying NetBox's inventory into a NetBoxLite seed, for a dry run against a private copy.
extension NetBoxClient {
    /// Reads the inventory NetBoxLite models and returns it as a NetBoxLite seed file
    /// (the format of NetBoxLite's `default-lab.json`), with every object's id as NetBox has it.
    ///
    /// Read through the REST API, page by page (`limit=1000`): sites, manufacturers, device
    /// types, device roles, interface templates, devices with their interfaces, prefixes,
    /// cables and IP addresses, each with the fields NetBoxLite keeps. Only what NetBoxLite
    /// models is copied: prefixes and addresses in a VRF are left out (NetBoxLite has only the
    /// global table), cable ends on anything but an interface are dropped (a cable with no
    /// interface end left is dropped), an address assigned to anything but a device's
    /// interface is copied unassigned, templates of module types are left out, and tags,
    /// custom fields, tenants, platforms, racks, VLANs, MAC addresses and the like are not
    /// read. `created` and `last_updated` are not copied: the copy's objects carry the time
    /// they were seeded.
    ///
    /// NetBoxLite serves no catalogue lists (`/api/dcim/sites/` and the like answer 404):
    /// from one, sites, manufacturers, device types and roles are taken from the devices that
    /// use them, sites as `active` and roles grey (`9e9e9e`), and there are no templates.
    ///
    /// The lists are read one after the other, not in one transaction: an object that
    /// refers to one created or deleted in between loses that reference (see `Seed.init`).
    public func inventorySnapshot() async throws -> Data {
        var configuration = configuration
        configuration.pageSize = 1000
        let reader = NetBoxClient(configuration, httpClient: http, logger: logger)
        // Devices before what they use, so that every site, type and role a device names is read.
        // `config_context` is costly for NetBox to render and not copied (NetBoxLite ignores the parameter).
        let devices: [Device] = try await reader.list("/api/dcim/devices/", query: [("exclude", "config_context")], what: "devices")
        let interfaces: [Interface] = try await reader.list("/api/dcim/interfaces/", query: [], what: "interfaces")
        let catalogue = try await reader.catalogue(of: devices)
        let prefixes: [Prefix] = try await reader.list("/api/ipam/prefixes/", query: [], what: "prefixes")
        let addresses: [Address] = try await reader.list("/api/ipam/ip-addresses/", query: [], what: "IP addresses")
        let cables: [Cable] = try await reader.list("/api/dcim/cables/", query: [], what: "cables")
        let seed = Seed(
            source: "inventorySnapshot() of NetBox at \(configuration.url.absoluteString)", catalogue: catalogue, devices: devices,
            interfaces: interfaces, cables: cables, prefixes: prefixes.filter { $0.vrf == nil }, addresses: addresses.filter { $0.vrf == nil })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(seed)
    }

    /// Sites, manufacturers, device types, roles and interface templates: read from their
    /// lists, or taken from `devices` where the server has no such list (NetBoxLite).
    private func catalogue(of devices: [Device]) async throws -> Catalogue {
        let sites: [Site]? = try await listIfServed("/api/dcim/sites/")
        let manufacturers: [Manufacturer]? = try await listIfServed("/api/dcim/manufacturers/")
        let deviceTypes: [DeviceType]? = try await listIfServed("/api/dcim/device-types/")
        let roles: [DeviceRole]? = try await listIfServed("/api/dcim/device-roles/")
        let templates: [InterfaceTemplate]? = try await listIfServed("/api/dcim/interface-templates/")
        let used = Catalogue(usedBy: devices)
        return Catalogue(
            sites: sites ?? used.sites, manufacturers: manufacturers ?? used.manufacturers, deviceTypes: deviceTypes ?? used.deviceTypes,
            deviceRoles: roles ?? used.deviceRoles, interfaceTemplates: (templates ?? []).filter { $0.deviceType != nil })
    }

    /// Every object of a list, or nil when the server answers 404 for the list itself.
    private func listIfServed<Item: Decodable>(_ path: String) async throws -> [Item]? {
        do {
            return try await list(path, query: [], what: path)
        } catch let error as NetBoxError where error.code == .notFound {
            return nil
        }
    }
}

/// How many objects of each kind a seed file holds: what `inventorySnapshot()` copied.
public struct NetBoxSnapshotSummary: Sendable, Hashable, CustomStringConvertible {
    public var sites: Int
    public var devices: Int
    public var interfaces: Int
    public var prefixes: Int
    public var cables: Int
    public var ipAddresses: Int

    /// Counts the objects of a seed file (a snapshot, or any NetBoxLite seed).
    public init(seed: Data) throws {
        struct Counted: Decodable {}
        struct CountedDevice: Decodable { let interfaces: [Counted] }
        struct Counts: Decodable {
            let sites: [Counted]
            let devices: [CountedDevice]
            let prefixes: [Counted]
            let cables: [Counted]?
            let ipAddresses: [Counted]?

            enum CodingKeys: String, CodingKey {
                case sites, devices, prefixes, cables
                case ipAddresses = "ip_addresses"
            }
        }
        let counts: Counts
        do {
            counts = try JSONDecoder().decode(Counts.self, from: seed)
        } catch {
            throw NetBoxError(.unexpectedResponse, "this is not a NetBoxLite seed (an inventory snapshot): \(error)")
        }
        sites = counts.sites.count
        devices = counts.devices.count
        interfaces = counts.devices.reduce(0) { $0 + $1.interfaces.count }
        prefixes = counts.prefixes.count
        cables = counts.cables?.count ?? 0
        ipAddresses = counts.ipAddresses?.count ?? 0
    }

    /// `6 devices, 66 interfaces, 4 prefixes, 1 cable, 4 addresses`.
    public var description: String {
        func count(_ number: Int, _ one: String, _ many: String) -> String { "\(number) \(number == 1 ? one : many)" }
        return [
            count(devices, "device", "devices"), count(interfaces, "interface", "interfaces"), count(prefixes, "prefix", "prefixes"),
            count(cables, "cable", "cables"), count(ipAddresses, "address", "addresses"),
        ].joined(separator: ", ")
    }
}

// MARK: - From the API's shapes to the seed's
//
// Each type below decodes an object as NetBox's API shows it and encodes it as the seed
// writes it: a choice (`{"value", "label"}`) becomes its value, a nested site, role, type or
// manufacturer its slug, a nested address its id. Keys NetBox and the seed share keep their
// name. Fields only the API has (`vrf`, an interface's `device`) are nil by the time the seed
// is encoded, so they are left out of it.

/// A choice: `{"value": …, "label": …}`, or null when blank; the seed holds the value.
private struct ChoiceValue: Codable {
    let value: String

    init(_ value: String) { self.value = value }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        value = container.decodeNil() ? "" : try container.decode(NetBoxChoice.self).value
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }
}

/// A nested site, role or manufacturer (`{"id", "name", "slug", …}`); the seed names it by slug.
private struct Slugged: Codable {
    let id: Int
    let name: String
    let slug: String

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(slug)
    }
}

/// A nested object that the seed names by id (a device's primary address), or that only
/// matters for being there (a VRF).
private struct Related: Codable {
    let id: Int

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(id)
    }
}

/// A nested device type, with its manufacturer; the seed names it by slug.
private struct NestedDeviceType: Codable {
    let id: Int
    let model: String
    let slug: String
    let manufacturer: Slugged

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(slug)
    }
}

/// One side of a cable: NetBox lists `{"object_type", "object_id", …}`; the seed keeps the
/// ids of the interface ends only (NetBoxLite cables end on interfaces).
private struct InterfaceEnds: Codable {
    var ids: [Int]

    init(from decoder: any Decoder) throws {
        ids = try decoder.singleValueContainer().decode([NetBoxTermination].self).filter { $0.objectType == "dcim.interface" }.map(\.objectID)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(ids)
    }
}

private struct Site: Codable {
    let id: Int
    let name: String
    let slug: String
    let status: ChoiceValue
}

private struct Manufacturer: Codable {
    let id: Int
    let name: String
    let slug: String
}

private struct DeviceType: Codable {
    let id: Int
    let model: String
    let slug: String
    let manufacturer: Slugged
}

private struct DeviceRole: Codable {
    let id: Int
    let name: String
    let slug: String
    let color: String
}

private struct InterfaceTemplate: Codable {
    let id: Int
    let name: String
    let type: ChoiceValue
    let mgmtOnly: Bool
    let description: String
    /// Nil for a module type's template, which NetBoxLite cannot hold.
    let deviceType: NestedDeviceType?

    enum CodingKeys: String, CodingKey {
        case id, name, type, description
        case mgmtOnly = "mgmt_only"
        case deviceType = "device_type"
    }
}

private struct Interface: Codable {
    let id: Int
    /// The API's; nil in the seed, where interfaces sit inside their device.
    var device: Related?
    let name: String
    let label: String
    let type: ChoiceValue
    let enabled: Bool
    let mgmtOnly: Bool
    let mtu: Int?
    let description: String
    let markConnected: Bool

    enum CodingKeys: String, CodingKey {
        case id, device, name, label, type, enabled, mtu, description
        case mgmtOnly = "mgmt_only"
        case markConnected = "mark_connected"
    }
}

private struct Device: Codable {
    let id: Int
    let name: String?
    let status: ChoiceValue
    let site: Slugged
    let role: Slugged
    let deviceType: NestedDeviceType
    let serial: String
    let description: String
    let comments: String
    var primaryIP4: Related?
    var primaryIP6: Related?
    /// Not in the API's device: filled in from the interface list.
    var interfaces: [Interface]?

    enum CodingKeys: String, CodingKey {
        case id, name, status, site, role, serial, description, comments, interfaces
        case deviceType = "device_type"
        case primaryIP4 = "primary_ip4"
        case primaryIP6 = "primary_ip6"
    }
}

private struct Prefix: Codable {
    let id: Int
    let prefix: String
    let status: ChoiceValue
    let isPool: Bool
    let markUtilized: Bool
    let description: String
    let comments: String
    /// Only prefixes without one are copied.
    let vrf: Related?

    enum CodingKeys: String, CodingKey {
        case id, prefix, status, description, comments, vrf
        case isPool = "is_pool"
        case markUtilized = "mark_utilized"
    }
}

private struct Cable: Codable {
    let id: Int
    let type: ChoiceValue
    let status: ChoiceValue
    let label: String
    let color: String
    let description: String
    let comments: String
    var aTerminations: InterfaceEnds
    var bTerminations: InterfaceEnds

    enum CodingKeys: String, CodingKey {
        case id, type, status, label, color, description, comments
        case aTerminations = "a_terminations"
        case bTerminations = "b_terminations"
    }
}

/// An address; NetBox's `assigned_object_type`/`assigned_object_id` become the seed's
/// `interface` when the address is on an interface.
private struct Address: Codable {
    let id: Int
    let address: String
    let status: ChoiceValue
    let role: ChoiceValue
    let dnsName: String
    let description: String
    let comments: String
    var interface: Int?
    /// Only addresses without one are copied.
    let vrf: Related?

    enum CodingKeys: String, CodingKey {
        case id, address, status, role, description, comments, vrf, interface
        case dnsName = "dns_name"
    }

    private enum AssignmentKeys: String, CodingKey {
        case type = "assigned_object_type"
        case id = "assigned_object_id"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(Int.self, forKey: .id)
        address = try container.decode(String.self, forKey: .address)
        status = try container.decode(ChoiceValue.self, forKey: .status)
        role = try container.decode(ChoiceValue.self, forKey: .role)
        dnsName = try container.decode(String.self, forKey: .dnsName)
        description = try container.decode(String.self, forKey: .description)
        comments = try container.decode(String.self, forKey: .comments)
        vrf = try container.decodeIfPresent(Related.self, forKey: .vrf)
        let assignment = try decoder.container(keyedBy: AssignmentKeys.self)
        let type = try assignment.decodeIfPresent(String.self, forKey: .type)
        interface = type == "dcim.interface" ? try assignment.decodeIfPresent(Int.self, forKey: .id) : nil
    }
}

/// The objects devices are made from.
private struct Catalogue {
    var sites: [Site]
    var manufacturers: [Manufacturer]
    var deviceTypes: [DeviceType]
    var deviceRoles: [DeviceRole]
    var interfaceTemplates: [InterfaceTemplate]
}

extension Catalogue {
    /// What `devices` name, each once; what the nested objects do not show is NetBox's
    /// default (an active site, a grey role), and there are no templates.
    init(usedBy devices: [Device]) {
        func unique<Item>(_ items: [Item], id: (Item) -> Int) -> [Item] {
            var seen: Set<Int> = []
            return items.filter { seen.insert(id($0)).inserted }
        }
        sites = unique(devices.map { Site(id: $0.site.id, name: $0.site.name, slug: $0.site.slug, status: ChoiceValue("active")) }, id: \.id)
        let types = devices.map(\.deviceType)
        manufacturers = unique(types.map { Manufacturer(id: $0.manufacturer.id, name: $0.manufacturer.name, slug: $0.manufacturer.slug) }, id: \.id)
        deviceTypes = unique(types.map { DeviceType(id: $0.id, model: $0.model, slug: $0.slug, manufacturer: $0.manufacturer) }, id: \.id)
        deviceRoles = unique(devices.map { DeviceRole(id: $0.role.id, name: $0.role.name, slug: $0.role.slug, color: "9e9e9e") }, id: \.id)
        interfaceTemplates = []
    }
}

/// The seed file: every list sorted by id, and every reference to an object that was not
/// copied dropped (an interface of a device read too late, a cable end or an address
/// assignment on an interface read too late, a primary address in a VRF).
private struct Seed: Encodable {
    let source: String
    let sites: [Site]
    let manufacturers: [Manufacturer]
    let deviceTypes: [DeviceType]
    let interfaceTemplates: [InterfaceTemplate]
    let deviceRoles: [DeviceRole]
    let devices: [Device]
    let prefixes: [Prefix]
    let cables: [Cable]
    let ipAddresses: [Address]

    enum CodingKeys: String, CodingKey {
        case source = "_source"
        case sites, manufacturers, devices, prefixes, cables
        case deviceTypes = "device_types"
        case interfaceTemplates = "interface_templates"
        case deviceRoles = "device_roles"
        case ipAddresses = "ip_addresses"
    }

    init(source: String, catalogue: Catalogue, devices: [Device], interfaces: [Interface], cables: [Cable], prefixes: [Prefix], addresses: [Address])
    {
        self.source = source
        sites = catalogue.sites.sorted { $0.id < $1.id }
        manufacturers = catalogue.manufacturers.sorted { $0.id < $1.id }
        deviceTypes = catalogue.deviceTypes.sorted { $0.id < $1.id }
        interfaceTemplates = catalogue.interfaceTemplates.sorted { $0.id < $1.id }
        deviceRoles = catalogue.deviceRoles.sorted { $0.id < $1.id }
        self.prefixes = prefixes.sorted { $0.id < $1.id }

        let byDevice = Dictionary(grouping: interfaces) { $0.device?.id ?? 0 }
        let placed = devices.sorted { $0.id < $1.id }.map { $0.holding(byDevice[$0.id] ?? []) }
        let interfaceIDs = Set(placed.flatMap { $0.interfaces ?? [] }.map(\.id))
        self.cables = cables.sorted { $0.id < $1.id }.compactMap { $0.keepingEnds(on: interfaceIDs) }
        ipAddresses = addresses.sorted { $0.id < $1.id }.map { $0.keepingAssignment(to: interfaceIDs) }
        let addressIDs = Set(ipAddresses.map(\.id))
        self.devices = placed.map { $0.keepingPrimaries(in: addressIDs) }
    }
}

extension Device {
    /// The device with `interfaces` inside it, sorted by id and without their `device`.
    fileprivate func holding(_ interfaces: [Interface]) -> Device {
        var device = self
        device.interfaces = interfaces.sorted { $0.id < $1.id }.map { interface in
            var interface = interface
            interface.device = nil
            return interface
        }
        return device
    }

    /// The device without a primary address that is not among `addresses`.
    fileprivate func keepingPrimaries(in addresses: Set<Int>) -> Device {
        var device = self
        if let primary = primaryIP4, !addresses.contains(primary.id) { device.primaryIP4 = nil }
        if let primary = primaryIP6, !addresses.contains(primary.id) { device.primaryIP6 = nil }
        return device
    }
}

extension Cable {
    /// The cable with its ends on `interfaces` only; nil when none is left.
    fileprivate func keepingEnds(on interfaces: Set<Int>) -> Cable? {
        var cable = self
        cable.aTerminations.ids.removeAll { !interfaces.contains($0) }
        cable.bTerminations.ids.removeAll { !interfaces.contains($0) }
        return cable.aTerminations.ids.isEmpty && cable.bTerminations.ids.isEmpty ? nil : cable
    }
}

extension Address {
    /// The address, unassigned unless its interface is among `interfaces`.
    fileprivate func keepingAssignment(to interfaces: Set<Int>) -> Address {
        var address = self
        if let interface, !interfaces.contains(interface) { address.interface = nil }
        return address
    }
}
