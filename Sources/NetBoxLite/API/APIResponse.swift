/// What a handler answers: a status, a JSON body (nil for none, as after a DELETE) and any
/// extra headers (`Location`).
struct APIResponse: Sendable {
    var status: Int
    var body: JSON?
    var headers: [(name: String, value: String)] = []

    static func ok(_ body: JSON) -> APIResponse {
        APIResponse(status: 200, body: body)
    }

    /// 201 with the new object and, for ordinary list endpoints, its `Location`.
    static func created(_ body: JSON, location: String? = nil) -> APIResponse {
        APIResponse(status: 201, body: body, headers: location.map { [(name: "Location", value: $0)] } ?? [])
    }

    static let noContent = APIResponse(status: 204, body: nil)
}
