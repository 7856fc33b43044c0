/// What a workflow is for; persisted in `workflows.target`.
public enum WorkflowTarget: String, Sendable, Codable, CaseIterable {
    case create
    case modify
    case terminate
    case validate
    case system
}

/// A workflow written as a type, the one way to declare one: a name, what it is for, the
/// pages it asks first, and its own steps. `definition` puts them in the frame its target
/// needs (see `WorkflowFrames`): a create ends by making the subscription active, a modify
/// or terminate takes the subscription out of sync first, every workflow ends with `done`.
///
/// ```swift
/// public enum CreateNode: Workflow {
///     public static let name: WorkflowName = "create_node"  // persisted: never derive it from the type name
///     public static let target = WorkflowTarget.create
///     public static let description = "Enrol a planned NetBox device as a Node"
///     public static var initialForm: FormFlow? { form }
///     public static var steps: StepList {
///         begin
///             >>> constructNodeModel
///             >>> StandardSteps.storeProcessSubscription
///             >>> fetchIPAddressInformation
///     }
/// }
/// ```
public protocol Workflow {
    static var name: WorkflowName { get }
    static var target: WorkflowTarget { get }
    static var description: String { get }
    /// The pages asked before a process exists; nil when the workflow takes no input.
    static var initialForm: FormFlow? { get }
    /// The workflow's own steps, without its frame (nor `done`).
    static var steps: StepList { get }
    /// The lifecycle states of the subscriptions a modify, terminate or validate takes; nil
    /// for the frame's default.
    static var lifecycles: Set<Lifecycle>? { get }
}

extension Workflow {
    public static var initialForm: FormFlow? { nil }
    public static var lifecycles: Set<Lifecycle>? { nil }

    /// The steps in the frame of the workflow's target, as the engine runs them.
    public static var definition: WorkflowDefinition {
        switch target {
        case .create:
            WorkflowFrames.create(name, description: description, initialForm: initialForm, steps)
        case .modify:
            WorkflowFrames.modify(name, description: description, initialForm: initialForm, lifecycles: lifecycles, steps)
        case .terminate:
            WorkflowFrames.terminate(name, description: description, initialForm: initialForm, lifecycles: lifecycles, steps)
        case .validate:
            WorkflowFrames.validate(name, description: description, initialForm: initialForm, lifecycles: lifecycles, steps)
        case .system:
            WorkflowFrames.task(name, description: description, initialForm: initialForm, steps)
        }
    }
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
    /// A validate that works on what aborted processes left unconfirmed (an undo) and is
    /// therefore not refused for it, as other validates are.
    public var takesUnconfirmedChanges = false

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

    /// The workflow `W` declares, in its frame (`W.definition`).
    public init<W: Workflow>(_ workflow: W.Type) {
        self = W.definition
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
