import Foundation
import Persistence
import Testing
import WorkflowEngine

/// `wf` as an operator meets it: answers, errors, exit codes and JSON.
@Suite(.tags(.cli))
struct CommandLineTests {
    @Test func demoTellsTheWorkshopStoryAndCanRunAgain() throws {
        let wf = try WFRunner()
        defer { wf.remove() }
        let result = try wf.run(["demo"])
        #expect(result.status == 0, "\(result.stderr)")
        for heading in [
            "== wf start create_node  (device loc1-core) ==", "== wf start create_node  (device loc2-core) ==",
            "== wf start create_circuit  (loc1-core <--> loc2-core) ==", "== wf start modify_circuit", "== NetBox now ==",
            "== wf subscription history",
        ] {
            #expect(result.stdout.contains(heading), "missing \(heading)")
        }
        #expect(result.stdout.contains("(the demo confirms"))
        #expect(result.stdout.contains("cable 1: connected"))
        // The history shows what was chosen by its label, not only by its id.
        #expect(result.stdout.contains("node_a: loc1-core ("), "history inputs carry the chosen labels")
        #expect(result.stdout.contains("port_a: ethernet-1/1 (1)"))
        #expect(result.stdout.contains("this run enrolled loc1-core and loc2-core"))
        let subscriptions = try #require(try wf.json(["subscriptions", "--status", "active"]).arrayValue)
        #expect(subscriptions.count == 3)
        #expect(subscriptions.allSatisfy { $0.objectValue?["insync"] == true })

        let again = try wf.run(["demo"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("(device loc3-core)"), "a second run enrols the next routers")
        #expect(try wf.json(["subscriptions", "--status", "active"]).arrayValue?.count == 6)
    }

    @Test func startAndResumeWithScriptedInputCompleteTheProcess() throws {
        let wf = try WFRunner()
        defer { wf.remove() }
        let started = try wf.json(["start", "task_engine_demo", "--input", "-"], stdin: #"[{"message": "hi", "work_seconds": 0}]"#)
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

    @Test func startWithoutTerminalOrInputFailsAtOnceSayingHowToAnswer() async throws {
        let wf = try WFRunner()
        defer { wf.remove() }
        // Standard input stays open (a pipe, not a terminal): `wf` must not wait on it.
        let child = try wf.launch(["start", "task_engine_demo"], keepStdinOpen: true)
        let exited = try await waitFor("wf start to give up without a terminal", timeout: 20) {
            child.process.isRunning ? nil : true
        }
        #expect(exited)
        if child.process.isRunning { child.process.terminate() }
        let result = child.finish()
        #expect(result.status == 1)
        #expect(result.stderr.contains("--input"))
        #expect(result.stderr.contains("Page 1 'demo': message (text), work_seconds (integer)"))
        #expect(result.stderr.contains("wf form task_engine_demo --schema"))
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

    @Test func failedProcessExitsWithThreeAndRetryOfAnAbortedOneIsRefused() async throws {
        let wf = try WFRunner()
        defer { wf.remove() }
        #expect(try wf.run(["db", "migrate"]).status == 0)
        #expect(try wf.run(["workflows"]).status == 0)
        // A process whose state the form would have refused (written straight into the
        // database), stopped as failed at its first step: retrying it fails again.
        let store = try wf.store()
        let id = ProcessID(UUID())
        let now = Date()
        let state: State = [
            "message": "hi", "work_seconds": 99999, "process_id": .string(id.description), "workflow_name": "task_engine_demo",
            "workflow_target": "system", "reporter": "tester",
        ]
        try await store.insertProcess(
            ProcessRecord(
                processID: id, workflowName: "task_engine_demo", workflowVersion: "0", isTask: true, status: .failed,
                lastStep: "prepare_change", state: state, failedReason: "earlier", createdBy: "tester", startedAt: now, lastModifiedAt: now),
            input: InputStateRecord(processID: id, input: state, kind: .initialState, createdBy: "tester", inputTime: now))

        let failed = try wf.run(["retry", String(id.description.prefix(8))])
        #expect(failed.status == 3)
        #expect(failed.stdout.contains("failed at step prepare_change"))
        #expect(failed.stdout.contains("work_seconds must be between 0 and 3600"))

        let aborted = try wf.run(["abort", id.description, "--reason", "typo in the input"])
        #expect(aborted.status == 0)
        #expect(aborted.stdout.contains("aborted"))
        let retried = try wf.run(["retry", id.description])
        #expect(retried.status == 1)
        #expect(retried.stderr.contains("cannot retry process \(id): it is aborted"))
    }

    @Test func answersOutOfRangeAreRefusedByTheForm() throws {
        let wf = try WFRunner()
        defer { wf.remove() }
        let result = try wf.run(["start", "task_engine_demo", "--input", "-"], stdin: #"{"work_seconds": 99999}"#)
        #expect(result.status == 1)
        #expect(result.stderr.contains("demo.work_seconds: must be at most 3600, got 99999"))
        #expect(try wf.json(["processes"]).arrayValue?.isEmpty == true)
    }

    @Test func formPrintsEachPageAndItsJSONSchema() throws {
        let wf = try WFRunner()
        defer { wf.remove() }
        let text = try wf.run(["form", "task_engine_demo"])
        #expect(text.status == 0)
        #expect(text.stdout.contains("page 1: Engine demo (demo)"))
        #expect(text.stdout.contains("work_seconds (integer): How long the work step takes, in seconds [default 0] range 0...3600"))
        let schema = try #require(try wf.json(["form", "task_engine_demo", "--schema"], jsonFlag: false).objectValue)
        let page = try #require(schema["pages"]?.arrayValue?.first?.objectValue)
        #expect(page["type"] == "object")
        #expect(page["x-page"] == "demo")
        let seconds = try #require(page["properties"]?.objectValue?["work_seconds"]?.objectValue)
        #expect(seconds["type"] == "integer")
        #expect(seconds["maximum"] == 3600)
    }

    @Test func suspendedProcessShowsItsFormAsJSONSchema() throws {
        let wf = try WFRunner()
        defer { wf.remove() }
        let started = try wf.json(["start", "task_engine_demo", "--input", "-"], stdin: "{}")
        let id = try #require(started.objectValue?["process_id"]?.stringValue)
        let shown = try #require(try wf.json(["process", "show", id]).objectValue)
        let schema = try #require(shown["form_schema"]?.objectValue)
        #expect(schema["title"] == "Confirm the change")
        #expect(schema["required"] == ["confirmed"])
        let summary = try #require(schema["properties"]?.objectValue?["summary"]?.objectValue)
        #expect(summary["readOnly"] == true)
        #expect(schema["properties"]?.objectValue?["confirmed"]?.objectValue?["const"] == true)
        let text = try wf.run(["process", "show", id])
        #expect(text.stdout.contains("waiting   for input: Confirm the change"))
        #expect(text.stdout.contains("say 'hello from wf' after 0 s of work"))
    }

    @Test func unknownWorkflowAndUnknownProcessAreNamed() throws {
        let wf = try WFRunner()
        defer { wf.remove() }
        let workflow = try wf.run(["start", "create_nod", "--input", "-"], stdin: "{}")
        #expect(workflow.status == 1)
        #expect(workflow.stderr.contains("unknown workflow 'create_nod'; known: "))
        #expect(workflow.stderr.contains("create_node, "), "the known workflows are listed")
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

    @Test func anEmptyAuditSaysSoWithItsFilters() throws {
        let wf = try WFRunner()
        defer { wf.remove() }
        let result = try wf.run(["audit", "--user", "nobody", "--since", "2h"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("nothing recorded by nobody since "), "\(result.stdout)")
    }
}
