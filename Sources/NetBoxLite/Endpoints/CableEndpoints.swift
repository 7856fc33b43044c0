/// `/api/dcim/cables/`: list with filters, retrieve, create between interfaces, update, delete.
struct CableEndpoints: Sendable {
    let choices: Choices

    var endpoints: [Endpoint] {
        [
            Endpoint("/api/dcim/cables/", allow: Endpoint.Allow.list, ["GET": .read(list), "POST": .write(create)]),
            Endpoint(
                "/api/dcim/cables/{id}/", allow: Endpoint.Allow.detail,
                ["GET": .read(retrieve), "PATCH": .write(update), "DELETE": .write(delete)]),
        ]
    }

    func list(_ lab: Lab, _ request: APIRequest) throws -> APIResponse {
        var filters = Filters<CableRecord>(request)
        filters.numbers("id") { $0.id }
        filters.choices("status", in: choices.cableStatus) { $0.status }
        filters.choices("type", in: choices.cableType) { $0.type }
        filters.exact("label") { $0.label }
        filters.exact("description") { $0.description }
        // Both are plain number filters on the cable's terminations: an unknown id matches nothing.
        if let deviceIDs = ids(filters.values("device_id"), name: "device_id", filters: &filters) {
            let interfaceIDs = Set(lab.interfaces.values.filter { deviceIDs.contains($0.deviceID) }.map(\.id))
            let cableIDs = lab.cables(touching: interfaceIDs)
            filters.add { cableIDs.contains($0.id) }
        }
        let deviceNames = Set(filters.values("device"))
        if !deviceNames.isEmpty {
            let interfaceIDs = Set(lab.interfaces.values.filter { deviceNames.contains(lab.devices[$0.deviceID]?.name ?? "") }.map(\.id))
            let cableIDs = lab.cables(touching: interfaceIDs)
            filters.add { cableIDs.contains($0.id) }
        }
        if let interfaceIDs = ids(filters.values("interface_id"), name: "interface_id", filters: &filters) {
            let cableIDs = lab.cables(touching: interfaceIDs)
            filters.add { cableIDs.contains($0.id) }
        }
        let cables = try filters.apply(lab.orderedCables)
        let renderer = Renderer(lab: lab, choices: choices, base: request.baseURL)
        return .ok(Pagination(request).page(cables, request: request) { renderer.cable($0, brief: request.isBrief) })
    }

    private func ids(_ values: [String], name: String, filters: inout Filters<CableRecord>) -> Set<Int>? {
        guard !values.isEmpty else { return nil }
        var result = Set<Int>()
        for value in values {
            if let id = Int(value) { result.insert(id) } else { filters.reject(name, "Enter a number.") }
        }
        return result
    }

    func retrieve(_ lab: Lab, _ request: APIRequest) throws -> APIResponse {
        let cable: CableRecord = try lab.record(for: request, model: "Cable")
        return .ok(Renderer(lab: lab, choices: choices, base: request.baseURL).cable(cable, brief: request.isBrief))
    }

    func create(_ lab: inout Lab, _ request: APIRequest) throws -> APIResponse {
        var fields = try FieldReader(request.body)
        let aSide = terminations("a_terminations", &fields, lab)
        let bSide = terminations("b_terminations", &fields, lab)
        let now = Timestamp.now()
        var cable = CableRecord(
            id: try lab.nextID(for: CableRecord.self), type: "", status: "connected", label: "", color: "", description: "", comments: "",
            created: now, lastUpdated: now)
        readAttributes(&fields, into: &cable)
        try fields.throwIfAny()
        try validate(aSide: aSide ?? [], bSide: bSide ?? [], in: lab)

        try lab.save(cable)
        for (end, side) in [("A", aSide ?? []), ("B", bSide ?? [])] {
            for var interface in side {
                try lab.save(
                    CableTerminationRecord(
                        id: try lab.nextID(for: CableTerminationRecord.self), cableID: cable.id, cableEnd: end,
                        terminationType: ObjectType.interface, terminationID: interface.id))
                interface.cableID = cable.id
                interface.cableEnd = end
                interface.lastUpdated = now
                try lab.save(interface)
            }
        }
        let renderer = Renderer(lab: lab, choices: choices, base: request.baseURL)
        return .created(renderer.cable(cable), location: "\(request.baseURL)/api/dcim/cables/\(cable.id)/")
    }

    func update(_ lab: inout Lab, _ request: APIRequest) throws -> APIResponse {
        var cable: CableRecord = try lab.record(for: request, model: "Cable")
        var fields = try FieldReader(request.body)
        for name in ["a_terminations", "b_terminations"] where fields.has(name) {
            fields.reject(name, "NetBoxLite cannot move a cable's ends: delete the cable and create a new one.")
        }
        readAttributes(&fields, into: &cable)
        try fields.throwIfAny()
        cable.lastUpdated = Timestamp.now()
        try lab.save(cable)
        return .ok(Renderer(lab: lab, choices: choices, base: request.baseURL).cable(cable))
    }

    func delete(_ lab: inout Lab, _ request: APIRequest) throws -> APIResponse {
        let cable: CableRecord = try lab.record(for: request, model: "Cable")
        let now = Timestamp.now()
        for termination in lab.cableTerminations.values where termination.cableID == cable.id {
            if var interface = lab.interfaces[termination.terminationID] {
                interface.cableID = nil
                interface.cableEnd = nil
                interface.lastUpdated = now
                try lab.save(interface)
            }
            try lab.delete(termination)
        }
        try lab.delete(cable)
        return .noContent
    }

    /// The fields a cable's create and update share, in the serializer's order.
    private func readAttributes(_ fields: inout FieldReader, into cable: inout CableRecord) {
        if let type = fields.choice("type", in: choices.cableType, allowBlank: true) { cable.type = type }
        if let status = fields.choice("status", in: choices.cableStatus) { cable.status = status }
        if let label = fields.string("label", maxLength: 100) { cable.label = label }
        if let color = fields.string("color", maxLength: 6) {
            if color.isEmpty || (color.count == 6 && color.allSatisfy { $0.isHexDigit && !$0.isUppercase }) {
                cable.color = color
            } else {
                fields.reject("color", "Enter a valid hexadecimal RGB color code.")
            }
        }
        if let description = fields.string("description", maxLength: 200) { cable.description = description }
        if let comments = fields.string("comments") { cable.comments = comments }
    }

    /// One side's `[{"object_type": "dcim.interface", "object_id": n}]`, or nil if absent or bad.
    private func terminations(_ name: String, _ fields: inout FieldReader, _ lab: Lab) -> [InterfaceRecord]? {
        guard let value = fields.body[name] else { return nil }
        guard let items = value.arrayValue else {
            fields.reject(name, "Expected a list of items but got type \"\(FieldReader.pythonTypeName(value))\".")
            return nil
        }
        var interfaces: [InterfaceRecord] = []
        for item in items {
            guard let type = item["object_type"]?.stringValue, let id = item["object_id"]?.intValue else {
                fields.reject(name, "Each termination needs an object_type and a numeric object_id.")
                return nil
            }
            guard type == ObjectType.interface else {
                fields.reject(name, "NetBoxLite only connects cables to interfaces (dcim.interface), not \(type).")
                return nil
            }
            guard let interface = lab.interfaces[id] else {
                fields.reject(name, "Related object not found using the provided numeric ID: \(id)")
                return nil
            }
            interfaces.append(interface)
        }
        return interfaces
    }

    /// `Cable.clean()` and `CableTermination.clean()`, side A first.
    private func validate(aSide: [InterfaceRecord], bSide: [InterfaceRecord], in lab: Lab) throws {
        guard !aSide.isEmpty, !bSide.isEmpty else {
            throw APIError.model("Must define A and B terminations when creating a new cable.")
        }
        if !Set(aSide.map(\.id)).isDisjoint(with: bSide.map(\.id)) {
            throw APIError.model("A and B terminations cannot connect to the same object.")
        }
        let nonConnectable = choices.virtualInterfaceTypes.union(choices.wirelessInterfaceTypes)
        for interface in aSide + bSide {
            if let cableID = interface.cableID {
                throw APIError.model("Duplicate termination found for \(ObjectType.interface) \(interface.id): cable \(cableID)")
            }
            if interface.markConnected {
                let device = lab.devices[interface.deviceID].map(lab.display(of:)) ?? ""
                throw APIError.model("Cannot connect a cable to \(device) > \(interface.name) because it is marked as connected.")
            }
            if nonConnectable.contains(interface.type) {
                let label = choices.interfaceType.label(of: interface.type) ?? interface.type
                throw APIError.model("Cables cannot be terminated to \(label) interfaces")
            }
        }
    }
}
