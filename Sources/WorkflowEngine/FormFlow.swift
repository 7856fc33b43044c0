import Foundation
import Synchronization

/// A workflow's initial form: pages asked in order, each built from the answers to the
/// pages before it (the port page lists the free ports of the node chosen on the page
/// before), each with its own checks across fields.
///
/// ```swift
/// FormFlow([
///     .init("a_side", "A side") { context in
///         [.choice("node_a", "A-side node", choices: try await context.cached("nodes") { try await inventory.nodes() })]
///     },
///     .init("b_side", "B side") { context in
///         let a = try context.answers.value(for: nodeA)
///         return [.choice("node_b", "B-side node", choices: try await context.cached("nodes") { ... }.filter { $0.value != .int(a) })]
///     }
///     .validate { answers in ... },
/// ])
/// ```
public struct FormFlow: Sendable {
    public var pages: [Page]

    public init(_ pages: [Page]) {
        self.pages = pages
    }

    /// A single, fixed page.
    public init(_ form: Form) {
        self.init([Page(form)])
    }

    /// One page: how to build its fields from the answers so far, and its checks across fields.
    public struct Page: Sendable {
        public let name: String
        public let title: String
        let build: @Sendable (FormContext) async throws -> [FormField]
        var validators: [@Sendable (State) -> [FieldProblem]] = []

        public init(_ name: String, _ title: String, fields: @escaping @Sendable (FormContext) async throws -> [FormField]) {
            self.name = name
            self.title = title
            self.build = fields
        }

        /// A page whose fields do not depend on earlier answers.
        public init(_ form: Form) {
            let fields = form.fields
            self.init(form.name, form.title) { _ in fields }
        }

        /// Adds a check across fields. It sees every answer so far, this page's included,
        /// and returns one problem per wrong field (`FieldProblem(field: "node_b", reason: …)`).
        public func validate(_ check: @escaping @Sendable (State) -> [FieldProblem]) -> Page {
            var page = self
            page.validators.append(check)
            return page
        }

        func problems(with answers: State) -> [FieldProblem] {
            validators.flatMap { $0(answers) }.map { FieldProblem(field: "\(name).\($0.field)", reason: $0.reason) }
        }
    }
}

/// What a page builder sees: the answers so far and the session's cache.
public struct FormContext: Sendable {
    /// The accepted answers of the pages before this one.
    public let answers: State
    let session: FormSession

    /// What the engine provides (a NetBox client, …).
    public var services: Services { session.services }
    /// Where subscriptions can be looked up (active Nodes to choose from, …).
    public var subscriptions: (any SubscriptionStore)? { session.subscriptions }

    /// `fetch`'s result, fetched once per form session under `key` (include in the key
    /// whatever the result depends on, such as the chosen node).
    public func cached(_ key: String, _ fetch: @Sendable () async throws -> [Choice]) async throws -> [Choice] {
        try await session.choices(key, fetch)
    }

    /// `fetch`'s result, which depends on the subscriptions of `products` only (names or
    /// product types; nil: of every product), and on what `key` names: shared by every form
    /// session of the engine and fetched again only once one of those subscriptions changed
    /// (`UnchangedSubscriptionsCache`). Without a subscription store or a shared cache,
    /// fetched every time.
    public func cachedWhileSubscriptionsUnchanged<Value: Sendable>(
        _ key: String, products: [String]? = nil, _ fetch: @Sendable () async throws -> Value
    ) async throws -> Value {
        guard let shared = session.shared, let store = session.subscriptions else { return try await fetch() }
        return try await shared.value(key, store: store, products: products, fetch)
    }
}

/// The answers to one page, as accepted.
public struct AnsweredPage: Sendable, Hashable {
    public var form: Form
    public var answers: State

    public init(form: Form, answers: State) {
        self.form = form
        self.answers = answers
    }
}

/// How answers arrive from a script: one object with every answer, or one object per page
/// (as orchestrator-core's API takes them).
public enum FormInput: Sendable {
    case merged(State)
    case pages([State])
}

/// One person filling in one form: the pages built so far and the choices fetched so far,
/// so that answering page 3 does not rebuild pages 1 and 2 or fetch their inventory again
/// (orchestrator-core replays every page, with its inventory calls, on every submit).
public final class FormSession: Sendable {
    public let flow: FormFlow
    public let services: Services
    public let subscriptions: (any SubscriptionStore)?
    /// What sessions share while the subscriptions are unchanged.
    let shared: UnchangedSubscriptionsCache?
    private let cache = Mutex(Cache())

    private struct Cache {
        var pages: [String: Form] = [:]
        var choices: [String: [Choice]] = [:]
        var fetches = 0
    }

    public init(
        _ flow: FormFlow, services: Services = Services(), subscriptions: (any SubscriptionStore)? = nil,
        shared: UnchangedSubscriptionsCache? = nil
    ) {
        self.flow = flow
        self.services = services
        self.subscriptions = subscriptions
        self.shared = shared
    }

    /// How many times a computed list of choices was actually fetched (for tests and logs).
    public var fetchCount: Int { cache.withLock { $0.fetches } }

    /// Page `index`, built from `answers` (the accepted answers of the pages before it).
    public func page(_ index: Int, answers: State) async throws -> Form {
        let page = flow.pages[index]
        let key = "\(index)|\(answers.json.jsonText)"
        if let built = cache.withLock({ $0.pages[key] }) { return built }
        let form = Form(name: page.name, title: page.title, fields: try await page.build(FormContext(answers: answers, session: self)))
        cache.withLock { $0.pages[key] = form }
        return form
    }

    func choices(_ key: String, _ fetch: @Sendable () async throws -> [Choice]) async throws -> [Choice] {
        if let known = cache.withLock({ $0.choices[key] }) { return known }
        let fetched = try await fetch()
        cache.withLock {
            $0.choices[key] = fetched
            $0.fetches += 1
        }
        return fetched
    }

    /// Checks one page's answer: its fields, then its checks across fields. Returns the
    /// accepted values, or throws `.invalidInput` with every problem of the page.
    public func accept(_ index: Int, form: Form, answer: State, earlier: State, unknownFieldsAreProblems: Bool = true) throws -> State {
        var (accepted, problems) = form.check(answer, unknownFieldsAreProblems: unknownFieldsAreProblems)
        if problems.isEmpty {
            problems = flow.pages[index].problems(with: earlier.merging(accepted))
        }
        guard problems.isEmpty else {
            throw WorkflowError(.invalidInput, "the answers to '\(form.title)' are not valid", problems: problems)
        }
        return accepted
    }

    /// Runs a scripted input through every page in order. Stops at the first page with a
    /// problem (later pages depend on its answers) and reports all of that page's problems;
    /// a page with a required choice from an empty list stops it with `.nothingToChoose`.
    public func evaluate(_ input: FormInput) async throws -> [AnsweredPage] {
        var answered: [AnsweredPage] = []
        var soFar = State()
        var claimed: Set<String> = []
        for index in flow.pages.indices {
            let form = try await page(index, answers: soFar)
            try form.requireSomethingToChoose()
            let answer: State
            switch input {
            case .merged(let all):
                let names = Set(form.answerableFields.map(\.name))
                answer = State(all.values.filter { names.contains($0.key) })
                claimed.formUnion(form.fields.map(\.name))
            case .pages(let pages):
                answer = index < pages.count ? pages[index] : State()
            }
            do {
                let accepted = try accept(index, form: form, answer: answer, earlier: soFar)
                answered.append(AnsweredPage(form: form, answers: accepted))
                soFar = soFar.merging(accepted)
            } catch var error as WorkflowError where index == flow.pages.count - 1 {
                // On the last page every field of the form is known: name the unknown ones too.
                if case .merged(let all) = input {
                    error.problems += all.keys.sorted().filter { !claimed.contains($0) }.map {
                        FieldProblem(field: $0, reason: "is not a field of this form")
                    }
                }
                throw error
            }
        }
        var extra: [FieldProblem] = []
        switch input {
        case .merged(let all):
            for name in all.keys.sorted() where !claimed.contains(name) {
                extra.append(FieldProblem(field: name, reason: "is not a field of this form"))
            }
            for name in all.keys.sorted()
            where claimed.contains(name)
                && answered.contains(where: { page in
                    page.form.fields.contains { $0.name == name && $0.kind.isReadOnly }
                })
            {
                extra.append(FieldProblem(field: name, reason: "is read-only; leave it out"))
            }
        case .pages(let pages) where pages.count > flow.pages.count:
            extra.append(FieldProblem(field: "page \(flow.pages.count + 1)", reason: "the form has only \(flow.pages.count) page(s)"))
        case .pages:
            break
        }
        guard extra.isEmpty else { throw WorkflowError(.invalidInput, "the answers are not valid", problems: extra) }
        return answered
    }
}

extension Array where Element == AnsweredPage {
    /// Every page's answers in one state, later pages winning.
    public var mergedAnswers: State {
        reduce(State()) { $0.merging($1.answers) }
    }
}
