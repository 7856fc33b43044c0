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

    /// Takes the first free block of `request.prefixLength` bits from the prefix.
    public func allocatePrefix(in prefix: NetBoxPrefix, _ request: PrefixRequest) async throws -> NetBoxPrefix {
        try await send(
            .POST, "/api/ipam/prefixes/\(prefix.id)/available-prefixes/", body: request, what: "prefix \(prefix.prefix)",
            allocation: "no free /\(request.prefixLength) left in \(prefix.prefix)")
    }

    /// Takes the first free address of the prefix, assigned as `request` says.
    public func allocateAddress(in prefix: NetBoxPrefix, _ request: AddressRequest) async throws -> NetBoxIPAddress {
        try await send(
            .POST, "/api/ipam/prefixes/\(prefix.id)/available-ips/", body: request, what: "prefix \(prefix.prefix)",
            allocation: "no free address left in \(prefix.prefix)")
    }

    public func deletePrefix(id: Int) async throws {
        try await sendWithoutResponse(.DELETE, "/api/ipam/prefixes/\(id)/", what: "prefix \(id)")
    }

    public func ipAddresses(address: String) async throws -> [NetBoxIPAddress] {
        try await list("/api/ipam/ip-addresses/", query: [("address", address)], what: "address \(address)")
    }

    /// The addresses assigned to an interface: what a re-run step looks for before it allocates.
    public func ipAddresses(interfaceID: Int) async throws -> [NetBoxIPAddress] {
        try await list("/api/ipam/ip-addresses/", query: [("interface_id", String(interfaceID))], what: "addresses of interface \(interfaceID)")
    }

    /// The addresses inside a prefix (NetBox's `parent` filter): what a release looks for
    /// before it deletes the prefix that held them.
    public func ipAddresses(parent prefix: String) async throws -> [NetBoxIPAddress] {
        try await list("/api/ipam/ip-addresses/", query: [("parent", prefix)], what: "addresses in \(prefix)")
    }

    public func ipAddress(id: Int) async throws -> NetBoxIPAddress {
        try await send(.GET, "/api/ipam/ip-addresses/\(id)/", what: "IP address \(id)")
    }

    public func deleteIPAddress(id: Int) async throws {
        try await sendWithoutResponse(.DELETE, "/api/ipam/ip-addresses/\(id)/", what: "IP address \(id)")
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
