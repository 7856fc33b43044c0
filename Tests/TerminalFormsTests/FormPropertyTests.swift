import Foundation
import NetBox
import NetBoxLite
import Products
import Synchronization
import TerminalForms
import Testing
import WorkflowEngine
import WorkflowTestKit
import Workflows

/// Property tests: many random answers, each case built from its own seed. A failure names
/// the seed; `FORM_PROPERTY_SEED=<seed> swift test --filter FormProperty` runs that case alone.
@Suite("Form properties: random answers")
struct FormPropertyTests {
    static let cases: UInt64 = 300
    static let textCases: UInt64 = 1000

    /// Every registered workflow that asks for input before it starts, but undo_process:
    /// its answers are the ids of an aborted process and its subscription, which random text
    /// never names (its refusals are tested in UndoTests).
    static var workflowsWithForms: [WorkflowDefinition] {
        (WorkflowCatalog.all + [LabInventory().circuitWorkflow]).filter { $0.initialForm != nil && $0.name != UndoProcess.name }
    }

    /// The seeds to run: all of them, or the one named in `FORM_PROPERTY_SEED`.
    static func seeds(_ count: UInt64) -> [UInt64] {
        if let text = ProcessInfo.processInfo.environment["FORM_PROPERTY_SEED"], let seed = UInt64(text) { return [seed] }
        return Array(0..<count)
    }

    @Test(arguments: workflowsWithForms.map(\.name))
    func randomAnswersEitherStartAProcessWithValidInputsOrStoreNothing(workflowName: WorkflowName) async throws {
        let workflow = try #require(Self.workflowsWithForms.first { $0.name == workflowName })
        let flow = try #require(workflow.initialForm)
        let lab = try await FuzzLab(workflow)
        // One session for generating answers: computed choices (NetBox's inventory) are fetched once.
        let session = lab.engine.makeFormSession(flow)
        let keys = try await Self.fieldNames(of: flow, session: session) + AnswerFuzzer.junkKeys
        var outcomes: [String: Int] = [:]

        for seed in Self.seeds(Self.cases) {
            var fuzzer = AnswerFuzzer(seed: seed, keys: keys)
            let pages = try await fuzzer.answers(to: flow, session: session)
            // Alternate which mode goes first: a form whose inventory runs out (create_node has six
            // devices) must still see starts in both modes.
            let modes = [FormInput.pages(pages), .merged(pages.reduce(State()) { $0.merging($1) })]
            for input in seed.isMultiple(of: 2) ? modes : modes.reversed() {
                let result = try await lab.start(input, seed: seed)
                outcomes["\(input.mode) \(result)", default: 0] += 1
            }
        }

        // Both branches must be exercised, or the property says nothing.
        if Self.seeds(Self.cases).count > 1 {
            for mode in ["pages", "merged"] {
                #expect(outcomes["\(mode) started", default: 0] > 0, "\(workflowName): no \(mode) input started a process: \(outcomes)")
                #expect(outcomes["\(mode) refused", default: 0] > 0, "\(workflowName): no \(mode) input was refused: \(outcomes)")
            }
        }
        await lab.close()
    }

    @Test func parsingRandomTextNeverCrashesAndOnlyThrowsInvalidInput() {
        for seed in Self.seeds(Self.textCases) {
            var fuzzer = AnswerFuzzer(seed: seed, keys: AnswerFuzzer.junkKeys + ["node_a", "message"])
            let (text, value) = fuzzer.scriptText()
            do {
                let input = try ScriptedAnswers.parse(text)
                switch (input, value) {
                case (.merged(let state), .object(let members)?):
                    #expect(Set(state.keys) == Set(members.keys), "seed \(seed): \(text.prefix(200))")
                case (.pages(let states), .array(let items)?):
                    #expect(states.count == items.count, "seed \(seed): \(text.prefix(200))")
                case (_, nil):
                    break  // mangled text that still happens to be valid JSON
                default:
                    Issue.record("seed \(seed): \(text.prefix(200)) parsed as \(input.mode) from \(value?.typeName ?? "?")")
                }
            } catch let error as WorkflowError {
                #expect(error.code == .invalidInput, "seed \(seed): \(error)")
                if case .object? = value { Issue.record("seed \(seed): a JSON object was refused: \(error)") }
            } catch {
                Issue.record("seed \(seed): parse threw \(type(of: error)), not WorkflowError: \(error)")
            }
        }
    }

    /// The names of every field on every page, reached by answering each page validly.
    static func fieldNames(of flow: FormFlow, session: FormSession) async throws -> [String] {
        var fuzzer = AnswerFuzzer(seed: 0, keys: [])
        var names: Set<String> = []
        for _ in 0..<20 {
            _ = try await fuzzer.validAnswers(to: flow, session: session) { form in names.formUnion(form.fields.map(\.name)) }
        }
        return names.sorted()
    }
}

extension FormInput {
    fileprivate var mode: String {
        switch self {
        case .merged: "merged"
        case .pages: "pages"
        }
    }
}

/// One workflow on a fresh store, started over and over, checked after each start.
private final class FuzzLab {
    let workflow: WorkflowDefinition
    let temporary: TemporaryStore
    let engine: Engine
    let nextID: NextID
    private var processCount = 0

    /// For a modify, terminate or validate workflow: the one subscription it may work on.
    private var subscription: UUID?
    private let rewrites = Alternation()
    private let servers = StartedServers()

    /// Stops the NetBoxLite a form started, if any.
    func close() async {
        for server in servers.list.withLock({ $0 }) { await server.stop() }
    }

    init(_ workflow: WorkflowDefinition) async throws {
        self.workflow = workflow
        let products = ProductCatalog.all
        temporary = try await TemporaryStore(workflows: [workflow], products: products)
        let registry = try ProductRegistry(products)
        let testing = try Engine.testing(store: temporary.store, workflows: [workflow], products: registry)
        let nextID = NextID()
        var environment = testing.environment
        environment.makeID = { nextID.make() }
        self.nextID = nextID
        // Forms that list NetBox's inventory (create_node) get a NetBoxLite, started on first use.
        let servers = self.servers
        let connection = NetBoxConnection(lazy: {
            let server = try await NetBoxLiteServer.start(NetBoxLiteConfiguration())
            servers.list.withLock { $0.append(server) }
            return NetBoxClient(NetBoxConfiguration(url: server.url, token: server.token))
        })
        engine = Engine(
            store: temporary.store, registry: testing.registry, products: registry, services: Services().registering(connection),
            configuration: testing.configuration, environment: environment, logger: testing.logger)
        // Two active Nodes on the lab's devices 1 and 2: what circuit forms choose from, and what
        // a modify, terminate or validate works on.
        var seeded: [UUID] = []
        for device in [1, 2] {
            let node = try JSONValue(
                encoding: NodeBlock(
                    nodeID: device, nodeName: "loc\(device)-core", nodeStatus: "active", ipv4Loopback: "10.0.127.\(device)/32",
                    ipv6Loopback: "fc00:0:0:127::\(device)/128"))
            let model = SubscriptionModel(
                subscriptionID: UUID(), productName: "Node", customerID: "fuzz", description: "Node loc\(device)-core", status: .active,
                insync: true, root: node)
            seeded.append(try await temporary.store.seed(model, product: registry.product(named: "Node"), now: Date()).subscriptionID)
        }
        guard [.modify, .terminate, .validate].contains(workflow.target) else { return }
        // A Circuit between them, on each node's first port, for a workflow on circuits (only
        // then: a Circuit makes its Nodes "in use", which a terminate_node would be refused for).
        guard CircuitProduct.variants.contains(where: { $0.workflows.contains(workflow.name) }) else {
            subscription = seeded.first
            return
        }
        let nodes = try await seeded.asyncMap { try await temporary.store.subscription($0)?.root.decode(NodeBlock.self) }
        let circuit = CircuitBlock(
            members: [(nodes[0], 1, "10.0.0.0/31", "fc00:0:0:10::/127"), (nodes[1], 12, "10.0.0.1/31", "fc00:0:0:10::1/127")].map {
                Layer3InterfaceBlock(
                    port: PortBlock(portID: $0.1, portName: "ethernet-1/1", portDescription: "core link", node: $0.0), v6IPAddress: $0.3,
                    v4IPAddress: $0.2)
            }, circuitID: 1, circuitStatus: "connected", underMaintenance: true)
        subscription = try await temporary.store.seed(
            SubscriptionModel(
                subscriptionID: UUID(), productName: "Circuit 10G", customerID: "fuzz", description: "", status: .active, insync: true,
                root: try JSONValue(encoding: circuit)), product: registry.product(named: "Circuit 10G"), now: Date()
        ).subscriptionID
    }

    /// Every other text answer for `subscription_id` stands for the seeded subscription, so
    /// that random answers also reach the workflow's own checks rather than "does not exist".
    private func pointingAtTheSeed(_ input: FormInput) -> FormInput {
        guard let subscription else { return input }
        func rewrite(_ state: State) -> State {
            guard state[raw: "subscription_id"]?.stringValue != nil, rewrites.next() else { return state }
            var state = state
            state[raw: "subscription_id"] = .string(subscription.uuidString.lowercased())
            return state
        }
        switch input {
        case .merged(let state): return .merged(rewrite(state))
        case .pages(let pages): return .pages(pages.map(rewrite))
        }
    }

    /// Starts the workflow with `input` and checks the property; returns "started" or "refused".
    func start(_ input: FormInput, seed: UInt64) async throws -> String {
        let input = pointingAtTheSeed(input)
        let id = nextID.prepare()
        let context = "\(workflow.name), seed \(seed), \(input.mode) input \(describe(input))"
        do {
            // The pages as built for this start: a form that depends on the inventory (create_node
            // hides enrolled devices) offers other choices after the start.
            let session = workflow.initialForm.map(engine.makeFormSession)
            let outcome = try await engine.start(workflow.name, input: input, session: session, user: "fuzz")
            processCount += 1
            #expect(outcome.processID == id, "\(context)")
            try await checkStoredInputs(of: outcome.processID, session: session, context: context)
            try await reopenTheSubscription(after: outcome)
            return "started"
        } catch let error as WorkflowError {
            #expect([.invalidInput, .subscriptionNotFound, .nothingToChoose].contains(error.code), "\(context): \(error)")
            #expect(try await temporary.store.process(id) == nil, "\(context)")
            #expect(try await temporary.store.inputStates(of: id).isEmpty, "\(context)")
            // Every id starts with the empty prefix: this counts all processes, reading ids only.
            let stored = try await temporary.store.processIDs(withPrefix: "", limit: Int.max).count
            #expect(stored == processCount, "no other process appeared: \(context)")
            return "refused"
        } catch {
            Issue.record("start threw \(type(of: error)), not WorkflowError: \(error); \(context)")
            return "crashed"
        }
    }

    /// A process that still holds the subscription (a validate that found drift fails and keeps
    /// its lock) or ended it (a terminate) would make every later start refused for reasons that
    /// are not the form's: abort the one, restore the other, so random answers keep reaching the form.
    private func reopenTheSubscription(after outcome: ProcessOutcome) async throws {
        guard let subscription else { return }
        if ![.completed, .aborted].contains(outcome.status) {
            _ = try await engine.abort(outcome.processID, user: "fuzz", reason: "the next random answer needs the subscription")
        }
        guard var model = try await temporary.store.subscription(subscription) else { return }
        // An aborted process leaves the subscription out of sync: confirm it, as an operator would.
        if !model.insync && model.status != .terminated {
            try await temporary.store.setInSync(subscription, user: "fuzz", reason: "the next random answer needs it in sync", now: Date())
        }
        guard model.status == .terminated else { return }
        model.status = .active
        model.endDate = nil
        model.insync = true
        try await temporary.store.seed(model, product: try engine.products.product(named: model.productName), now: Date())
    }

    /// One `initial_state` row per page, in page order, each of which its page accepts again unchanged.
    private func checkStoredInputs(of id: ProcessID, session: FormSession?, context: String) async throws {
        let flow = try #require(workflow.initialForm)
        let rows = try await temporary.store.inputStates(of: id)
        #expect(rows.map(\.page) == flow.pages.map(\.name), "\(context)")
        #expect(rows.allSatisfy { $0.kind == .initialState }, "\(context)")
        let session = session ?? engine.makeFormSession(flow)
        var earlier = State()
        for (index, row) in rows.enumerated() where index < flow.pages.count {
            let form = try await session.page(index, answers: earlier)
            do {
                let accepted = try session.accept(index, form: form, answer: row.input, earlier: earlier)
                #expect(accepted == row.input, "page \(form.name) stored \(row.input.json.jsonText); \(context)")
            } catch {
                Issue.record("page \(form.name) refuses its stored input \(row.input.json.jsonText): \(error); \(context)")
            }
            earlier = earlier.merging(row.input)
        }
    }

    private func describe(_ input: FormInput) -> String {
        let json: JSONValue =
            switch input {
            case .merged(let state): state.json
            case .pages(let pages): .array(pages.map(\.json))
            }
        return String(json.jsonText.prefix(300))
    }
}

/// The id the engine makes next. The test names it before each start, so it can look for
/// exactly that process afterwards, stored or not.
private final class NextID: Sendable {
    private let upcoming = Mutex<UUID?>(nil)

    func prepare() -> ProcessID {
        let id = UUID()
        upcoming.withLock { $0 = id }
        return ProcessID(id)
    }

    func make() -> UUID {
        upcoming.withLock { upcoming in
            defer { upcoming = nil }
            return upcoming ?? UUID()
        }
    }
}

/// SplitMix64: tiny, fast and the same on every platform, so a seed always replays the same case.
private struct SeededRandom: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z &>> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z &>> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z &>> 31)
    }
}

/// Builds random answers: valid ones walked through a form's pages, then mangled; or
/// random objects of every JSON type under real and junk keys.
private struct AnswerFuzzer {
    var random: SeededRandom
    let keys: [String]

    init(seed: UInt64, keys: [String]) {
        random = SeededRandom(seed: seed)
        self.keys = keys
    }

    static let junkKeys = [
        "", "x", "process_id", "reporter", "workflow_name", "NODE_A", "node_a ", "a_side", "page", "🙂", "description.extra",
        String(repeating: "k", count: 300),
    ]

    mutating func chance(_ probability: Double) -> Bool { Double.random(in: 0..<1, using: &random) < probability }
    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &random) }
    mutating func pick<T>(_ items: [T]) -> T { items[int(0...items.count - 1)] }

    // MARK: answers to a form

    /// One object per page: a valid answer (20 % of the time a random one instead), with 0 to 3 changes.
    mutating func answers(to flow: FormFlow, session: FormSession) async throws -> [State] {
        var pages = chance(0.2) ? (0..<int(0...5)).map { _ in randomObject(depth: 1) } : try await validAnswers(to: flow, session: session) { _ in }
        for _ in 0..<int(0...3) { mangle(&pages) }
        return pages
    }

    /// Walks the pages, answering each field validly (or leaving out what may be left out).
    /// Stops early when a page cannot be built from what was answered.
    mutating func validAnswers(to flow: FormFlow, session: FormSession, seeing: (Form) -> Void) async throws -> [State] {
        var pages: [State] = []
        var earlier = State()
        for index in flow.pages.indices {
            guard let form = try? await session.page(index, answers: earlier) else { break }
            seeing(form)
            var answer = State()
            for field in form.answerableFields {
                answer[raw: field.name] = validValue(for: field)
            }
            pages.append(answer)
            earlier = earlier.merging(form.check(answer).accepted)
        }
        return pages
    }

    mutating func validValue(for field: FormField) -> JSONValue? {
        if (!field.isRequired || field.defaultValue != nil) && chance(0.3) { return nil }
        switch field.kind {
        case .text:
            let length = int((field.minLength ?? 1)...min(field.maxLength ?? 40, 40))
            return .string(String((0..<length).map { _ in pick(Array("abcdefghij0123456789-/ ")) }))
        case .integer:
            return .int(int((field.minimum ?? -1000)...(field.maximum ?? 1000)))
        case .boolean:
            return .bool(chance(0.5))
        case .accept:
            return true
        case .choice:
            return (field.choices ?? []).isEmpty ? nil : pick(field.choices ?? []).value
        case .multiChoice:
            let values = (field.choices ?? []).map(\.value).shuffled(using: &random)
            let count = int((field.minItems ?? 0)...min(field.maxItems ?? values.count, values.count))
            return .array(Array(values.prefix(count)))
        case .display, .summary:
            return nil
        }
    }

    /// One random change: a key set, removed or moved, a page added, dropped or replaced.
    mutating func mangle(_ pages: inout [State]) {
        if pages.isEmpty { pages.append(State()) }
        let index = int(0...pages.count - 1)
        switch int(0...6) {
        case 0, 1:
            pages[index][raw: pick(keys)] = chance(0.5) ? plausibleValue() : randomValue(depth: 1)
        case 2:
            if let key = pages[index].keys.randomElement(using: &random) { pages[index][raw: key] = nil }
        case 3:
            if let key = pages[index].keys.randomElement(using: &random) {
                let value = pages[index][raw: key]
                pages[index][raw: key] = nil
                pages[int(0...pages.count - 1)][raw: key] = value
            }
        case 4: pages.append(randomObject(depth: 1))
        case 5: pages.removeLast()
        default: pages[index] = randomObject(depth: 1)
        }
    }

    /// A value of the kind a form field might take, often but not always in range.
    mutating func plausibleValue() -> JSONValue {
        pick([
            .int(int(-2...5)), .int(pick([0, 3600, 3601, 4094, 4095, -1, Int.max, Int.min])), .double(pick([1.0, 2.0, 2.5, -0.0, 1e300])),
            .string(pick(["xe-0/0/0", "xe-0/0/1", "et-1/0/0", "xe-0/1/0", "rt1.lab", "lab circuit", "hello", "", " ", "\n"])),
            .bool(chance(0.5)), .null, .array([.int(int(1...3))]),
        ])
    }

    // MARK: any JSON

    mutating func randomObject(depth: Int) -> State {
        var object = State()
        for _ in 0..<int(0...5) {
            object[raw: chance(0.8) ? pick(keys) : randomString()] = randomValue(depth: depth)
        }
        return object
    }

    mutating func randomValue(depth: Int) -> JSONValue {
        switch int(0...8) {
        case 0: return .null
        case 1: return .bool(chance(0.5))
        case 2: return .int(pick([int(-10...10), int(-1_000_000...1_000_000), Int.max, Int.min, 4095, 3601]))
        case 3: return .double(pick([Double.random(in: -1e6...1e6, using: &random), 3.0, 0.5, -0.0, 1e300, -1e300, .greatestFiniteMagnitude]))
        case 4, 5: return .string(randomString())
        case 6: return depth < 4 ? .array((0..<int(0...4)).map { _ in randomValue(depth: depth + 1) }) : .null
        default: return depth < 4 ? randomObject(depth: depth + 1).json : .int(0)
        }
    }

    mutating func randomString() -> String {
        switch int(0...9) {
        case 0: return ""
        case 1: return String(repeating: pick(["x", "é", "🙂", " "]), count: int(60...70_000))
        case 2: return pick(["\u{0}", "\"\\", "line\nbreak", "\t", "e\u{301}", "\u{202E}rtl", "null", "true", "1"])
        default:
            let alphabet = Array("abcxyz019 -_/.:\"\\{}[]é🙂\u{7}\n")
            return String((0..<int(1...24)).map { _ in pick(alphabet) })
        }
    }

    // MARK: script text

    /// Text for `ScriptedAnswers.parse`, and the JSON it encodes when it is unmangled.
    mutating func scriptText() -> (String, JSONValue?) {
        switch int(0...9) {
        case 0...3:
            let value: JSONValue =
                switch int(0...3) {
                case 0: .array((0..<int(0...4)).map { _ in randomObject(depth: 2).json })
                case 1: randomValue(depth: 2)
                default: randomObject(depth: 1).json
                }
            return (value.jsonText, value)
        case 4...7:
            var text = Array(randomObject(depth: 1).json.jsonText)
            for _ in 0..<int(1...4) {
                let position = int(0...text.count)
                switch int(0...2) {
                case 0: text.insert(pick(Array("{}[]\",:0-9.eE+tfn\\u ")), at: position)
                case 1: if position < text.count { text.remove(at: position) }
                default: text = Array(text.prefix(position))
                }
            }
            return (String(text), nil)
        default:
            let alphabet = Array("{}[]\",:0123456789.eE+-truefalsn \\u\n\t🙂é\u{0}")
            return (String((0..<int(0...40)).map { _ in pick(alphabet) }), nil)
        }
    }
}

/// true, false, true, …: which answers point at the seeded subscription.
private final class Alternation: Sendable {
    private let state = Mutex(false)
    func next() -> Bool {
        state.withLock {
            $0.toggle(); return $0
        }
    }
}

/// The NetBoxLite servers a fuzz lab started, to stop them at the end.
private final class StartedServers: Sendable {
    let list = Mutex<[NetBoxLiteServer]>([])
}

extension Array {
    fileprivate func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
