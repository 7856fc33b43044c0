import Foundation

/// The query filters of one list request, checked and applied as NetBox's filter sets do:
/// repeated values are ORed, different filters ANDed, unknown parameters ignored, and a bad
/// value is a 400 keyed by the parameter (never an empty list).
struct Filters<Record> {
    let request: APIRequest
    private var predicates: [(Record) -> Bool] = []
    private var errors = FieldErrors()

    init(_ request: APIRequest) {
        self.request = request
    }

    /// The non-empty values given for `name`.
    func values(_ name: String) -> [String] {
        request.values(name).filter { !$0.isEmpty }
    }

    /// Adds a predicate of the caller's own (used by filters with a method of their own).
    mutating func add(_ predicate: @escaping (Record) -> Bool) {
        predicates.append(predicate)
    }

    /// Records a bad value for `name`.
    mutating func reject(_ name: String, _ message: String) {
        errors.add(name, message)
    }

    /// Exact match on a text field (`MultiValueCharFilter`).
    mutating func exact(_ name: String, _ field: @escaping (Record) -> String?) {
        let wanted = Set(values(name))
        guard !wanted.isEmpty else { return }
        add { field($0).map(wanted.contains) ?? false }
    }

    /// Match on a number (`MultiValueNumberFilter`): any number, existing or not.
    mutating func numbers(_ name: String, _ field: @escaping (Record) -> Int?) {
        guard let wanted = integers(name, message: { _ in "Enter a number." }) else { return }
        add { field($0).map(wanted.contains) ?? false }
    }

    /// Match on a choice field (`MultipleChoiceFilter`): every value must be a valid choice.
    mutating func choices(_ name: String, in set: ChoiceSet, _ field: @escaping (Record) -> String) {
        let wanted = values(name)
        guard !wanted.isEmpty else { return }
        for value in wanted where !set.contains(value) {
            reject(name, "Select a valid choice. \(value) is not one of the available choices.")
        }
        let accepted = Set(wanted)
        add { accepted.contains(field($0)) }
    }

    /// Match on a related object's id (`ModelMultipleChoiceFilter`): every id must exist.
    mutating func objects(_ name: String, existing: Set<Int>, _ field: @escaping (Record) -> Int?) {
        guard let wanted = integers(name, message: { "“\($0)” is not a valid value." }) else { return }
        for id in wanted.sorted() where !existing.contains(id) {
            reject(name, "Select a valid choice. \(id) is not one of the available choices.")
        }
        add { field($0).map(wanted.contains) ?? false }
    }

    /// Match on a related object's slug or name (`ModelMultipleChoiceFilter` with
    /// `to_field_name`): every value must name an existing object.
    mutating func objects(_ name: String, existing: Set<String>, _ field: @escaping (Record) -> String?) {
        let wanted = values(name)
        guard !wanted.isEmpty else { return }
        for value in wanted where !existing.contains(value) {
            reject(name, "Select a valid choice. \(value) is not one of the available choices.")
        }
        let accepted = Set(wanted)
        add { field($0).map(accepted.contains) ?? false }
    }

    /// A yes/no filter (`BooleanFilter`): `true`/`1` or `false`/`0`; anything else is ignored.
    mutating func boolean(_ name: String, _ field: @escaping (Record) -> Bool) {
        guard let wanted = flag(name) else { return }
        add { field($0) == wanted }
    }

    /// The value of a yes/no parameter, nil when absent or not a recognised value.
    func flag(_ name: String) -> Bool? {
        switch request.value(name) {
        case "true", "True", "1": true
        case "false", "False", "0": false
        default: nil
        }
    }

    /// The records that pass every filter, or the 400 for the bad values.
    func apply(_ records: [Record]) throws -> [Record] {
        try errors.throwIfAny()
        return records.filter { record in predicates.allSatisfy { $0(record) } }
    }

    private mutating func integers(_ name: String, message: (String) -> String) -> Set<Int>? {
        let given = values(name)
        guard !given.isEmpty else { return nil }
        var result = Set<Int>()
        for value in given {
            if let number = Int(value.trimmingCharacters(in: .whitespaces)) {
                result.insert(number)
            } else {
                reject(name, message(value))
            }
        }
        return result
    }
}
