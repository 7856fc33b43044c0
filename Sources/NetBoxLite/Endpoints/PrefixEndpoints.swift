/// `/api/ipam/prefixes/`: list with filters, retrieve, create, update, delete.
struct PrefixEndpoints: Sendable {
    let choices: Choices

    var endpoints: [Endpoint] {
        [
            Endpoint("/api/ipam/prefixes/", allow: Endpoint.Allow.list, ["GET": .read(list), "POST": .write(create)]),
            Endpoint(
                "/api/ipam/prefixes/{id}/", allow: Endpoint.Allow.detail,
                ["GET": .read(retrieve), "PATCH": .write(update), "DELETE": .write(delete)]),
        ]
    }

    func list(_ lab: Lab, _ request: APIRequest) throws -> APIResponse {
        var filters = Filters<PrefixRecord>(request)
        filters.numbers("id") { $0.id }
        filters.numbers("family") { $0.prefix.family.rawValue }
        filters.numbers("mask_length") { $0.prefix.prefixLength }
        filters.choices("status", in: choices.prefixStatus) { $0.status }
        filters.boolean("is_pool") { $0.isPool }
        filters.boolean("mark_utilized") { $0.markUtilized }
        filters.exact("description") { $0.description }
        // `prefix`: exact networks; a value that is not one matches nothing.
        let wanted = filters.values("prefix")
        if !wanted.isEmpty {
            let networks = Set(wanted.compactMap(IPNetwork.init))
            filters.add { networks.contains($0.prefix) }
        }
        if let text = filters.request.value("within"), !text.isEmpty {
            let parent = IPNetwork(text)?.cidr
            filters.add { parent?.strictlyContains($0.prefix) ?? false }
        }
        if let text = filters.request.value("within_include"), !text.isEmpty {
            let parent = IPNetwork(text)?.cidr
            filters.add { parent?.contains($0.prefix) ?? false }
        }
        if let text = filters.request.value("contains"), !text.isEmpty {
            let inner = IPNetwork(text)
            filters.add { prefix in inner.map { prefix.prefix.contains($0.cidr) } ?? false }
        }
        let prefixes = try filters.apply(lab.orderedPrefixes)
        let renderer = Renderer(lab: lab, choices: choices, base: request.baseURL)
        return .ok(Pagination(request).page(prefixes, request: request) { renderer.prefix($0, brief: request.isBrief) })
    }

    func retrieve(_ lab: Lab, _ request: APIRequest) throws -> APIResponse {
        let prefix: PrefixRecord = try lab.record(for: request, model: "Prefix")
        return .ok(Renderer(lab: lab, choices: choices, base: request.baseURL).prefix(prefix, brief: request.isBrief))
    }

    func create(_ lab: inout Lab, _ request: APIRequest) throws -> APIResponse {
        let now = Timestamp.now()
        var prefix = PrefixRecord(
            id: try lab.nextID(for: PrefixRecord.self), prefix: IPNetwork(family: .v4, address: 0, prefixLength: 0), status: "active",
            isPool: false, markUtilized: false, description: "", comments: "", created: now, lastUpdated: now)
        let fields = PrefixFields(choices: choices)
        try fields.read(request.body, into: &prefix, readsPrefix: true, creating: true)
        try fields.validate(&prefix, in: lab)
        try lab.save(prefix)
        let renderer = Renderer(lab: lab, choices: choices, base: request.baseURL)
        return .created(renderer.prefix(prefix, justCreated: true), location: "\(request.baseURL)/api/ipam/prefixes/\(prefix.id)/")
    }

    func update(_ lab: inout Lab, _ request: APIRequest) throws -> APIResponse {
        var prefix: PrefixRecord = try lab.record(for: request, model: "Prefix")
        let fields = PrefixFields(choices: choices)
        try fields.read(request.body, into: &prefix, readsPrefix: true, creating: false)
        try fields.validate(&prefix, in: lab)
        prefix.lastUpdated = Timestamp.now()
        try lab.save(prefix)
        return .ok(Renderer(lab: lab, choices: choices, base: request.baseURL).prefix(prefix))
    }

    /// Deleting a prefix leaves its child prefixes and addresses alone, as in NetBox.
    func delete(_ lab: inout Lab, _ request: APIRequest) throws -> APIResponse {
        let prefix: PrefixRecord = try lab.record(for: request, model: "Prefix")
        try lab.delete(prefix)
        return .noContent
    }
}
