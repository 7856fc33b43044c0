/// Validation errors collected field by field, in the order found, as Django REST framework
/// reports them: `{"field": ["message", ...]}`.
struct FieldErrors: Sendable {
    private(set) var entries: [(field: String, messages: [String])] = []

    var isEmpty: Bool { entries.isEmpty }

    mutating func add(_ field: String, _ message: String) {
        if let index = entries.firstIndex(where: { $0.field == field }) {
            entries[index].messages.append(message)
        } else {
            entries.append((field: field, messages: [message]))
        }
    }

    func has(_ field: String) -> Bool {
        entries.contains { $0.field == field }
    }

    var json: JSON {
        .object(entries.map { (key: $0.field, value: .array($0.messages.map { .string($0) })) })
    }

    /// Throws the collected errors as a 400, if there are any.
    func throwIfAny() throws {
        if !isEmpty { throw APIError.fields(self) }
    }
}
