/// An ordered list of steps, written the way orchestrator-core users know:
///
/// ```swift
/// static let steps = begin >>> constructNodeModel >>> setStatus(.provisioning) >>> done
/// ```
public struct StepList: Sendable {
    public private(set) var steps: [Step]

    public init(_ steps: [Step] = []) {
        self.steps = steps
    }

    public var keys: [StepKey] { steps.map(\.key) }
    public var isEmpty: Bool { steps.isEmpty }

    /// The step with `key`, if the list has it.
    public func step(_ key: StepKey) -> Step? {
        steps.first { $0.key == key }
    }

    /// The position of the step with `key`, nil when the list has no such step (the code
    /// changed since a process ran it).
    public func index(of key: StepKey) -> Int? {
        steps.firstIndex { $0.key == key }
    }

    /// Keys that appear more than once; a workflow with any is refused at registration.
    public var duplicateKeys: [StepKey] {
        var seen: Set<StepKey> = []
        var duplicates: Set<StepKey> = []
        for key in keys where !seen.insert(key).inserted {
            duplicates.insert(key)
        }
        return duplicates.sorted()
    }

    public static func >>> (lhs: StepList, rhs: StepList) -> StepList {
        StepList(lhs.steps + rhs.steps)
    }

    public static func >>> (lhs: StepList, rhs: Step) -> StepList {
        StepList(lhs.steps + [rhs])
    }

    public static func >>> (lhs: Step, rhs: StepList) -> StepList {
        StepList([lhs] + rhs.steps)
    }
}

extension Step {
    public static func >>> (lhs: Step, rhs: Step) -> StepList {
        StepList([lhs, rhs])
    }
}

/// The empty start of a step list: `begin >>> stepA >>> stepB >>> done`.
public let begin = StepList()

/// The last step of a workflow: completes the process.
public let done = Step("done", retry: .never, pure: true) { _ in .complete(State()) }

/// Runs steps only when `predicate` holds for the state at the time each would run;
/// otherwise each is logged as `skipped`. Keys stay the steps' own.
///
/// ```swift
/// let whenInService = conditional { try !$0.value(for: .underMaintenance) }
/// begin >>> whenInService(updateIsisMetric) >>> done
/// ```
public func conditional(_ predicate: @escaping @Sendable (State) throws -> Bool) -> Conditional {
    Conditional(predicate: predicate)
}

/// A predicate that guards steps; see `conditional(_:)`.
public struct Conditional: Sendable {
    let predicate: @Sendable (State) throws -> Bool

    public func callAsFunction(_ step: Step) -> Step {
        var guarded = step
        let earlier = step.condition
        let predicate = self.predicate
        guarded.condition = { state in
            try predicate(state) && (earlier?(state) ?? true)
        }
        return guarded
    }

    public func callAsFunction(_ list: StepList) -> StepList {
        StepList(list.steps.map { callAsFunction($0) })
    }
}

/// Step lists chain left to right: `begin >>> a >>> b >>> done`.
///
/// Not `>>`: the standard library declares it non-associative (a bit shift), so it cannot
/// chain, and a redeclaration shadows it only inside the file that makes it, which made
/// every workflow file repeat one. `>>>` is declared once, here, and every module that
/// imports the engine chains with it.
precedencegroup StepChainPrecedence {
    associativity: left
    higherThan: AssignmentPrecedence
}

infix operator >>> : StepChainPrecedence
