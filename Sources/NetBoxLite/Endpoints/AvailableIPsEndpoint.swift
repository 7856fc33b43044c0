import Foundation

/// `/api/ipam/prefixes/{id}/available-ips/`: the free addresses of a prefix, and allocation
/// of addresses from them, with any IP address field (so "allocate and assign" is one call).
struct AvailableIPsEndpoint: Sendable {
    let choices: Choices

    var endpoint: Endpoint {
        Endpoint(
            "/api/ipam/prefixes/{id}/available-ips/", allow: Endpoint.Allow.available,
            ["GET": .read(list), "POST": .write(allocate)])
    }

    /// Up to `?limit=` addresses (50 by default, 0 meaning 1000, never more than 1000), each
    /// shown with the parent's mask.
    func list(_ lab: Lab, _ request: APIRequest) throws -> APIResponse {
        let parent: PrefixRecord = try lab.record(for: request, model: "Prefix")
        var limit = Pagination.defaultLimit
        if let text = request.value("limit"), let parsed = Int(text.trimmingCharacters(in: .whitespaces)) {
            // NetBox lists every free address for a negative limit; NetBoxLite keeps the default.
            limit = parsed == 0 ? Pagination.maxPageSize : (parsed < 0 ? Pagination.defaultLimit : parsed)
        }
        limit = min(limit, Pagination.maxPageSize)
        let renderer = Renderer(lab: lab, choices: choices, base: request.baseURL)
        let addresses = lab.availableAddresses(in: parent).addresses(limit: limit)
        return .ok(.array(addresses.map { renderer.availableAddress($0, in: parent.prefix) }))
    }

    /// One object in gives one address out; a list in gives a list out. Each address gets the
    /// parent's mask unless the item asks for a `prefix_length`.
    func allocate(_ lab: inout Lab, _ request: APIRequest) throws -> APIResponse {
        let parent: PrefixRecord = try lab.record(for: request, model: "Prefix")
        let allocation = AllocationRequest(request.body)
        let lengths = try requestedLengths(allocation.items, parent: parent.prefix)

        let free = lab.availableAddresses(in: parent).addresses(limit: allocation.items.count)
        guard free.count == allocation.items.count else { throw APIError.insufficientResources }

        let fields = IPAddressFields(choices: choices)
        let created = try allocation.createEach { index, item in
            var address = try IPAddressEndpoints.newAddress(in: lab)
            try fields.read(item, into: &address, in: lab, readsAddress: false, creating: true)
            address.address = IPNetwork(
                family: parent.prefix.family, address: free[index], prefixLength: lengths[index] ?? parent.prefix.prefixLength)
            try fields.validate(address, previous: nil, in: lab)
            try lab.save(address)
            return address
        }
        let renderer = Renderer(lab: lab, choices: choices, base: request.baseURL)
        return allocation.created(created.map { renderer.ipAddress($0) })
    }

    /// Each item's optional `prefix_length`, checked against the parent, or the 400 NetBox
    /// gives: one object per item, messages as plain strings.
    private func requestedLengths(_ items: [JSON], parent: IPNetwork) throws -> [Int?] {
        var lengths: [Int?] = []
        var errors: [JSON] = []
        var failed = false
        for item in items {
            var error: JSON = .emptyObject
            var length: Int?
            if !item.isObject {
                error = ["non_field_errors": ["Invalid data. Expected a dictionary, but got \(FieldReader.pythonTypeName(item))."]]
            } else if let value = item["prefix_length"], !value.isNull {
                if let requested = value.intValue {
                    if requested < parent.prefixLength {
                        error = [
                            "prefix_length": .string("Prefix length must be greater than or equal to the parent mask length (\(parent.prefixLength))")
                        ]
                    } else if requested > parent.family.bits {
                        error = ["prefix_length": .string("Invalid prefix length (\(requested)) for \(parent.family.label)")]
                    } else {
                        length = requested
                    }
                } else {
                    error = ["prefix_length": ["A valid integer is required."]]
                }
            }
            if error != .emptyObject { failed = true }
            errors.append(error)
            lengths.append(length)
        }
        if failed { throw APIError(status: 400, body: .array(errors)) }
        return lengths
    }
}
