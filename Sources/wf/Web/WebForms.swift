import Foundation
import WorkflowEngine

/// A form page as HTML fields (for `field.mustache`) and the answers posted back, typed as
/// the form's fields say: the same forms the terminal asks, checked by the same rules.
enum WebForms {
    /// Radio buttons up to this many choices, a select above.
    static let radioLimit = 6
    /// A select offers at most this many choices at once; a longer list (every node of a
    /// large network) comes with a "find" box that narrows it by part of a label or value.
    static let listLimit = 200

    /// The form value that narrows the choices of `field` (posted by its Find button, or in
    /// the page's query).
    static func findKey(_ field: String) -> String { "find.\(field)" }

    /// The page's fields with the values to show (posted ones first, else the defaults) and
    /// each field's problem next to it.
    static func fields(_ form: Form, values: [String: [String]], problems: [FieldProblem], page: String) -> [[String: Any]] {
        form.fields.map { field in
            let posted = values[field.name]
            let problem = problems.first { $0.field == "\(page).\(field.name)" || $0.field == field.name }
            var item: [String: Any] = [
                "name": field.name, "label": field.label, "required": field.isRequired, "error": problem?.reason ?? false,
            ]
            func text(_ value: JSONValue?) -> String { value.map { $0.stringValue ?? $0.jsonText } ?? "" }
            switch field.kind {
            case .display:
                item["is_display"] = true
                item["text"] = field.text ?? ""
            case .summary:
                item["is_summary"] = true
                item["items"] = (field.items ?? []).map { ["label": $0.label, "value": $0.value] }
            case .choice, .multiChoice:
                let choices = field.choices ?? []
                if choices.isEmpty {
                    item["is_empty_choice"] = true
                    item["if_empty"] = field.nothingToChoose ?? "Nothing to choose from."
                    break
                }
                let chosen: Set<String>
                if let posted {
                    chosen = Set(posted)
                } else if case .array(let values) = field.defaultValue {
                    chosen = Set(values.map { text($0) })
                } else {
                    chosen = field.defaultValue.map { [text($0)] } ?? []
                }
                item["has_selection"] = choices.contains { chosen.contains(text($0.value)) }
                if field.kind != .multiChoice && choices.count > radioLimit {
                    item["is_select"] = true
                    // Written here, not by the template: a list of 10,000 nodes is 10,000
                    // options, which the template engine renders a hundred times slower.
                    var offered = choices
                    item["narrowable"] = false
                    if choices.count > listLimit {
                        let find = values[findKey(field.name)]?.first?.trimmingCharacters(in: .whitespaces) ?? ""
                        let matching =
                            find.isEmpty
                            ? choices
                            : choices.filter {
                                $0.label.localizedCaseInsensitiveContains(find) || text($0.value).localizedCaseInsensitiveContains(find)
                            }
                        // What is chosen stays offered, whatever the find box says.
                        offered = choices.filter { chosen.contains(text($0.value)) } + matching.filter { !chosen.contains(text($0.value)) }
                        offered = Array(offered.prefix(listLimit))
                        item["narrowable"] = true
                        item["find_key"] = findKey(field.name)
                        item["find"] = find
                        let narrowed: String
                        if matching.isEmpty {
                            narrowed = "nothing matches '\(find)' among \(choices.count): try another part of a name"
                        } else if matching.count > offered.count || !find.isEmpty {
                            let which = find.isEmpty ? "" : "matching '\(find)' "
                            narrowed =
                                "\(offered.count) of \(matching.count) \(which)shown, \(choices.count) in all: "
                                + "type part of a name and Find to narrow"
                        } else {
                            narrowed = ""
                        }
                        item["narrowed"] = narrowed
                    }
                    var options = ""
                    options.reserveCapacity(offered.count * 64)
                    for choice in offered {
                        let value = text(choice.value)
                        options += "<option value=\"\(Markup.escaped(value))\"\(chosen.contains(value) ? " selected" : "")>"
                        options += Markup.escaped(choice.label) + "</option>"
                    }
                    item["options_html"] = options
                } else {
                    item["choices"] = choices.map { ["value": text($0.value), "label": $0.label, "selected": chosen.contains(text($0.value))] }
                    item[field.kind == .multiChoice ? "is_multi" : "is_radio"] = true
                }
            case .text:
                item["is_text"] = true
                item["multiline"] = field.multiline == true
                item["value"] = posted?.first ?? text(field.defaultValue)
            case .integer:
                item["is_integer"] = true
                item["value"] = posted?.first ?? text(field.defaultValue)
            case .boolean:
                item["is_boolean"] = true
                item["checked"] = posted.map { $0.last == "true" } ?? (field.defaultValue?.boolValue ?? false)
            case .accept:
                item["is_accept"] = true
                item["checked"] = posted?.last == "true"
            }
            return item
        }
    }

    /// Answers that cannot even be typed (a number that is no number, a choice that is not
    /// offered), one problem per field, named as the form's own checks name theirs.
    struct Problems: Error {
        var message: String
        var problems: [FieldProblem]
    }

    /// The posted values as the answer the form checks: numbers as numbers, a choice as the
    /// value it stands for; left out where nothing was given, so that defaults apply and a
    /// required field says so.
    static func answers(_ form: Form, from posted: WebFormData) throws -> State {
        var answer = State()
        var problems: [FieldProblem] = []
        for field in form.answerableFields {
            let values = posted.all(field.name)
            func problem(_ reason: String) { problems.append(FieldProblem(field: "\(form.name).\(field.name)", reason: reason)) }
            switch field.kind {
            case .choice:
                guard let text = values.last, !text.isEmpty else { continue }
                guard let choice = (field.choices ?? []).first(where: { ($0.value.stringValue ?? $0.value.jsonText) == text }) else {
                    problem("'\(text)' is not one of the choices offered")
                    continue
                }
                answer[raw: field.name] = choice.value
            case .multiChoice:
                var chosen: [JSONValue] = []
                for text in values where !text.isEmpty {
                    guard let choice = (field.choices ?? []).first(where: { ($0.value.stringValue ?? $0.value.jsonText) == text }) else {
                        problem("'\(text)' is not one of the choices offered")
                        continue
                    }
                    chosen.append(choice.value)
                }
                answer[raw: field.name] = .array(chosen)
            case .integer:
                guard let text = values.last?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { continue }
                guard let number = Int(text) else {
                    problem("'\(text)' is not a whole number")
                    continue
                }
                answer[raw: field.name] = .int(number)
            case .boolean:
                guard let text = values.last else { continue }
                answer[raw: field.name] = .bool(text == "true")
            case .accept:
                if values.last == "true" { answer[raw: field.name] = .bool(true) }
            case .text:
                guard let text = values.last else { continue }
                // An optional field left empty takes its default; a required one says it must not be empty.
                if text.trimmingCharacters(in: .whitespaces).isEmpty && !field.isRequired { continue }
                answer[raw: field.name] = .string(text)
            case .display, .summary:
                continue
            }
        }
        guard problems.isEmpty else { throw Problems(message: "the answers to '\(form.title)' are not valid", problems: problems) }
        return answer
    }

    /// An answer as the strings a form posts, to show a page again with what was answered.
    static func posted(_ answer: State) -> [String: [String]] {
        var values: [String: [String]] = [:]
        for key in answer.keys {
            switch answer[raw: key] {
            case .array(let items)?: values[key] = items.map { $0.stringValue ?? $0.jsonText }
            case .bool(let flag)?: values[key] = [flag ? "true" : "false"]
            case let value?: values[key] = [value.stringValue ?? value.jsonText]
            case nil: break
            }
        }
        return values
    }
}
