/// What a person chose, as they read it: the label of every choice answered so far, kept in
/// the process state (`input_labels`, field → value → label), so that the history can show
/// `port_a: ethernet-1/1` where the stored input says `{"port_a": 26}`, even after NetBox
/// renamed or renumbered things.
public enum InputLabels {
    public static let key = "input_labels"

    /// The state update that adds the labels of the choices in `forms` to those `state` has.
    static func update(_ state: State, forms: [(Form, State)]) -> State {
        var labels = state[raw: key]?.objectValue ?? [:]
        var changed = false
        for (form, answers) in forms {
            for field in form.fields where field.kind == .choice || field.kind == .multiChoice {
                guard let value = answers[raw: field.name] else { continue }
                var byValue = labels[field.name]?.objectValue ?? [:]
                let values: [JSONValue] = field.kind == .multiChoice ? (value.arrayValue ?? []) : [value]
                for value in values {
                    guard let label = field.choices?.first(where: { $0.value == value })?.label else { continue }
                    byValue[value.stringValue ?? value.jsonText] = .string(label)
                    changed = true
                }
                labels[field.name] = .object(byValue)
            }
        }
        return changed ? [key: .object(labels)] : State()
    }

    /// The label a person saw for `value` of `field`, if the state kept one.
    public static func label(of value: JSONValue, field: String, in state: State) -> String? {
        state[raw: key]?.objectValue?[field]?.objectValue?[value.stringValue ?? value.jsonText]?.stringValue
    }
}
