/// `/api/ipam/prefixes/{id}/available-prefixes/`: the free blocks of a prefix, and allocation
/// of child prefixes from them (first fit in address order, as NetBox does).
struct AvailablePrefixesEndpoint: Sendable {
    let choices: Choices

    var endpoint: Endpoint {
        Endpoint(
            "/api/ipam/prefixes/{id}/available-prefixes/", allow: Endpoint.Allow.available,
            ["GET": .read(list), "POST": .write(allocate)])
    }

    func list(_ lab: Lab, _ request: APIRequest) throws -> APIResponse {
        let parent: PrefixRecord = try lab.record(for: request, model: "Prefix")
        let renderer = Renderer(lab: lab, choices: choices, base: request.baseURL)
        return .ok(.array(lab.availablePrefixes(in: parent).cidrs.map(renderer.availablePrefix)))
    }

    /// One object in gives one prefix out; a list in gives a list out.
    func allocate(_ lab: inout Lab, _ request: APIRequest) throws -> APIResponse {
        let parent: PrefixRecord = try lab.record(for: request, model: "Prefix")
        let allocation = AllocationRequest(request.body)
        let lengths = try requestedLengths(allocation.items, family: parent.prefix.family)

        var free = lab.availablePrefixes(in: parent)
        var blocks: [IPNetwork] = []
        for length in lengths {
            guard let block = free.allocate(prefixLength: length) else { throw APIError.insufficientResources }
            blocks.append(block)
        }

        let fields = PrefixFields(choices: choices)
        let created = try allocation.createEach { index, item in
            let now = Timestamp.now()
            var prefix = PrefixRecord(
                id: try lab.nextID(for: PrefixRecord.self), prefix: blocks[index], status: "active", isPool: false, markUtilized: false,
                description: "", comments: "", created: now, lastUpdated: now)
            // The allocated block replaces any `prefix` the item carries.
            try fields.read(item, into: &prefix, readsPrefix: false, creating: true)
            try fields.validate(&prefix, in: lab)
            try lab.save(prefix)
            return prefix
        }
        let renderer = Renderer(lab: lab, choices: choices, base: request.baseURL)
        return allocation.created(created.map { renderer.prefix($0, justCreated: true) })
    }

    /// Each item's `prefix_length`, or the 400 NetBox gives: one object per item, messages as
    /// plain strings (`[{"prefix_length": "this field can not be missing"}]`).
    private func requestedLengths(_ items: [JSON], family: IPFamily) throws -> [Int] {
        var lengths: [Int] = []
        var errors: [JSON] = []
        for item in items {
            let value = item["prefix_length"]
            if !item.isObject {
                errors.append(["non_field_errors": ["Invalid data. Expected a dictionary, but got \(FieldReader.pythonTypeName(item))."]])
            } else if value == nil || value == .null {
                errors.append(["prefix_length": "this field can not be missing"])
            } else if let length = value?.intValue {
                if length > family.bits {
                    errors.append(["prefix_length": .string("Invalid prefix length (\(length)) for \(family.label)")])
                } else {
                    lengths.append(length)
                    errors.append(.emptyObject)
                }
            } else {
                errors.append(["prefix_length": "this field must be int type"])
            }
        }
        guard lengths.count == items.count else { throw APIError(status: 400, body: .array(errors)) }
        return lengths
    }
}
