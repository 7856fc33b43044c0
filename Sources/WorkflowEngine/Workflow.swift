/// What a workflow is for; persisted in `workflows.target`.
public enum WorkflowTarget: String, Sendable, Codable, CaseIterable {
    case create
    case modify
    case terminate
    case validate
    case system
}

/// A workflow written as a type:
///
/// ```swift
/// enum CreateNode: Workflow {
///     static let name: WorkflowName = "create_node"
///     static let target = WorkflowTarget.create
///     static let description = "Create a node"
///     static var steps: StepList { begin >>> constructNodeModel >>> done }
/// }
/// ```
public protocol Workflow {
    static var name: WorkflowName { get }
    static var target: WorkflowTarget { get }
    static var description: String { get }
    /// The pages asked before a process exists; nil when the workflow takes no input.
    static var initialForm: FormFlow? { get }
    static var steps: StepList { get }
}

extension Workflow {
    public static var initialForm: FormFlow? { nil }
    public static var definition: WorkflowDefinition { WorkflowDefinition(self) }
}

/// The persisted name of a workflow (`workflows.name`).
public typealias WorkflowName = String

/// A workflow as the engine runs it: a value, so tests can build variants of one workflow
/// (the same name with a step added, as after a deploy).
public struct WorkflowDefinition: Sendable {
    public let name: WorkflowName
    public let target: WorkflowTarget
    public let description: String
    public let initialForm: FormFlow?
    public let steps: StepList

    public init(name: WorkflowName, target: WorkflowTarget, description: String, initialForm: FormFlow? = nil, steps: StepList) {
        self.name = name
        self.target = target
        self.description = description
        self.initialForm = initialForm
        self.steps = steps
    }

    /// A workflow whose initial form is one fixed page.
    public init(name: WorkflowName, target: WorkflowTarget, description: String, initialForm: Form, steps: StepList) {
        self.init(name: name, target: target, description: description, initialForm: FormFlow(initialForm), steps: steps)
    }

    public init<W: Workflow>(_ workflow: W.Type) {
        self.init(
            name: W.name, target: W.target, description: W.description, initialForm: W.initialForm, steps: W.steps)
    }

    /// A short hash of the step keys in order. A process records the version it started
    /// with, so `wf process show` can say when the code changed under it.
    public var version: String {
        Self.version(of: steps.keys)
    }

    public static func version(of keys: [StepKey]) -> String {
        stableHash(keys.map(\.rawValue).joined(separator: "\n"))
    }
}

/// The workflows a process can run, by name. Refuses duplicates and ill-formed step lists.
public struct WorkflowRegistry: Sendable {
    public let workflows: [WorkflowDefinition]
    private let byName: [WorkflowName: WorkflowDefinition]

    public init(_ workflows: [WorkflowDefinition]) throws {
        var byName: [WorkflowName: WorkflowDefinition] = [:]
        for workflow in workflows {
            if byName[workflow.name] != nil {
                throw WorkflowError(.invalidWorkflow, "workflow '\(workflow.name)' is registered twice", workflow: workflow.name)
            }
            if workflow.steps.isEmpty {
                throw WorkflowError(.invalidWorkflow, "workflow '\(workflow.name)' has no steps", workflow: workflow.name)
            }
            let duplicates = workflow.steps.duplicateKeys
            if !duplicates.isEmpty {
                throw WorkflowError(
                    .invalidWorkflow,
                    "workflow '\(workflow.name)' has duplicate step keys: \(duplicates.map(\.rawValue).joined(separator: ", ")); "
                        + "each step needs a name of its own", workflow: workflow.name)
            }
            byName[workflow.name] = workflow
        }
        self.workflows = workflows.sorted { $0.name < $1.name }
        self.byName = byName
    }

    public subscript(name: WorkflowName) -> WorkflowDefinition? { byName[name] }

    public func workflow(named name: WorkflowName) throws -> WorkflowDefinition {
        guard let workflow = byName[name] else {
            throw WorkflowError(
                .unknownWorkflow, "unknown workflow '\(name)'; known: \(workflows.map(\.name).joined(separator: ", "))",
                workflow: name)
        }
        return workflow
    }
}

/// A stable 64-bit FNV-1a hash in hex: the same text gives the same hash on every run and
/// platform (unlike `Hasher`). Used for workflow versions and migration checksums.
public func stableHash(_ text: String) -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 {
        hash ^= UInt64(byte)
        hash &*= 0x100_0000_01b3
    }
    let hex = String(hash, radix: 16)
    return String(repeating: "0", count: 16 - hex.count) + hex
}
