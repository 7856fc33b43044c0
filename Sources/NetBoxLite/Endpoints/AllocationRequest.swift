/// The body of a POST to `available-prefixes` or `available-ips`: one object, or a list of
/// them. One object in gives one object out; a list in gives a list out.
struct AllocationRequest {
    let items: [JSON]
    let isList: Bool

    /// No body reads as one empty object, as NetBox reads it.
    init(_ body: JSON?) {
        isList = body?.arrayValue != nil
        items = body?.arrayValue ?? [body ?? .emptyObject]
    }

    /// Creates one object per item with `create`, all or nothing: if any item is refused,
    /// throws a 400 holding each item's errors (`{}` for the good ones), or the single item's.
    func createEach<Record>(_ create: (_ index: Int, _ item: JSON) throws -> Record) throws -> [Record] {
        var created: [Record] = []
        var errors: [JSON] = []
        for (index, item) in items.enumerated() {
            do {
                created.append(try create(index, item))
                errors.append(.emptyObject)
            } catch let error as APIError where error.status == 400 {
                errors.append(error.body)
            }
        }
        guard created.count == items.count else {
            throw APIError(status: 400, body: isList ? .array(errors) : errors.first { $0 != .emptyObject } ?? .emptyObject)
        }
        return created
    }

    /// 201 with the created objects, shaped like the request.
    func created(_ bodies: [JSON]) -> APIResponse {
        .created(isList ? .array(bodies) : bodies.first ?? .null)
    }
}
