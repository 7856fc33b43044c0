import Foundation
import Persistence
import Testing
import WorkflowEngine

/// The NetBox ledger as `wf process show`, `wf subscription history` and `wf audit --netbox`
/// show it: one line per write. The test target does not link `wf` (an executable), so the
/// lines are checked through the binary, from entries written straight into its database.
@Suite(.tags(.cli))
struct LedgerViewTests {
    /// A process with one committed step row, `update_circuit`, and the writes to show.
    struct Seeded {
        var processID: ProcessID
        var committed: UUID
        var lost: UUID
    }

    static let released = Date(timeIntervalSince1970: 1_800_000_000)

    private func seed(_ wf: WFRunner, _ writes: (_ seeded: Seeded) -> [LedgerEntry]) async throws -> Seeded {
        #expect(try wf.run(["db", "migrate"]).status == 0)
        let store = try wf.store()
        let id = ProcessID(UUID())
        let now = Date()
        let state: State = ["process_id": .string(id.description), "workflow_name": "modify_circuit", "workflow_target": "modify"]
        try await store.insertProcess(
            ProcessRecord(
                processID: id, workflowName: "modify_circuit", workflowVersion: "0", isTask: false, status: .suspended, lastStep: "update_circuit",
                state: state, createdBy: "alice", startedAt: now, lastModifiedAt: now),
            input: InputStateRecord(processID: id, input: state, kind: .initialState, createdBy: "alice", inputTime: now))
        let row = StepRecord(
            stepID: UUID(), processID: id, key: "update_circuit", status: .abort, state: state, createdBy: "bob", startedAt: now, completedAt: now,
            failedReason: "stopped by hand")
        _ = try await store.abort(id, reason: "stopped by hand", log: row)
        let seeded = Seeded(processID: id, committed: row.stepID, lost: UUID())
        for entry in writes(seeded) { #expect(try await store.recordIntent(entry, fence: nil)) }
        return seeded
    }

    private func entry(
        _ seeded: Seeded, _ action: LedgerEntry.Action, _ type: String, id: Int?, label: String?, sent: JSONValue = [:],
        replaced: JSONValue? = nil, outcome: LedgerEntry.Outcome = .done, error: String? = nil, releasedAt: Date? = nil, lost: Bool = false
    ) -> LedgerEntry {
        LedgerEntry(
            entryID: UUID(), processID: seeded.processID, step: "update_circuit", execution: lost ? seeded.lost : seeded.committed,
            attempt: lost ? 2 : 1, runner: lost ? "host-b:77:dead" : "host-a:12:live", subscriptionID: nil, action: action,
            objectType: type, objectID: id, label: label, sent: sent, replaced: replaced, outcome: outcome, error: error,
            releasedAt: releasedAt, startedAt: Date())
    }

    @Test func eachWriteIsOneLineUnderTheStepThatMadeIt() async throws {
        let wf = try WFRunner()
        defer { wf.remove() }
        let seeded = try await seed(wf) { seeded in
            [
                entry(seeded, .create, "ipam.prefix", id: 5, label: "10.0.0.0/31"),
                entry(
                    seeded, .update, "dcim.cable", id: 1, label: "cable 1", sent: ["status": "connected", "description": "to loc2"],
                    replaced: ["status": "planned", "description": "to loc2"]),
                entry(seeded, .update, "dcim.device", id: 3, label: "loc1-core", sent: ["status": "active"], replaced: ["status": "planned"]),
                entry(seeded, .update, "dcim.interface", id: 9, label: "Ethernet1", sent: ["mtu": 9000], replaced: ["mtu": 9000]),
                entry(seeded, .delete, "ipam.ip-address", id: 7, label: "10.0.0.1/31"),
                entry(seeded, .create, "ipam.prefix", id: nil, label: "10.0.0.2/31", outcome: .pending),
                entry(seeded, .create, "dcim.cable", id: nil, label: "cable to loc2", outcome: .failed, error: "interface 4 is occupied"),
                entry(seeded, .create, "ipam.ip-address", id: 8, label: "10.0.0.4/31", outcome: .done, releasedAt: Self.released, lost: true),
            ]
        }
        let shown = try wf.run(["process", "show", String(seeded.processID.description.prefix(8))])
        #expect(shown.status == 0, "\(shown.stderr)")
        for line in [
            "NetBox + ipam.prefix 10.0.0.0/31 (id 5)",
            "NetBox ~ dcim.cable 1 status planned -> connected",
            "NetBox ~ dcim.device 3 (loc1-core) status planned -> active",
            "NetBox ~ dcim.interface 9 (Ethernet1) (no change)",
            "NetBox - ipam.ip-address 10.0.0.1/31 (id 7)",
            "NetBox ? + ipam.prefix 10.0.0.2/31 (answer never came)",
            "NetBox + dcim.cable cable to loc2 (failed: interface 4 is occupied)",
            "NetBox writes of runs that never committed",
            "step update_circuit, attempt 2, runner host-b:77:dead",
            "+ ipam.ip-address 10.0.0.4/31 (id 8) (released 2027-01-15 08:00:00.000: its run lost the lease or was replaced)",
        ] {
            #expect(shown.stdout.contains(line), "missing '\(line)' in:\n\(shown.stdout)")
        }
        #expect(!shown.stdout.contains("description to loc2 -> to loc2"), "an unchanged field is not listed")

        let json = try #require(try wf.json(["process", "show", seeded.processID.description]).objectValue)
        let step = try #require(json["steps"]?.arrayValue?.last?.objectValue)
        let changes = try #require(step["netbox_changes"]?.arrayValue)
        #expect(changes.count == 7)
        #expect(changes.first?.objectValue?["object_type"] == "ipam.prefix")
        #expect(changes.first?.objectValue?["object_id"] == 5)
        #expect(changes.first?.objectValue?["outcome"] == "done")
        #expect(changes.dropFirst().first?.objectValue?["replaced"]?.objectValue?["status"] == "planned")
        let uncommitted = try #require(json["uncommitted_netbox_changes"]?.arrayValue)
        #expect(uncommitted.count == 1)
        #expect(uncommitted.first?.objectValue?["runner"] == "host-b:77:dead")
        #expect(uncommitted.first?.objectValue?["released_at"]?.stringValue?.hasPrefix("2027-01-15T08:00:00") == true)
    }

    @Test func auditOfOneNetBoxObjectListsEveryProcessThatTouchedIt() async throws {
        let wf = try WFRunner()
        defer { wf.remove() }
        let seeded = try await seed(wf) { seeded in
            [
                entry(seeded, .create, "dcim.cable", id: 1, label: "cable 1", sent: ["status": "planned"]),
                entry(seeded, .update, "dcim.cable", id: 1, label: "cable 1", sent: ["status": "connected"], replaced: ["status": "planned"]),
                entry(seeded, .create, "dcim.cable", id: 2, label: "cable 2"),
            ]
        }
        let audit = try wf.run(["audit", "--netbox", "dcim.cable:1"])
        #expect(audit.status == 0, "\(audit.stderr)")
        let short = String(seeded.processID.description.prefix(8))
        let lines = audit.stdout.split(separator: "\n")
        #expect(lines.count == 3, "a header and two writes: \(audit.stdout)")
        #expect(lines.dropFirst().allSatisfy { $0.contains(short) && $0.contains("modify_circuit") && $0.contains("update_circuit") })
        #expect(lines.dropFirst().allSatisfy { $0.contains(" bob ") }, "the user of the step run that wrote")
        #expect(audit.stdout.contains("+ dcim.cable 1\n"), "a label that says no more than the id is left out: \(audit.stdout)")
        #expect(audit.stdout.contains("~ dcim.cable 1 status planned -> connected"))
        #expect(!audit.stdout.contains("cable 2"))

        let json = try #require(try wf.json(["audit", "--netbox", "dcim.cable:1"]).arrayValue)
        #expect(json.count == 2)
        #expect(json.first?.objectValue?["process_id"] == .string(seeded.processID.description))
        #expect(json.first?.objectValue?["workflow"] == "modify_circuit")

        let untouched = try wf.run(["audit", "--netbox", "dcim.cable:99"])
        #expect(untouched.status == 0)
        #expect(untouched.stdout.contains("nothing recorded for dcim.cable:99"), "\(untouched.stdout)")
    }

    @Test(arguments: [
        ("cable", "has no ':ID'"), ("dcim.cable:x", "'x' is not an object id"), ("cable:3", "'cable' is not a NetBox model name"),
        ("dcim.cable:", "'' is not an object id"),
    ])
    func auditRefusesAMalformedObjectReference(_ argument: String, _ problem: String) throws {
        let wf = try WFRunner()
        defer { wf.remove() }
        let refused = try wf.run(["audit", "--netbox", argument])
        #expect(refused.status == 64)
        #expect(refused.stderr.contains(problem), "\(refused.stderr)")
        #expect(refused.stderr.contains("expected TYPE:ID such as dcim.cable:12"))
    }

    /// A node created for real, on NetBoxLite: its loopbacks and the device's changes are in
    /// the step log, and the device's audit names the process.
    @Test func createdNodeShowsItsNetBoxWrites() throws {
        let wf = try WFRunner()
        defer { wf.remove() }
        let started = try #require(try wf.json(["start", "create_node", "--input", "-"], stdin: #"{"device_id": 1}"#).objectValue)
        let id = try #require(started["process_id"]?.stringValue)
        let resumed = try wf.json(["resume", String(id.prefix(8)), "--input", "-"], stdin: #"{"confirmed": true}"#)
        #expect(resumed.objectValue?["last_status"] == "completed", "\(resumed)")

        let shown = try wf.run(["process", "show", String(id.prefix(8))])
        #expect(shown.status == 0, "\(shown.stderr)")
        #expect(shown.stdout.contains("NetBox + ipam.ip-address "), "\(shown.stdout)")
        #expect(shown.stdout.contains("NetBox ~ dcim.device 1 ("), "\(shown.stdout)")
        #expect(shown.stdout.contains("status planned -> active"), "\(shown.stdout)")

        let audit = try wf.run(["audit", "--netbox", "dcim.device:1"])
        #expect(audit.status == 0, "\(audit.stderr)")
        #expect(audit.stdout.contains(String(id.prefix(8))), "\(audit.stdout)")
        #expect(audit.stdout.contains("create_node"))
        #expect(audit.stdout.contains("update_node_in_netbox"))
    }
}
