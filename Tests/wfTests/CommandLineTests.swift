import Foundation
import Persistence
import Testing
import WorkflowEngine

/// `wf` as an operator meets it: answers, errors, exit codes and JSON.
@Suite(.tags(.cli))
struct CommandLineTests {
    @Test func demoRunsTheTaskToCompletionAndPrintsItsStepLog() throws {
        let wf = try WFRunner()
        defer { wf.remove() }
        let result = try wf.run(["demo"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("suspended at step confirm_change"))
        #expect(result.stdout.contains("completed"))
        for step in ["prepare_change", "simulate_work", "confirm_change", "record_confirmation", "done"] {
            #expect(result.stdout.contains(step))
        }
        let listed = try wf.json(["processes"])
        #expect(listed.arrayValue?.first?.objectValue?["last_status"] == "completed")
    }

    @Test func startAndResumeWithScriptedInputCompleteTheProcess() throws {
        let wf = try WFRunner()
        defer { wf.remove() }
        let started = try wf.json(["start", "task_engine_demo", "--input", "-"], stdin: #"[{"message": "hi"}, {"work_seconds": 0}]"#)
        let object = try #require(started.objectValue)
        #expect(object["last_status"] == "suspended")
        #expect(object["last_step"] == "confirm_change")
        #expect(object["form"]?.objectValue?["title"] == "Confirm the change")
        let id = try #require(object["process_id"]?.stringValue)

        let resumed = try wf.json(["resume", String(id.prefix(6)), "--input", "-"], stdin: #"{"confirmed": true}"#)
        #expect(resumed.objectValue?["last_status"] == "completed")
        #expect(resumed.objectValue?["state"]?.objectValue?["result"] == "hi")

        let shown = try #require(try wf.json(["process", "show", id]).objectValue)
        for key in ["process_id", "workflow", "workflow_version", "last_status", "last_step", "steps", "input_states", "created_by"] {
            #expect(shown[key] != nil, "process show --json lacks \(key)")
        }
        #expect(shown["code_changed"] == false)
        let steps = try #require(shown["steps"]?.arrayValue)
        #expect(
            steps.compactMap { $0.objectValue?["name"]?.stringValue } == [
                "prepare_change", "simulate_work", "confirm_change", "confirm_change", "record_confirmation", "done",
            ])
        let recordStep = try #require(steps[4].objectValue)
        #expect(recordStep["changes"]?.objectValue?["added"]?.objectValue?["confirmed_by"] == "tester")
        let inputs = try #require(shown["input_states"]?.arrayValue)
        #expect(inputs.compactMap { $0.objectValue?["input_type"]?.stringValue } == ["initial_state", "user_input"])
        #expect(inputs.allSatisfy { $0.objectValue?["created_by"] == "tester" })
    }

    @Test func invalidInitialInputExitsNonZeroNamingTheFieldAndStoresNothing() throws {
        let wf = try WFRunner()
        defer { wf.remove() }
        let result = try wf.run(["start", "task_engine_demo", "--input", "-"], stdin: #"{"work_seconds": "soon", "colour": "red"}"#)
        #expect(result.status == 1)
        #expect(result.stderr.contains("work_seconds: expected an integer, got a string"))
        #expect(result.stderr.contains("colour: is not a field of this form"))
        #expect(try wf.json(["processes"]).arrayValue?.isEmpty == true)
    }

    @Test func startWithoutTerminalOrInputFailsAtOnceSayingHowToAnswer() throws {
        let wf = try WFRunner()
        defer { wf.remove() }
        let result = try wf.run(["start", "task_engine_demo"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("--input"))
        #expect(result.stderr.contains("work_seconds"))
        #expect(try wf.json(["processes"]).arrayValue?.isEmpty == true)
    }

    @Test func invalidResumeInputKeepsTheProcessSuspendedAndStoresNothing() async throws {
        let wf = try WFRunner()
        defer { wf.remove() }
        let started = try wf.json(["start", "task_engine_demo", "--input", "-"], stdin: "{}")
        let id = try #require(started.objectValue?["process_id"]?.stringValue)
        let store = try wf.store()
        let processID = try #require(ProcessID(id))
        let stepsBefore = try await store.steps(of: processID)
        let inputsBefore = try await store.inputStates(of: processID)

        let refused = try wf.run(["resume", id, "--input", "-"], stdin: #"{"confirmed": false}"#)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("confirmed: must be accepted"))
        #expect(try await store.process(processID)?.status == .suspended)
        #expect(try await store.steps(of: processID) == stepsBefore)
        #expect(try await store.inputStates(of: processID) == inputsBefore)
    }

    @Test func failedProcessExitsWithThreeAndRetryOfACompletedOneIsRefused() throws {
        let wf = try WFRunner()
        defer { wf.remove() }
        let failed = try wf.run(["start", "task_engine_demo", "--input", "-"], stdin: #"{"work_seconds": 99999}"#)
        #expect(failed.status == 3)
        #expect(failed.stdout.contains("failed at step prepare_change"))
        #expect(failed.stdout.contains("work_seconds must be between 0 and 3600"))

        let listed = try wf.json(["processes", "--status", "failed"])
        let id = try #require(listed.arrayValue?.first?.objectValue?["process_id"]?.stringValue)
        let aborted = try wf.run(["abort", id, "--reason", "typo in the input"])
        #expect(aborted.status == 0)
        #expect(aborted.stdout.contains("aborted"))
        let retried = try wf.run(["retry", id])
        #expect(retried.status == 1)
        #expect(retried.stderr.contains("cannot retry process \(id): it is aborted"))
    }

    @Test func unknownWorkflowAndUnknownProcessAreNamed() throws {
        let wf = try WFRunner()
        defer { wf.remove() }
        let workflow = try wf.run(["start", "create_nod", "--input", "-"], stdin: "{}")
        #expect(workflow.status == 1)
        #expect(workflow.stderr.contains("unknown workflow 'create_nod'; known: task_engine_demo"))
        let process = try wf.run(["process", "show", "abcdef"])
        #expect(process.status == 1)
        #expect(process.stderr.contains("no process id starts with 'abcdef'"))
        let filter = try wf.run(["processes", "--status", "done"])
        #expect(filter.status == 64)
        #expect(filter.stderr.contains("unknown status 'done'"))
    }

    @Test func migrateTwiceIsSafeAndStatusNamesTheDatabase() throws {
        let wf = try WFRunner()
        defer { wf.remove() }
        let first = try wf.run(["db", "migrate"])
        #expect(first.stdout.contains("applied 0001_engine"))
        let second = try wf.run(["db", "migrate"])
        #expect(second.status == 0)
        #expect(second.stdout.contains("nothing to apply"))
        let status = try wf.json(["db", "status"])
        #expect(status.objectValue?["database"]?.stringValue == wf.database)
        #expect(status.objectValue?["migrations"]?.arrayValue?.first?.objectValue?["state"] == "applied")
    }

    @Test func workflowsListsTheBuiltInTaskWithItsSteps() throws {
        let wf = try WFRunner()
        defer { wf.remove() }
        let listed = try #require(try wf.json(["workflows"]).arrayValue)
        let demo = try #require(listed.first { $0.objectValue?["name"] == "task_engine_demo" }?.objectValue)
        #expect(demo["target"] == "system")
        #expect(demo["steps"]?.arrayValue?.count == 5)
    }
}
