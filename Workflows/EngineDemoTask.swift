import Foundation
import WorkflowEngine

/// A small system task that shows the engine's moves without any network: it prepares a
/// change, works for a while (long enough to kill it and watch `wf recover` take over),
/// suspends until a person confirms, and records who confirmed.
public enum EngineDemoTask: Workflow {
    public static let name: WorkflowName = "task_engine_demo"
    public static let target = WorkflowTarget.system
    public static let description = "Engine demo: prepare, work, ask for confirmation, record it"

    public static var initialForm: FormFlow? {
        FormFlow(
            Form(
                name: "demo",
                title: "Engine demo",
                fields: [
                    .text("message", "What to say when the change is confirmed", default: "hello from wf", length: 1...200),
                    .integer("work_seconds", "How long the work step takes, in seconds", default: 0, range: 0...3600),
                ]))
    }

    public static var steps: StepList {
        begin
            >>> prepareChange
            >>> simulateWork
            >>> confirmChange
            >>> recordConfirmation
    }

    static let message = StateKey<String>("message")
    static let workSeconds = StateKey<Int>("work_seconds")
    static let summary = StateKey<String>("change_summary")
    static let confirmed = StateKey<Bool>("confirmed")

    static let prepareChange = Step.updating("prepare_change") { context in
        let seconds = try context[workSeconds]
        guard (0...3600).contains(seconds) else {
            throw StepError("work_seconds must be between 0 and 3600, got \(seconds)")
        }
        return try State().setting(summary, "say '\(try context[message])' after \(seconds) s of work")
    }

    /// Stands in for a slow deploy. Sleeps through the context so tests control time.
    static let simulateWork = Step.updating("simulate_work") { context in
        let seconds = try context[workSeconds]
        if seconds > 0 {
            context.logger.info("working", metadata: ["seconds": "\(seconds)"])
            try await context.sleep(for: .seconds(seconds))
        }
        return ["worked_seconds": .int(seconds)]
    }

    static let confirmChange = Step.inputStep("confirm_change") { context in
        Form(
            name: "confirm",
            title: "Confirm the change",
            fields: [
                .display("summary", "The change", text: try context[summary]),
                .accept("confirmed", "I confirm this change"),
            ])
    }

    static let recordConfirmation = Step.updating("record_confirmation") { context in
        guard try context[confirmed] else { throw StepError("the change was not confirmed") }
        return [
            "confirmed_by": .string(context.user),
            "confirmed_at": .string(ISO8601DateFormatter().string(from: context.now())),
            "result": .string(try context[message]),
        ]
    }
}
