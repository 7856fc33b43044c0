/// `/api/dcim/interfaces/`: list with filters, retrieve, update, and the cable trace.
struct InterfaceEndpoints: Sendable {
    let choices: Choices

    var endpoints: [Endpoint] {
        [
            Endpoint("/api/dcim/interfaces/", allow: Endpoint.Allow.interfaceList, ["GET": .read(list)]),
            Endpoint(
                "/api/dcim/interfaces/{id}/", allow: Endpoint.Allow.interfaceDetail,
                ["GET": .read(retrieve), "PATCH": .write(update)]),
            Endpoint("/api/dcim/interfaces/{id}/trace/", allow: Endpoint.Allow.trace, ["GET": .read(trace)]),
        ]
    }

    func list(_ lab: Lab, _ request: APIRequest) throws -> APIResponse {
        var filters = Filters<InterfaceRecord>(request)
        filters.numbers("id") { $0.id }
        filters.objects("device_id", existing: Set(lab.devices.keys)) { $0.deviceID }
        filters.objects("device", existing: Set(lab.devices.values.compactMap(\.name))) { lab.devices[$0.deviceID]?.name }
        filters.exact("name") { $0.name }
        filters.exact("label") { $0.label }
        filters.exact("description") { $0.description }
        filters.choices("type", in: choices.interfaceType) { $0.type }
        filters.boolean("enabled") { $0.enabled }
        filters.boolean("mgmt_only") { $0.mgmtOnly }
        filters.boolean("mark_connected") { $0.markConnected }
        filters.boolean("cabled") { $0.cableID != nil }
        filters.boolean("occupied") { $0.isOccupied }
        filters.boolean("connected") { lab.cables[$0.cableID ?? 0]?.status == "connected" }
        filters.numbers("cable_id") { $0.cableID }
        filters.exact("cable_end") { $0.cableEnd }
        filterKind(&filters)
        let interfaces = try filters.apply(lab.orderedInterfaces)
        let renderer = Renderer(lab: lab, choices: choices, base: request.baseURL)
        return .ok(Pagination(request).page(interfaces, request: request) { renderer.interface($0, brief: request.isBrief) })
    }

    /// `kind=physical|virtual|wireless`; any other value leaves the list as it is.
    private func filterKind(_ filters: inout Filters<InterfaceRecord>) {
        let virtual = choices.virtualInterfaceTypes
        let wireless = choices.wirelessInterfaceTypes
        switch filters.request.value("kind")?.lowercased() {
        case "physical": filters.add { !virtual.contains($0.type) && !wireless.contains($0.type) }
        case "virtual": filters.add { virtual.contains($0.type) }
        case "wireless": filters.add { wireless.contains($0.type) }
        default: break
        }
    }

    func retrieve(_ lab: Lab, _ request: APIRequest) throws -> APIResponse {
        let interface: InterfaceRecord = try lab.record(for: request, model: "Interface")
        return .ok(Renderer(lab: lab, choices: choices, base: request.baseURL).interface(interface, brief: request.isBrief))
    }

    func trace(_ lab: Lab, _ request: APIRequest) throws -> APIResponse {
        let interface: InterfaceRecord = try lab.record(for: request, model: "Interface")
        return .ok(Renderer(lab: lab, choices: choices, base: request.baseURL).trace(from: interface))
    }

    func update(_ lab: inout Lab, _ request: APIRequest) throws -> APIResponse {
        var interface: InterfaceRecord = try lab.record(for: request, model: "Interface")
        var fields = try FieldReader(request.body)
        if let name = fields.string("name", maxLength: 64) {
            if name.isEmpty { fields.reject("name", "This field may not be blank.") } else { interface.name = name }
        }
        if let label = fields.string("label", maxLength: 64) { interface.label = label }
        if let type = fields.choice("type", in: choices.interfaceType) { interface.type = type }
        if let enabled = fields.bool("enabled") { interface.enabled = enabled }
        if let mtu = fields.optionalInteger("mtu", range: 1...65536) { interface.mtu = mtu }
        if let mgmtOnly = fields.bool("mgmt_only") { interface.mgmtOnly = mgmtOnly }
        if let description = fields.string("description", maxLength: 200) { interface.description = description }
        if let markConnected = fields.bool("mark_connected") { interface.markConnected = markConnected }
        try fields.throwIfAny()
        try validate(interface, in: lab)
        interface.lastUpdated = Timestamp.now()
        try lab.save(interface)
        return .ok(Renderer(lab: lab, choices: choices, base: request.baseURL).interface(interface))
    }

    /// `Interface.clean()` and the device/name constraint, for the rules NetBoxLite can break.
    private func validate(_ interface: InterfaceRecord, in lab: Lab) throws {
        let typeLabel = choices.interfaceType.label(of: interface.type) ?? interface.type
        if choices.virtualInterfaceTypes.contains(interface.type) && interface.cableID != nil {
            throw APIError.field("type", "\(typeLabel) interfaces cannot have a cable attached.")
        }
        if choices.virtualInterfaceTypes.contains(interface.type) && interface.markConnected {
            throw APIError.field("mark_connected", "\(typeLabel) interfaces cannot be marked as connected.")
        }
        if interface.markConnected && interface.cableID != nil {
            throw APIError.field("mark_connected", "Cannot mark as connected with a cable attached.")
        }
        if lab.interfaces.values.contains(where: { $0.id != interface.id && $0.deviceID == interface.deviceID && $0.name == interface.name }) {
            throw APIError.model("Interface with this Device and Name already exists.")
        }
    }
}
