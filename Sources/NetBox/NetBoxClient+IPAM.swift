import Foundation

/// Prefixes, their free blocks and addresses, and IP addresses.
extension NetBoxClient {
    public struct PrefixRequest: Sendable, Hashable, Encodable {
        public var prefixLength: Int
        public var isPool: Bool
        public var description: String

        public init(prefixLength: Int, isPool: Bool = false, description: String = "") {
            self.prefixLength = prefixLength
            self.isPool = isPool
            self.description = description
        }

        enum CodingKeys: String, CodingKey {
            case description
            case prefixLength = "prefix_length"
            case isPool = "is_pool"
        }
    }

    public struct AddressRequest: Sendable, Hashable, Encodable {
        public var assignedObjectType: String?
        public var assignedObjectID: Int?
        public var status: String
        public var description: String
        public var role: String?
        /// The mask the address gets (32 or 128 for a loopback); the prefix's own when nil.
        public var prefixLength: Int?

        /// An address assigned to an interface.
        public init(interface: Int?, status: String = "active", description: String = "", role: String? = nil, prefixLength: Int? = nil) {
            assignedObjectType = interface == nil ? nil : "dcim.interface"
            assignedObjectID = interface
            self.status = status
            self.description = description
            self.role = role
            self.prefixLength = prefixLength
        }

        enum CodingKeys: String, CodingKey {
            case status, description, role
            case assignedObjectType = "assigned_object_type"
            case assignedObjectID = "assigned_object_id"
            case prefixLength = "prefix_length"
        }
    }

    /// The prefix written exactly so (`10.0.0.0/16`), or nil: prefixes are configured by CIDR.
    public func prefix(_ cidr: String) async throws -> NetBoxPrefix? {
        try await list("/api/ipam/prefixes/", query: [("prefix", cidr)], what: "prefix \(cidr)").first { $0.prefix == cidr }
    }

    /// The prefixes inside `parent` with exactly this description: how a re-run step finds
    /// the block it allocated before.
    public func prefixes(within parent: String, description: String) async throws -> [NetBoxPrefix] {
        try await list(
            "/api/ipam/prefixes/", query: [("within", parent), ("description", description)], what: "prefixes in \(parent)"
        ).filter { $0.description == description }
    }

    public func prefix(id: Int) async throws -> NetBoxPrefix {
        try await send(.GET, "/api/ipam/prefixes/\(id)/", what: "prefix \(id)")
    }

    public func availablePrefixes(in prefixID: Int) async throws -> [NetBoxAvailablePrefix] {
        try await send(.GET, "/api/ipam/prefixes/\(prefixID)/available-prefixes/", what: "prefix \(prefixID)")
    }

    /// Takes the first free block of `request.prefixLength` bits from the prefix. `key` names
    /// it in the journal, for a later run to adopt.
    public func allocatePrefix(in prefix: NetBoxPrefix, _ request: PrefixRequest, key: String? = nil) async throws -> NetBoxPrefix {
        try await create(
            "ipam.prefix", key: key, finder: .prefix(within: prefix.prefix, description: request.description, length: request.prefixLength),
            path: "/api/ipam/prefixes/\(prefix.id)/available-prefixes/", request, what: "prefix \(prefix.prefix)",
            allocation: "no free /\(request.prefixLength) left in \(prefix.prefix)"
        ) { (made: NetBoxPrefix) in (made.id, made.prefix) }
    }

    /// Takes the first free address of the prefix, assigned as `request` says. `key` names
    /// it in the journal, for a later run to adopt.
    public func allocateAddress(in prefix: NetBoxPrefix, _ request: AddressRequest, key: String? = nil) async throws -> NetBoxIPAddress {
        try await create(
            "ipam.ip-address", key: key,
            finder: .address(parent: prefix.prefix, interface: request.assignedObjectID, description: request.description),
            path: "/api/ipam/prefixes/\(prefix.id)/available-ips/", request, what: "prefix \(prefix.prefix)",
            allocation: "no free address left in \(prefix.prefix)"
        ) { (made: NetBoxIPAddress) in (made.id, made.address) }
    }

    /// An address written as given (`198.51.100.1/24`), optionally assigned to an interface:
    /// what a person does by hand in NetBox's UI.
    public func createIPAddress(_ address: String, interface: Int?, description: String = "", key: String? = nil) async throws
        -> NetBoxIPAddress
    {
        struct NewAddress: Encodable, Sendable {
            var address: String
            var description: String
            var assignedObjectType: String?
            var assignedObjectID: Int?
            enum CodingKeys: String, CodingKey {
                case address, description
                case assignedObjectType = "assigned_object_type"
                case assignedObjectID = "assigned_object_id"
            }
        }
        let body = NewAddress(
            address: address, description: description, assignedObjectType: interface == nil ? nil : "dcim.interface", assignedObjectID: interface)
        return try await create("ipam.ip-address", key: key, finder: nil, path: "/api/ipam/ip-addresses/", body, what: "address \(address)") {
            (made: NetBoxIPAddress) in (made.id, made.address)
        }
    }

    public func deletePrefix(id: Int, label: String? = nil) async throws {
        try await deleteObject("ipam.prefix", id: id, label: label, path: "/api/ipam/prefixes/\(id)/", what: "prefix \(id)")
    }

    public func ipAddresses(address: String) async throws -> [NetBoxIPAddress] {
        try await list("/api/ipam/ip-addresses/", query: [("address", address)], what: "address \(address)")
    }

    /// The addresses assigned to an interface: what a re-run step looks for before it allocates.
    public func ipAddresses(interfaceID: Int) async throws -> [NetBoxIPAddress] {
        try await list("/api/ipam/ip-addresses/", query: [("interface_id", String(interfaceID))], what: "addresses of interface \(interfaceID)")
    }

    /// The addresses on any interface of a device: what a port choice checks for foreign addresses.
    public func ipAddresses(deviceID: Int) async throws -> [NetBoxIPAddress] {
        try await list("/api/ipam/ip-addresses/", query: [("device_id", String(deviceID))], what: "addresses of device \(deviceID)")
    }

    /// The addresses inside a prefix (NetBox's `parent` filter): what a release looks for
    /// before it deletes the prefix that held them.
    public func ipAddresses(parent prefix: String) async throws -> [NetBoxIPAddress] {
        try await list("/api/ipam/ip-addresses/", query: [("parent", prefix)], what: "addresses in \(prefix)")
    }

    public func ipAddress(id: Int) async throws -> NetBoxIPAddress {
        try await send(.GET, "/api/ipam/ip-addresses/\(id)/", what: "IP address \(id)")
    }

    public func deleteIPAddress(id: Int, label: String? = nil) async throws {
        try await deleteObject("ipam.ip-address", id: id, label: label, path: "/api/ipam/ip-addresses/\(id)/", what: "IP address \(id)")
    }

    /// A DELETE, through the journal.
    func deleteObject(_ type: String, id: Int, label: String?, path: String, what: String) async throws {
        let write = NetBoxWrite(action: .delete, objectType: type, objectID: id, label: label)
        try await recorded(write, describe: { NetBoxWritten(objectID: id, label: label) }) {
            try await sendWithoutResponse(.DELETE, path, what: what)
        }
    }

    /// The API path of one object of a model NetBox's journal names (`dcim.device` → `/api/dcim/devices/7/`).
    public static func path(of type: String, id: Int) -> String? {
        let paths = [
            "dcim.device": "dcim/devices", "dcim.interface": "dcim/interfaces", "dcim.cable": "dcim/cables", "ipam.prefix": "ipam/prefixes",
            "ipam.ip-address": "ipam/ip-addresses",
        ]
        return paths[type].map { "/api/\($0)/\(id)/" }
    }

    /// One object of a model NetBox's journal names, as NetBox answers it (the JSON bytes):
    /// what an undo compares with what its process wrote.
    public func object(_ type: String, id: Int) async throws -> Data {
        guard let path = Self.path(of: type, id: id) else { throw NetBoxError(.configuration, "no API path known for \(type)") }
        return try await sendRaw(.GET, url: try url(path, query: []), body: nil, what: "\(type) \(id)", allocation: nil)
    }

    /// Deletes one object of a model NetBox's journal names, through the journal.
    public func delete(_ type: String, id: Int, label: String?) async throws {
        guard let path = Self.path(of: type, id: id) else { throw NetBoxError(.configuration, "no API path known for \(type)") }
        try await deleteObject(type, id: id, label: label, path: path, what: "\(type) \(id)")
    }

    /// Sets fields of an object back to earlier values (`{"status": "planned"}`), through the journal.
    public func setBack(_ type: String, id: Int, _ values: some Encodable & Sendable) async throws {
        guard let path = Self.path(of: type, id: id) else { throw NetBoxError(.configuration, "no API path known for \(type)") }
        _ = try await patch(type, id: id, label: { (object: NetBoxDisplayed) in object.display }, path: path, values, what: "\(type) \(id)")
    }

    /// Any object, by the name NetBox shows for it.
    struct NetBoxDisplayed: Decodable, Sendable {
        var display: String?
    }

    /// A POST that creates one object, through the journal: `finder` finds it again should
    /// the answer be lost, `identify` names what came back.
    func create<Object: Decodable & Sendable>(
        _ type: String, key: String?, finder: NetBoxFinder?, path: String, _ body: some Encodable & Sendable, what: String,
        allocation: String? = nil, identify: (Object) -> (id: Int, label: String)
    ) async throws -> Object {
        let write = NetBoxWrite(action: .create, objectType: type, key: key, sent: Self.encoded(body), finder: finder)
        return try await recorded(
            write,
            describe: { (made: (Object, Data)) in
                let (id, label) = identify(made.0)
                return NetBoxWritten(objectID: id, label: label, answer: made.1)
            }
        ) {
            try await sendKeepingAnswer(.POST, path, body: body, what: what, allocation: allocation) as (Object, Data)
        }.0
    }

    /// A PATCH, through the journal, which also keeps the values it replaced.
    func patch<Object: Decodable & Sendable>(
        _ type: String, id: Int, label: @escaping @Sendable (Object) -> String?, path: String, _ body: some Encodable & Sendable, what: String
    ) async throws -> Object {
        let sent = Self.encoded(body)
        let write = { [self] in
            NetBoxWrite(
                action: .update, objectType: type, objectID: id, sent: sent,
                replaced: journal == nil ? nil : try await currentValues(path, fields: sent, what: what))
        }
        return try await recorded(try await write(), describe: { NetBoxWritten(objectID: id, label: label($0.0), answer: $0.1) }) {
            try await sendKeepingAnswer(.PATCH, path, body: body, what: what) as (Object, Data)
        }.0
    }

    /// NetBox's version, from `/api/status/`: checks the URL and the token in one call.
    public func status() async throws -> String {
        struct Status: Decodable {
            var netboxVersion: String
            enum CodingKeys: String, CodingKey { case netboxVersion = "netbox-version" }
        }
        let status: Status = try await send(.GET, "/api/status/", what: "status")
        return status.netboxVersion
    }
}
