/// A NetBox error answer: thrown by a handler, turned into a response at the edge. The
/// bodies are NetBox's, word for word.
struct APIError: Error, Sendable {
    let status: Int
    let body: JSON

    /// `{"detail": text}`.
    static func detail(_ status: Int, _ text: String) -> APIError {
        APIError(status: status, body: ["detail": .string(text)])
    }

    /// 404 as Django REST framework words it: `No Device matches the given query.`
    static func notFound(_ model: String) -> APIError {
        .detail(404, "No \(model) matches the given query.")
    }

    /// 400 with field errors: `{"status": ["up is not a valid choice."]}`.
    static func fields(_ errors: FieldErrors) -> APIError {
        APIError(status: 400, body: errors.json)
    }

    /// 400 with one error for one field.
    static func field(_ name: String, _ message: String) -> APIError {
        var errors = FieldErrors()
        errors.add(name, message)
        return .fields(errors)
    }

    /// 400 with a model-level error, under `__all__` as NetBox reports them.
    static func model(_ message: String) -> APIError {
        .field("__all__", message)
    }

    /// 405 as Django REST framework words it.
    static func methodNotAllowed(_ method: String) -> APIError {
        .detail(405, "Method \"\(method)\" not allowed.")
    }

    /// 409 of the available-prefixes and available-ips endpoints when the parent is full.
    static let insufficientResources = APIError.detail(409, "Insufficient resources are available to satisfy the request")
}
