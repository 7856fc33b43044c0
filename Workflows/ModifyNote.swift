import Foundation
import WorkflowEngine

/// Changes the free-text note of any subscription, as orchestrator-core's `modify_note`:
/// the smallest modify there is, with the lock, the version and the audit of every modify.
public enum ModifyNote: Workflow {
    public static let name: WorkflowName = "modify_note"

    public static let target = WorkflowTarget.modify
    public static let description = "Change the note of a subscription"
    public static var initialForm: FormFlow? {
        FormFlow(
            Form(name: "note", title: "Note", fields: [.text("note", "The new note (empty to clear it)", required: false, length: 0...2000)]))
    }
    public static var steps: StepList {
        StepList([updateNote])
    }

    static let updateNote = Step("update_note", retry: .never) { context in
        var model = try context.subscriptionModel()
        let note = context.state[raw: "note"]?.stringValue ?? ""
        model.note = note.isEmpty ? nil : note
        return .success(try context.save(model))
    }
}
