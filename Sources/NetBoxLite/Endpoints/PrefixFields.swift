/// The writable fields of a prefix and the rules `Prefix.clean()` checks, shared by
/// `POST /api/ipam/prefixes/`, its PATCH and `POST …/available-prefixes/`.
struct PrefixFields {
    let choices: Choices

    /// Reads `body` into `prefix` (the `prefix` field itself only when `readsPrefix`).
    func read(_ body: JSON?, into prefix: inout PrefixRecord, readsPrefix: Bool, creating: Bool) throws {
        var fields = try FieldReader(body)
        if readsPrefix {
            if creating { fields.require("prefix") }
            if let text = fields.string("prefix") {
                if let network = IPNetwork(text) {
                    prefix.prefix = network
                } else {
                    fields.reject("prefix", "Invalid IP prefix format: \(text)")
                }
            }
        }
        // NetBoxLite has none of these objects: a value is an id that does not exist.
        for name in ["vrf", "tenant", "vlan", "role", "scope_id"] {
            _ = fields.related(name, nullable: true) { _ in false }
        }
        if let status = fields.choice("status", in: choices.prefixStatus) { prefix.status = status }
        if let isPool = fields.bool("is_pool") { prefix.isPool = isPool }
        if let markUtilized = fields.bool("mark_utilized") { prefix.markUtilized = markUtilized }
        if let description = fields.string("description", maxLength: 200) { prefix.description = description }
        if let comments = fields.string("comments") { prefix.comments = comments }
        try fields.throwIfAny()
    }

    /// `Prefix.clean()` (with ENFORCE_GLOBAL_UNIQUE, NetBox's default), then the save's
    /// normalisation: host bits are cleared.
    func validate(_ prefix: inout PrefixRecord, in lab: Lab) throws {
        if prefix.prefix.prefixLength == 0 {
            throw APIError.field("prefix", "Cannot create prefix with /0 mask.")
        }
        prefix.prefix = prefix.prefix.cidr
        let network = prefix.prefix
        if let duplicate = lab.orderedPrefixes.first(where: { $0.id != prefix.id && $0.prefix == network }) {
            throw APIError.field("prefix", "Duplicate prefix found in global table: \(duplicate.prefix)")
        }
    }
}
