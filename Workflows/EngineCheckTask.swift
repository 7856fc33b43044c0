import Foundation
import WorkflowEngine

/// A system task that checks the engine and its workers end to end with no network: five
/// steps that each record which `wf` process ran them, optionally taking a while. Enqueue a
/// few with `wf start task_engine_check --async` to see that the workers pick work up;
/// the scale-out test and `wf bench --workers` run it by the thousand.
public enum EngineCheckTask: Workflow {
    public static let name: WorkflowName = "task_engine_check"
    public static let target = WorkflowTarget.system
    public static let description = "Engine check: five steps that record which runner ran them"

    public static var initialForm: FormFlow? {
        FormFlow(
            Form(
                name: "check",
                title: "Engine check",
                fields: [
                    .integer("step_millis", "How long each step takes, in milliseconds", default: 0, range: 0...60_000)
                ]))
    }

    public static var steps: StepList {
        begin
            >>> checkStep(1)
            >>> checkStep(2)
            >>> checkStep(3)
            >>> checkStep(4)
            >>> checkStep(5)
    }

    static let stepMillis = StateKey<Int>("step_millis")

    /// The runner a step ran on: host and process id.
    static let runner = "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)"

    static func checkStep(_ number: Int) -> Step {
        // Pure: a step of the check only records and waits, so a run of them commits once.
        Step.updating(StepKey("check_\(number)"), pure: true) { context in
            let millis = try context[stepMillis]
            if millis > 0 { try await context.sleep(for: .milliseconds(millis)) }
            return ["ran_\(number)_on": .string(runner)]
        }
    }
}
