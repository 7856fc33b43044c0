/// The writable fields of an IP address and the rules `IPAddress.clean()` checks, shared by
/// `POST /api/ipam/ip-addresses/`, its PATCH and `POST …/available-ips/`.
struct IPAddressFields {
    let choices: Choices

    /// Roles whose addresses may repeat in the global table (`IPADDRESS_ROLES_NONUNIQUE`).
    static let nonUniqueRoles: Set<String> = ["anycast", "vip", "vrrp", "hsrp", "glbp", "carp"]

    /// Reads `body` into `address` (the `address` field itself only when `readsAddress`).
    func read(_ body: JSON?, into address: inout IPAddressRecord, in lab: Lab, readsAddress: Bool, creating: Bool) throws {
        var fields = try FieldReader(body)
        if readsAddress {
            if creating { fields.require("address") }
            if let text = fields.string("address") {
                if let network = IPNetwork(text) {
                    address.address = network
                } else {
                    fields.reject("address", "Invalid IP address format: \(text)")
                }
            }
        }
        // NetBoxLite has none of these objects: a value is an id that does not exist.
        for name in ["vrf", "tenant", "nat_inside"] {
            _ = fields.related(name, nullable: true) { _ in false }
        }
        if let status = fields.choice("status", in: choices.ipAddressStatus) { address.status = status }
        if let role = fields.choice("role", in: choices.ipAddressRole, allowBlank: true) { address.role = role }
        if let value = fields.body["assigned_object_type"] {
            if value.isNull {
                address.assignedObjectType = nil
            } else if let type = fields.string("assigned_object_type") {
                if !type.contains(".") {
                    fields.reject("assigned_object_type", "Invalid value. Specify a content type as '<app_label>.<model_name>'.")
                } else if type != ObjectType.interface {
                    // NetBox also takes VM interfaces and FHRP groups; NetBoxLite has neither.
                    fields.reject("assigned_object_type", "Invalid content type: \(type)")
                } else {
                    address.assignedObjectType = type
                }
            }
        }
        if let id = fields.optionalInteger("assigned_object_id") { address.assignedObjectID = id }
        if let dnsName = fields.string("dns_name", maxLength: 255) {
            if IPAddressFields.isValidDNSName(dnsName) {
                address.dnsName = dnsName
            } else {
                fields.reject("dns_name", "Only alphanumeric characters, asterisks, hyphens, periods, and underscores are allowed in DNS names")
            }
        }
        if let description = fields.string("description", maxLength: 200) { address.description = description }
        if let comments = fields.string("comments") { address.comments = comments }
        try fields.throwIfAny()
        try checkAssignment(address, in: lab)
    }

    private func checkAssignment(_ address: IPAddressRecord, in lab: Lab) throws {
        switch (address.assignedObjectType, address.assignedObjectID) {
        case (nil, nil): return
        case (.some, .some(let id)):
            guard lab.interfaces[id] != nil else {
                throw APIError.field("assigned_object_id", "Related object not found using the provided numeric ID: \(id)")
            }
        default:
            throw APIError.model("assigned_object_type and assigned_object_id must be given together.")
        }
    }

    /// `IPAddress.clean()`, for the rules NetBoxLite can break.
    func validate(_ address: IPAddressRecord, previous: IPAddressRecord?, in lab: Lab) throws {
        let network = address.address
        if network.prefixLength == 0 {
            throw APIError.field("address", "Cannot create IP address with /0 mask.")
        }
        if !Self.nonUniqueRoles.contains(address.role),
            let duplicate = lab.orderedIPAddresses.first(where: {
                $0.id != address.id && $0.address.family == network.family && $0.address.address == network.address
                    && !Self.nonUniqueRoles.contains($0.role)
            })
        {
            throw APIError.field("address", "Duplicate IP address found in global table: \(duplicate.address)")
        }
        if let previous, previous.interfaceID != address.interfaceID, let owner = primaryOwner(of: previous, in: lab) {
            let newDevice = address.interfaceID.flatMap { lab.interfaces[$0]?.deviceID }
            if newDevice != owner.id {
                throw APIError.model("Cannot reassign IP address while it is designated as the primary IP for the parent object")
            }
        }
        guard address.interfaceID != nil else { return }
        let wholeLengths = network.family == .v4 ? [31, 32] : [127, 128]
        if network.address == network.first && !wholeLengths.contains(network.prefixLength) {
            throw APIError.model("\(network.hostText) is a network ID, which may not be assigned to an interface.")
        }
        if network.family == .v4 && network.address == network.last && !wholeLengths.contains(network.prefixLength) {
            throw APIError.model("\(network.hostText) is a broadcast address, which may not be assigned to an interface.")
        }
    }

    /// The device that has `address` as its primary IPv4 or IPv6 address, if any.
    func primaryOwner(of address: IPAddressRecord, in lab: Lab) -> DeviceRecord? {
        lab.devices.values.first { $0.primaryIP4ID == address.id || $0.primaryIP6ID == address.id }
    }

    /// NetBox's DNS name rule: labels of letters, digits, `_` and `-` (a lone `*` first),
    /// separated by dots, with an optional final dot. Blank is allowed.
    static func isValidDNSName(_ name: String) -> Bool {
        if name.isEmpty { return true }
        var labels = name.split(separator: ".", omittingEmptySubsequences: false)
        if labels.count > 1 && labels.last == "" { labels.removeLast() }
        for (index, label) in labels.enumerated() {
            if index == 0 && label == "*" { continue }
            guard !label.isEmpty, label.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) else {
                return false
            }
        }
        return true
    }
}
