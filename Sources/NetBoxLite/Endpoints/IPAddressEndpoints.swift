import Foundation

/// `/api/ipam/ip-addresses/`: list with filters, retrieve, create, update, delete.
struct IPAddressEndpoints: Sendable {
    let choices: Choices

    var endpoints: [Endpoint] {
        [
            Endpoint("/api/ipam/ip-addresses/", allow: Endpoint.Allow.list, ["GET": .read(list), "POST": .write(create)]),
            Endpoint(
                "/api/ipam/ip-addresses/{id}/", allow: Endpoint.Allow.detail,
                ["GET": .read(retrieve), "PATCH": .write(update), "DELETE": .write(delete)]),
        ]
    }

    func list(_ lab: Lab, _ request: APIRequest) throws -> APIResponse {
        var filters = Filters<IPAddressRecord>(request)
        filters.numbers("id") { $0.id }
        filters.numbers("family") { $0.address.family.rawValue }
        filters.numbers("mask_length") { $0.address.prefixLength }
        filters.choices("status", in: choices.ipAddressStatus) { $0.status }
        filters.choices("role", in: choices.ipAddressRole) { $0.role }
        filters.exact("description") { $0.description }
        filters.exact("dns_name") { $0.dnsName }
        filters.exact("assigned_object_type") { $0.assignedObjectType }
        filters.numbers("assigned_object_id") { $0.assignedObjectID }
        filters.boolean("assigned_to_interface") { $0.interfaceID != nil }
        filters.boolean("assigned") { $0.assignedObjectID != nil }
        filters.objects("interface_id", existing: Set(lab.interfaces.keys)) { $0.interfaceID }
        filters.objects("interface", existing: Set(lab.interfaces.values.map(\.name))) { $0.interfaceID.flatMap { lab.interfaces[$0]?.name } }
        filters.numbers("device_id") { $0.interfaceID.flatMap { lab.interfaces[$0]?.deviceID } }
        filters.exact("device") { $0.interfaceID.flatMap { lab.interfaces[$0] }.flatMap { lab.devices[$0.deviceID]?.name } }
        filterAddresses(&filters)
        let addresses = try filters.apply(lab.orderedIPAddresses)
        let renderer = Renderer(lab: lab, choices: choices, base: request.baseURL)
        return .ok(Pagination(request).page(addresses, request: request) { renderer.ipAddress($0, brief: request.isBrief) })
    }

    /// `address` (with a mask: that exact address; without: any mask) and `parent` (hosts
    /// inside the prefix). A value that is no address matches nothing.
    private func filterAddresses(_ filters: inout Filters<IPAddressRecord>) {
        let addresses = filters.values("address")
        if !addresses.isEmpty {
            let wanted = addresses.compactMap { text in IPNetwork(text).map { (network: $0, hasMask: text.contains("/")) } }
            filters.add { record in
                wanted.contains {
                    $0.hasMask
                        ? $0.network == record.address : $0.network.address == record.address.address && $0.network.family == record.address.family
                }
            }
        }
        let parents = filters.values("parent")
        if !parents.isEmpty {
            let networks = parents.map { IPNetwork($0.trimmingCharacters(in: .whitespaces))?.cidr }
            let valid = networks.allSatisfy { $0 != nil }
            filters.add { record in
                valid && networks.contains { $0.map { $0.family == record.address.family && $0.contains(address: record.address.address) } ?? false }
            }
        }
    }

    func retrieve(_ lab: Lab, _ request: APIRequest) throws -> APIResponse {
        let address: IPAddressRecord = try lab.record(for: request, model: "IPAddress")
        return .ok(Renderer(lab: lab, choices: choices, base: request.baseURL).ipAddress(address, brief: request.isBrief))
    }

    func create(_ lab: inout Lab, _ request: APIRequest) throws -> APIResponse {
        var address = try IPAddressEndpoints.newAddress(in: lab)
        let fields = IPAddressFields(choices: choices)
        try fields.read(request.body, into: &address, in: lab, readsAddress: true, creating: true)
        try fields.validate(address, previous: nil, in: lab)
        try lab.save(address)
        let renderer = Renderer(lab: lab, choices: choices, base: request.baseURL)
        return .created(renderer.ipAddress(address), location: "\(request.baseURL)/api/ipam/ip-addresses/\(address.id)/")
    }

    func update(_ lab: inout Lab, _ request: APIRequest) throws -> APIResponse {
        let previous: IPAddressRecord = try lab.record(for: request, model: "IPAddress")
        var address = previous
        let fields = IPAddressFields(choices: choices)
        try fields.read(request.body, into: &address, in: lab, readsAddress: true, creating: false)
        try fields.validate(address, previous: previous, in: lab)
        address.lastUpdated = Timestamp.now()
        try lab.save(address)
        return .ok(Renderer(lab: lab, choices: choices, base: request.baseURL).ipAddress(address))
    }

    /// A device that had this address as its primary IP loses it (`on_delete=SET_NULL`).
    func delete(_ lab: inout Lab, _ request: APIRequest) throws -> APIResponse {
        let address: IPAddressRecord = try lab.record(for: request, model: "IPAddress")
        for var device in lab.devices.values where device.primaryIP4ID == address.id || device.primaryIP6ID == address.id {
            if device.primaryIP4ID == address.id { device.primaryIP4ID = nil }
            if device.primaryIP6ID == address.id { device.primaryIP6ID = nil }
            try lab.save(device)
        }
        try lab.delete(address)
        return .noContent
    }

    /// A new, unsaved address with NetBox's defaults and the next id.
    static func newAddress(in lab: Lab, id: Int? = nil) throws -> IPAddressRecord {
        let now = Timestamp.now()
        return IPAddressRecord(
            id: try id ?? lab.nextID(for: IPAddressRecord.self), address: IPNetwork(family: .v4, address: 0, prefixLength: 32),
            status: "active", role: "", assignedObjectType: nil, assignedObjectID: nil, dnsName: "", description: "", comments: "",
            created: now, lastUpdated: now)
    }
}
