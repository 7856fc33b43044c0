/// One of NetBox's choice lists: the values a field accepts and the label each reads back with.
struct ChoiceSet: Sendable {
    struct Choice: Sendable, Decodable {
        let value: String
        let label: String
        let group: String?
    }

    let choices: [Choice]

    func label(of value: String) -> String? {
        choices.first { $0.value == value }?.label
    }

    func contains(_ value: String) -> Bool {
        label(of: value) != nil
    }

    /// `{"value": v, "label": l}` as NetBox reads a choice field back; `null` for an unset one.
    func json(_ value: String?) -> JSON {
        guard let value, !value.isEmpty else { return .null }
        return ["value": .string(value), "label": .string(label(of: value) ?? value)]
    }

    /// The values of one group (for example the interface types under "Wireless").
    func values(inGroup group: String) -> Set<String> {
        Set(choices.filter { $0.group == group }.map(\.value))
    }
}
