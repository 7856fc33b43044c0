import Foundation
import Testing
import WorkflowEngine
import WorkflowTestKit

/// A valid answer to the lab circuit form, one object per page: rt1 xe-0/0/1 to rt2 et-1/0/0.
private let validPages: [State] = [["node_a": 1], ["port_a": "xe-0/0/1"], ["node_b": 2], ["port_b": "et-1/0/0"]]
private let validMerged: State = ["node_a": 1, "port_a": "xe-0/0/1", "node_b": 2, "port_b": "et-1/0/0"]
/// What the form accepts for them: the description takes its default.
private let acceptedAnswers: State = ["node_a": 1, "port_a": "xe-0/0/1", "node_b": 2, "port_b": "et-1/0/0", "description": "lab circuit"]

/// The `page.field: reason` lines of the `.invalidInput` error `body` throws.
private func problems(_ body: () async throws -> Void) async -> [String] {
    let error = await #expect(throws: WorkflowError.self) { try await body() }
    #expect(error?.code == .invalidInput)
    return error?.problems.map(\.description) ?? []
}

@Suite("Form flows: computed pages, page checks, sessions", .storeSlots)
struct FormFlowTests {
    @Test func portPageListsExactlyThePortsOfTheChosenANode() async throws {
        let inventory = LabInventory()
        let session = FormSession(inventory.circuitForm)

        let nodePage = try await session.page(0, answers: State())
        let portsOfRT2 = try await session.page(1, answers: ["node_a": 2])
        let portsOfRT1 = try await session.page(1, answers: ["node_a": 1])

        #expect(nodePage.name == "a_side")
        #expect(nodePage.fields.map(\.name) == ["node_a"])
        #expect(nodePage.fields[0].choices == [Choice(1, label: "rt1.lab"), Choice(2, label: "rt2.lab"), Choice(3, label: "rt3.lab")])
        #expect(portsOfRT2.name == "a_port")
        #expect(portsOfRT2.fields.map(\.name) == ["port_a"])
        #expect(portsOfRT2.fields[0].choices?.map(\.value) == ["et-1/0/0", "et-1/0/1"])
        #expect(portsOfRT1.fields[0].choices?.map(\.value) == ["xe-0/0/0", "xe-0/0/1", "xe-0/0/2"])
    }

    @Test func bSidePageRefusesTheANode() async throws {
        let session = FormSession(LabInventory().circuitForm)
        let bSide = try await session.page(2, answers: ["node_a": 1, "port_a": "xe-0/0/0"])

        let refused = await problems {
            _ = try session.accept(2, form: bSide, answer: ["node_b": 1], earlier: ["node_a": 1, "port_a": "xe-0/0/0"])
        }
        let throughEvaluate = await problems {
            _ = try await session.evaluate(.pages([["node_a": 1], ["port_a": "xe-0/0/0"], ["node_b": 1], ["port_b": "xe-0/0/1"]]))
        }

        #expect(refused == ["b_side.node_b: cannot be the A-side node"])
        #expect(throughEvaluate == ["b_side.node_b: cannot be the A-side node"])
    }

    @Test func pagesAndMergedInputGiveTheSameAnswers() async throws {
        let inventory = LabInventory()

        let byPage = try await FormSession(inventory.circuitForm).evaluate(.pages(validPages))
        let merged = try await FormSession(inventory.circuitForm).evaluate(.merged(validMerged))

        #expect(byPage.map(\.form.name) == ["a_side", "a_port", "b_side", "b_port"])
        #expect(byPage.mergedAnswers == acceptedAnswers)
        #expect(merged.mergedAnswers == acceptedAnswers)
        #expect(byPage == merged, "the same pages with the same answers")
        #expect(byPage[3].answers == ["port_b": "et-1/0/0", "description": "lab circuit"])
    }

    @Test func invalidPageStopsEvaluationWithAllProblemsOfThatPage() async throws {
        let inventory = LabInventory()
        let session = FormSession(inventory.circuitForm)

        // The A-side port belongs to rt2, and the B side repeats the A node: only the A-port page is reported.
        let early = await problems {
            _ = try await session.evaluate(.merged(["node_a": 1, "port_a": "et-1/0/0", "node_b": 1, "port_b": "nope"]))
        }
        let last = await problems {
            _ = try await session.evaluate(
                .pages([["node_a": 1], ["port_a": "xe-0/0/1"], ["node_b": 3], ["port_b": "xe-0/0/0", "description": ""]]))
        }

        #expect(early == [#"a_port.port_a: "et-1/0/0" is not one of: xe-0/0/0, xe-0/0/1, xe-0/0/2"#])
        #expect(
            last == [#"b_port.port_b: "xe-0/0/0" is not one of: xe-0/1/0"#, "b_port.description: must be at least 1 characters long"])
    }

    @Test func extraPagesAreRefused() async throws {
        let refused = await problems {
            _ = try await FormSession(LabInventory().circuitForm).evaluate(.pages(validPages + [["colour": "red"]]))
        }
        #expect(refused == ["page 5: the form has only 4 page(s)"])
    }

    @Test func unknownFieldsAreRefusedInMergedAndPagedInput() async throws {
        let inventory = LabInventory()

        let merged = await problems {
            _ = try await FormSession(inventory.circuitForm).evaluate(.merged(validMerged.merging(["colour": "red"])))
        }
        let mergedWithInvalidLastPage = await problems {
            _ = try await FormSession(inventory.circuitForm).evaluate(.merged(validMerged.merging(["colour": "red", "port_b": "xe-0/0/0"])))
        }
        let paged = await problems {
            _ = try await FormSession(inventory.circuitForm).evaluate(.pages([["node_a": 1, "node_b": 2], ["port_a": "xe-0/0/1"]]))
        }

        #expect(merged == ["colour: is not a field of this form"])
        #expect(
            mergedWithInvalidLastPage == [
                #"b_port.port_b: "xe-0/0/0" is not one of: et-1/0/0, et-1/0/1"#, "colour: is not a field of this form",
            ])
        #expect(paged == ["a_side.node_b: is not a field of this page (fields: node_a)"])
    }

    @Test func computedChoicesAreFetchedOncePerSession() async throws {
        let inventory = LabInventory()
        let session = FormSession(inventory.circuitForm)

        _ = try await session.page(0, answers: State())
        _ = try await session.page(2, answers: ["node_a": 1, "port_a": "xe-0/0/0"])
        #expect(inventory.callCount == 1, "the nodes list serves both node pages")

        _ = try await session.evaluate(.pages(validPages))
        #expect(inventory.callCount == 3, "nodes once, ports of rt1, ports of rt2")
        #expect(session.fetchCount == 3)

        _ = try await session.evaluate(.merged(validMerged))
        _ = try await session.page(1, answers: ["node_a": 1])
        _ = try await session.evaluate(.merged(validMerged.merging(["port_a": "xe-0/0/2", "port_b": "et-1/0/1"])))
        #expect(inventory.callCount == 3, "pages built again with the same or other answers reuse what was fetched")
        #expect(session.fetchCount == 3)

        _ = try await session.evaluate(.merged(validMerged.merging(["node_b": 3, "port_b": "xe-0/1/0"])))
        #expect(inventory.callCount == 4, "only the ports of the newly chosen node are fetched")

        let another = FormSession(inventory.circuitForm)
        _ = try await another.evaluate(.pages(validPages))
        #expect(another.fetchCount == 3, "a new session fetches again")
        #expect(inventory.callCount == 7)
    }
}

@Suite("Form flows: starting and resuming through the engine", .storeSlots)
struct FormFlowEngineTests {
    @Test func startWithValidPagesStoresOneInitialInputStatePerPage() async throws {
        let inventory = LabInventory()
        let flow = inventory.circuitWorkflow
        let harness = try await Harness([flow])

        let outcome = try await harness.engine.start(flow.name, input: .pages(validPages), user: "alice")

        #expect(outcome.status == .completed)
        let inputs = try await harness.store.inputStates(of: outcome.processID)
        #expect(inputs.map(\.page) == ["a_side", "a_port", "b_side", "b_port"])
        #expect(inputs.map(\.kind) == Array(repeating: .initialState, count: 4))
        #expect(inputs.map(\.input) == [["node_a": 1], ["port_a": "xe-0/0/1"], ["node_b": 2], ["port_b": "et-1/0/0", "description": "lab circuit"]])
        #expect(inputs.allSatisfy { $0.createdBy == "alice" })
        let stored = try await harness.process(outcome.processID)
        for (key, value) in acceptedAnswers.values {
            #expect(stored.state[raw: key] == value, "\(key)")
        }
    }

    @Test func startWithMergedInputAlsoStoresOneInputStatePerPage() async throws {
        let flow = LabInventory().circuitWorkflow
        let harness = try await Harness([flow])

        let outcome = try await harness.engine.start(flow.name, input: .merged(validMerged), user: "alice")

        let inputs = try await harness.store.inputStates(of: outcome.processID)
        #expect(inputs.map(\.page) == ["a_side", "a_port", "b_side", "b_port"])
        #expect(inputs.map(\.input).reduce(State()) { $0.merging($1) } == acceptedAnswers)
    }

    @Test func startWithAnInvalidAnswerStoresNothing() async throws {
        let flow = LabInventory().circuitWorkflow
        let harness = try await Harness([flow])
        let id = ProcessID(UUID())
        let engine = Engine(
            store: harness.store, registry: try WorkflowRegistry([flow]), configuration: harness.engine.configuration,
            environment: EngineEnvironment(now: { harness.clock.now }, makeID: fixedFirstID(id), sleep: { _ in }))
        var invalid = validPages
        invalid[2] = ["node_b": 1]

        let refused = await problems { _ = try await engine.start(flow.name, input: .pages(invalid), user: "alice") }

        #expect(refused == ["b_side.node_b: cannot be the A-side node"])
        #expect(try await harness.store.process(id) == nil)
        #expect(try await harness.store.inputStates(of: id).isEmpty)
        #expect(try await harness.store.processes(ProcessFilter()).isEmpty)
    }

    @Test func startWithTheEvaluatingSessionDoesNotFetchTheInventoryAgain() async throws {
        let inventory = LabInventory()
        let flow = inventory.circuitWorkflow
        let harness = try await Harness([flow])
        let session = FormSession(inventory.circuitForm)
        _ = try await session.evaluate(.pages(validPages))
        #expect(inventory.callCount == 3)

        let outcome = try await harness.engine.start(flow.name, input: .pages(validPages), session: session, user: "alice")

        #expect(outcome.status == .completed)
        #expect(inventory.callCount == 3, "the session's pages and choices were reused")
        _ = try await harness.engine.start(flow.name, input: .pages(validPages), user: "alice")
        #expect(inventory.callCount == 6, "without the session the engine builds the pages itself")
    }

    // MARK: input steps with a check across fields

    static let vlan = StateKey<Int>("vlan")

    /// Reserves VLANs 100 and 200, then asks for a VLAN that must be free.
    static let chooseVLAN = workflow(
        begin
            >>> succeed("reserve", ["vlans_in_use": [100, 200]])
            >>> Step.inputStep(
                "choose_vlan",
                form: { _ in Form(name: "vlan", title: "VLAN", fields: [.integer("vlan", "VLAN", range: 1...4094)]) },
                validate: { state in
                    let inUse = (try? state.value(for: StateKey<[Int]>("vlans_in_use"))) ?? []
                    return inUse.contains((try? state.value(for: vlan)) ?? 0) ? [FieldProblem(field: "vlan", reason: "is in use")] : []
                })
            >>> done,
        named: "choose_vlan")

    @Test func inputStepCheckRefusesAResumeAndTheProcessStaysSuspended() async throws {
        let harness = try await Harness([Self.chooseVLAN])
        let started = try await harness.engine.start(Self.chooseVLAN.name, user: "alice")
        #expect(started.status == .suspended)
        let before = try await harness.process(started.processID)

        let error = await #expect(throws: WorkflowError.self) {
            try await harness.engine.resume(started.processID, input: ["vlan": 200], user: "bob")
        }
        let outOfRange = await problems { _ = try await harness.engine.resume(started.processID, input: ["vlan": 5000], user: "bob") }

        #expect(error?.code == .invalidInput)
        #expect(error?.problems.map(\.description) == ["vlan.vlan: is in use"])
        #expect(error?.processID == started.processID)
        #expect(error?.step == "choose_vlan")
        #expect(outOfRange == ["vlan.vlan: must be at most 4094, got 5000"])
        #expect(try await harness.process(started.processID) == before, "nothing about the process changed")
        #expect(try await harness.log(started.processID) == ["reserve: success", "choose_vlan: suspend"])
        #expect(try await harness.store.inputStates(of: started.processID).map(\.kind) == [.initialState])
    }

    @Test func inputStepCheckAcceptsAValidResumeAndStoresItsPage() async throws {
        let harness = try await Harness([Self.chooseVLAN])
        let started = try await harness.engine.start(Self.chooseVLAN.name, user: "alice")
        _ = await problems { _ = try await harness.engine.resume(started.processID, input: ["vlan": 100], user: "bob") }

        let outcome = try await harness.engine.resume(started.processID, input: ["vlan": 300], user: "bob")

        #expect(outcome.status == .completed)
        #expect(outcome.state[raw: "vlan"] == 300)
        let inputs = try await harness.store.inputStates(of: started.processID)
        #expect(inputs.count == 2)
        let resumed = try #require(inputs.last)
        #expect(resumed.kind == .userInput)
        #expect(resumed.page == "vlan")
        #expect(resumed.input == ["vlan": 300])
        #expect(resumed.createdBy == "bob")
    }
}
