/// `/api/dcim/devices/`: list with filters, retrieve, create, update.
struct DeviceEndpoints: Sendable {
    let choices: Choices

    var endpoints: [Endpoint] {
        [
            Endpoint(
                "/api/dcim/devices/", allow: Endpoint.Allow.list,
                ["GET": .read(list), "POST": .write(create)]),
            Endpoint(
                "/api/dcim/devices/{id}/", allow: Endpoint.Allow.detail,
                ["GET": .read(retrieve), "PATCH": .write(update)]),
        ]
    }

    func list(_ lab: Lab, _ request: APIRequest) throws -> APIResponse {
        var filters = Filters<DeviceRecord>(request)
        filters.numbers("id") { $0.id }
        filters.exact("name") { $0.name }
        filters.choices("status", in: choices.deviceStatus) { $0.status }
        filters.objects("site_id", existing: Set(lab.sites.keys)) { $0.siteID }
        filters.objects("site", existing: Set(lab.sites.values.map(\.slug))) { lab.sites[$0.siteID]?.slug }
        filters.objects("role_id", existing: Set(lab.deviceRoles.keys)) { $0.roleID }
        filters.objects("role", existing: Set(lab.deviceRoles.values.map(\.slug))) { lab.deviceRoles[$0.roleID]?.slug }
        filters.objects("device_type_id", existing: Set(lab.deviceTypes.keys)) { $0.deviceTypeID }
        filters.exact("serial") { $0.serial }
        filters.exact("description") { $0.description }
        filters.boolean("has_primary_ip") { $0.primaryIP4ID != nil || $0.primaryIP6ID != nil }
        let devices = try filters.apply(lab.orderedDevices)
        let renderer = Renderer(lab: lab, choices: choices, base: request.baseURL)
        return .ok(Pagination(request).page(devices, request: request) { renderer.device($0, brief: request.isBrief) })
    }

    func retrieve(_ lab: Lab, _ request: APIRequest) throws -> APIResponse {
        let device: DeviceRecord = try lab.record(for: request, model: "Device")
        return .ok(Renderer(lab: lab, choices: choices, base: request.baseURL).device(device, brief: request.isBrief))
    }

    func create(_ lab: inout Lab, _ request: APIRequest) throws -> APIResponse {
        let now = Timestamp.now()
        let id = try lab.nextID(for: DeviceRecord.self)
        var device = DeviceRecord(
            id: id, name: nil, deviceTypeID: 0, roleID: 0, siteID: 0, status: "active", serial: "", description: "", comments: "",
            primaryIP4ID: nil, primaryIP6ID: nil, created: now, lastUpdated: now)
        try apply(request.body, to: &device, in: lab, creating: true)
        try lab.save(device)
        // A new device gets the interfaces of its type's templates, as NetBox instantiates them.
        for template in lab.interfaceTemplates.values.filter({ $0.deviceTypeID == device.deviceTypeID }).sorted(by: { $0.id < $1.id }) {
            try lab.save(
                InterfaceRecord(
                    id: try lab.nextID(for: InterfaceRecord.self), deviceID: device.id, name: template.name, label: "", type: template.type,
                    enabled: true, mgmtOnly: template.mgmtOnly, mtu: nil, description: template.description, markConnected: false,
                    cableID: nil, cableEnd: nil, created: now, lastUpdated: now))
        }
        let renderer = Renderer(lab: lab, choices: choices, base: request.baseURL)
        return .created(renderer.device(device), location: "\(request.baseURL)/api/dcim/devices/\(device.id)/")
    }

    func update(_ lab: inout Lab, _ request: APIRequest) throws -> APIResponse {
        var device: DeviceRecord = try lab.record(for: request, model: "Device")
        try apply(request.body, to: &device, in: lab, creating: false)
        device.lastUpdated = Timestamp.now()
        try lab.save(device)
        return .ok(Renderer(lab: lab, choices: choices, base: request.baseURL).device(device))
    }

    /// Validates the writable fields (in the serializer's order), then the model rules.
    private func apply(_ body: JSON?, to device: inout DeviceRecord, in lab: Lab, creating: Bool) throws {
        var fields = try FieldReader(body)
        if fields.has("name") {
            if fields.body["name"]?.isNull == true {
                device.name = nil
            } else if let name = fields.string("name", maxLength: 64) {
                device.name = name.isEmpty ? nil : name
            }
        }
        if creating { fields.require("device_type", "role") }
        if case .some(.some(let id)) = fields.related("device_type", exists: { lab.deviceTypes[$0] != nil }) { device.deviceTypeID = id }
        if case .some(.some(let id)) = fields.related("role", exists: { lab.deviceRoles[$0] != nil }) { device.roleID = id }
        if let serial = fields.string("serial", maxLength: 50) { device.serial = serial }
        if creating { fields.require("site") }
        if case .some(.some(let id)) = fields.related("site", exists: { lab.sites[$0] != nil }) { device.siteID = id }
        if let status = fields.choice("status", in: choices.deviceStatus) { device.status = status }
        if let id = fields.related("primary_ip4", nullable: true, exists: { lab.ipAddresses[$0] != nil }) { device.primaryIP4ID = id }
        if let id = fields.related("primary_ip6", nullable: true, exists: { lab.ipAddresses[$0] != nil }) { device.primaryIP6ID = id }
        if let description = fields.string("description", maxLength: 200) { device.description = description }
        if let comments = fields.string("comments") { device.comments = comments }
        try fields.throwIfAny()
        try validate(device, in: lab)
    }

    /// `Device.clean()` and the unique constraint, for the rules NetBoxLite can break.
    private func validate(_ device: DeviceRecord, in lab: Lab) throws {
        if let name = device.name?.lowercased(),
            lab.devices.values.contains(where: { $0.id != device.id && $0.siteID == device.siteID && $0.name?.lowercased() == name })
        {
            throw APIError.model("Device name must be unique per site and tenant.")
        }
        for (family, id) in [(IPFamily.v4, device.primaryIP4ID), (IPFamily.v6, device.primaryIP6ID)] {
            guard let id, let address = lab.ipAddresses[id] else { continue }
            let field = "primary_ip\(family.rawValue)"
            guard address.address.family == family else {
                throw APIError.field(field, "\(address.address) is not an IPv\(family.rawValue) address.")
            }
            guard let interfaceID = address.interfaceID, lab.interfaces[interfaceID]?.deviceID == device.id else {
                throw APIError.field(field, "The specified IP address (\(address.address)) is not assigned to this device.")
            }
        }
    }
}
