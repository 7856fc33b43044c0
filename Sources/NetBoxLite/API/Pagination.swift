import Foundation

/// NetBox's list envelope (`OptionalLimitOffsetPagination`): `{count, next, previous, results}`,
/// 50 per page by default, `limit=0` meaning as many as MAX_PAGE_SIZE (1000) allows.
struct Pagination {
    static let defaultLimit = 50
    static let maxPageSize = 1000

    let limit: Int
    let offset: Int

    init(_ request: APIRequest) {
        // A limit or offset that is not a non-negative integer is ignored, not an error.
        if let text = request.value("limit"), let parsed = Int(text.trimmingCharacters(in: .whitespaces)), parsed >= 0 {
            limit = parsed == 0 ? Self.maxPageSize : min(parsed, Self.maxPageSize)
        } else {
            limit = Self.defaultLimit
        }
        if let text = request.value("offset"), let parsed = Int(text.trimmingCharacters(in: .whitespaces)), parsed >= 0 {
            offset = parsed
        } else {
            offset = 0
        }
    }

    /// One page of `items`, rendered, in the envelope.
    func page<Item>(_ items: [Item], request: APIRequest, render: (Item) -> JSON) -> JSON {
        let count = items.count
        let results = offset >= count ? [] : items[offset..<min(count, offset + limit)].map(render)
        var next: JSON = .null
        if offset + limit < count {
            next = .string(link(request, replacing: ["limit": String(limit), "offset": String(offset + limit)]))
        }
        var previous: JSON = .null
        if offset > 0 {
            if offset - limit <= 0 {
                previous = .string(link(request, replacing: ["limit": String(limit)], removing: "offset"))
            } else {
                previous = .string(link(request, replacing: ["limit": String(limit), "offset": String(offset - limit)]))
            }
        }
        return ["count": .int(count), "next": next, "previous": previous, "results": .array(results)]
    }

    /// The request's URL with some parameters replaced, as Django REST framework rebuilds it:
    /// parameters sorted by name (values of one name in their order), form-encoded.
    private func link(_ request: APIRequest, replacing replacements: [String: String], removing removed: String? = nil) -> String {
        var grouped: [String: [String]] = [:]
        for (name, value) in request.query {
            grouped[name, default: []].append(value)
        }
        for (name, value) in replacements {
            grouped[name] = [value]
        }
        if let removed { grouped[removed] = nil }
        let query = grouped.keys.sorted().flatMap { name in
            grouped[name, default: []].map { Self.formEncode(name) + "=" + Self.formEncode($0) }
        }
        return request.baseURL + request.path + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
    }

    /// Python's `quote_plus`: letters, digits and `_.-~` stay, a space becomes `+`, the rest
    /// is percent-encoded byte by byte.
    static func formEncode(_ text: String) -> String {
        var output = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "~"):
                output.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: " "):
                output += "+"
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                output += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return output
    }
}
