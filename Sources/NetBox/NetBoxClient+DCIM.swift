import Foundation

/// Devices, interfaces and cables.
extension NetBoxClient {
    /// What changes on a device; nil fields are left as they are.
    public struct DevicePatch: Sendable, Hashable, Encodable {
        public var status: String?
        public var description: String?
        public var primaryIP4: Int?
        public var primaryIP6: Int?

        public init(status: String? = nil, description: String? = nil, primaryIP4: Int? = nil, primaryIP6: Int? = nil) {
            self.status = status
            self.description = description
            self.primaryIP4 = primaryIP4
            self.primaryIP6 = primaryIP6
        }

        enum CodingKeys: String, CodingKey {
            case status, description
            case primaryIP4 = "primary_ip4"
            case primaryIP6 = "primary_ip6"
        }
    }

    public struct InterfacePatch: Sendable, Hashable, Encodable {
        public var description: String?
        public var enabled: Bool?
        public var markConnected: Bool?

        public init(description: String? = nil, enabled: Bool? = nil, markConnected: Bool? = nil) {
            self.description = description
            self.enabled = enabled
            self.markConnected = markConnected
        }

        enum CodingKeys: String, CodingKey {
            case description, enabled
            case markConnected = "mark_connected"
        }
    }

    /// A new cable between two interfaces.
    public struct CableRequest: Sendable, Hashable, Encodable {
        public var aTerminations: [NetBoxTermination]
        public var bTerminations: [NetBoxTermination]
        public var status: String
        public var label: String?
        public var description: String?

        public init(aSide: Int, bSide: Int, status: String, label: String? = nil, description: String? = nil) {
            aTerminations = [NetBoxTermination(interface: aSide)]
            bTerminations = [NetBoxTermination(interface: bSide)]
            self.status = status
            self.label = label
            self.description = description
        }

        enum CodingKeys: String, CodingKey {
            case status, label, description
            case aTerminations = "a_terminations"
            case bTerminations = "b_terminations"
        }
    }

    public struct CablePatch: Sendable, Hashable, Encodable {
        public var status: String?
        public var label: String?
        public var description: String?

        public init(status: String? = nil, label: String? = nil, description: String? = nil) {
            self.status = status
            self.label = label
            self.description = description
        }
    }

    // MARK: - Devices

    /// Devices with any of `statuses` (all when empty), by name when given.
    public func devices(status statuses: [String] = [], name: String? = nil) async throws -> [NetBoxDevice] {
        try await list("/api/dcim/devices/", query: statuses.map { ("status", $0) } + (name.map { [("name", $0)] } ?? []), what: "devices")
    }

    public func device(id: Int) async throws -> NetBoxDevice {
        try await send(.GET, "/api/dcim/devices/\(id)/", what: "device \(id)")
    }

    /// The device called `name`, or nil.
    public func device(named name: String) async throws -> NetBoxDevice? {
        try await devices(name: name).first
    }

    public func updateDevice(id: Int, _ patch: DevicePatch) async throws -> NetBoxDevice {
        try await self.patch("dcim.device", id: id, label: { $0.name }, path: "/api/dcim/devices/\(id)/", patch, what: "device \(id)")
    }

    // MARK: - Interfaces

    public func interfaces(deviceID: Int, name: String? = nil) async throws -> [NetBoxInterface] {
        try await list(
            "/api/dcim/interfaces/", query: [("device_id", String(deviceID))] + (name.map { [("name", $0)] } ?? []),
            what: "interfaces of device \(deviceID)")
    }

    /// The physical ports of a device nothing is connected to (not cabled, not marked
    /// connected, not management, not virtual), optionally only those of `speed` Mbit/s or
    /// of one interface `type` (`10gbase-x-sfpp`).
    public func freeInterfaces(deviceID: Int, speed: Int? = nil, type: String? = nil) async throws -> [NetBoxInterface] {
        try await list(
            "/api/dcim/interfaces/",
            query: [("device_id", String(deviceID)), ("cabled", "false"), ("mgmt_only", "false")] + (type.map { [("type", $0)] } ?? []),
            what: "interfaces of device \(deviceID)"
        ).filter { interface in
            interface.isFreePhysicalPort && (speed == nil || interface.speedMbps == speed) && (type == nil || interface.type.value == type)
        }
    }

    public func interface(id: Int) async throws -> NetBoxInterface {
        try await send(.GET, "/api/dcim/interfaces/\(id)/", what: "interface \(id)")
    }

    public func updateInterface(id: Int, _ patch: InterfacePatch) async throws -> NetBoxInterface {
        try await self.patch(
            "dcim.interface", id: id, label: { "\($0.device.name ?? "") \($0.name)" }, path: "/api/dcim/interfaces/\(id)/", patch,
            what: "interface \(id)")
    }

    // MARK: - Cables

    /// A new cable; `key` names it in the journal, for a later run to adopt.
    public func createCable(_ request: CableRequest, key: String? = nil) async throws -> NetBoxCable {
        let ends = (request.aTerminations.first?.objectID ?? 0, request.bTerminations.first?.objectID ?? 0)
        return try await create("dcim.cable", key: key, finder: .cable(a: ends.0, b: ends.1), path: "/api/dcim/cables/", request, what: "cable") {
            (made: NetBoxCable) in (made.id, "cable \(made.id)")
        }
    }

    public func cable(id: Int) async throws -> NetBoxCable {
        try await send(.GET, "/api/dcim/cables/\(id)/", what: "cable \(id)")
    }

    public func updateCable(id: Int, _ patch: CablePatch) async throws -> NetBoxCable {
        try await self.patch("dcim.cable", id: id, label: { "cable \($0.id)" }, path: "/api/dcim/cables/\(id)/", patch, what: "cable \(id)")
    }

    public func deleteCable(id: Int) async throws {
        try await deleteObject("dcim.cable", id: id, label: "cable \(id)", path: "/api/dcim/cables/\(id)/", what: "cable \(id)")
    }

    /// The cable on an interface, or nil: what a re-run step looks for before it creates one.
    public func cable(onInterface id: Int) async throws -> NetBoxCable? {
        let interface = try await interface(id: id)
        guard let cable = interface.cable else { return nil }
        return try await self.cable(id: cable.id)
    }
}

extension NetBoxInterface {
    /// The port's speed in Mbit/s: NetBox's `speed` (kbit/s) when set, else read from its type
    /// (`10gbase-x-sfpp` → 10000, `1000base-t` → 1000).
    public var speedMbps: Int? {
        if let speed { return speed / 1000 }
        let value = type.value
        guard let range = value.range(of: "base") else { return nil }
        let head = value[..<range.lowerBound]
        if head.hasSuffix("g"), let gigabits = Int(head.dropLast()) { return gigabits * 1000 }
        if let megabits = Int(head) { return megabits }
        return nil
    }
}
