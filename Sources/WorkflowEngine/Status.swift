/// Where a process is in its life. The raw values are persisted (`processes.last_status`).
public enum ProcessStatus: String, Sendable, Codable, CaseIterable, Hashable {
    case created
    case running
    case suspended
    case waiting
    case apiUnavailable = "api_unavailable"
    /// A step found data it cannot repair (a validation task's drift): someone repairs it,
    /// then `retry` checks again.
    case inconsistentData = "inconsistent_data"
    case failed
    case aborted
    case completed

    /// `completed` and `aborted` never change again.
    public var isFinal: Bool { self == .completed || self == .aborted }

    /// Statuses that wait for an operator's answer (`resume` with input).
    public var isResumable: Bool { ProcessTransitions.sources(of: .resume).contains(self) }

    /// Statuses a `retry` re-runs the last step from.
    public var isRetryable: Bool { ProcessTransitions.sources(of: .retry).contains(self) }

    /// Statuses in which a runner owns the process through its lease.
    public var isInFlight: Bool { ProcessTransitions.sources(of: .claim).contains(self) }
}

/// The outcome of one step, as written in the step log (`process_steps.status`).
public enum StepStatus: String, Sendable, Codable, CaseIterable, Hashable {
    case success
    case skipped
    case suspend
    case waiting
    case failed
    case abort
    case complete

    /// The step is done and the process moves past it.
    public var isPassed: Bool { self == .success || self == .skipped || self == .complete }
}

/// The one place where the allowed process status changes are written down.
public enum ProcessTransitions {
    /// Why a change of status happens; each operation is allowed from a fixed set of statuses.
    public enum Operation: String, Sendable {
        case claim  // a runner takes a process that nobody runs: new, or its runner's lease expired
        case step  // a step's result, written by the runner that owns the process
        case resume  // an operator answers the form of a suspended process
        case retry  // an operator (or the retry timer) runs the last step again
        case abort  // an operator gives up
    }

    /// The statuses each operation may start from.
    public static func sources(of operation: Operation) -> Set<ProcessStatus> {
        switch operation {
        case .claim: claimSources
        case .step: [.running]
        case .resume: resumeSources
        case .retry: retrySources
        case .abort: abortSources
        }
    }

    /// The statuses each operation may end in.
    public static func targets(of operation: Operation) -> Set<ProcessStatus> {
        switch operation {
        case .claim, .resume, .retry: [.running]
        case .step: stepTargets
        case .abort: [.aborted]
        }
    }

    private static let claimSources: Set<ProcessStatus> = [.created, .running]
    private static let resumeSources: Set<ProcessStatus> = [.suspended]
    private static let retrySources: Set<ProcessStatus> = [.waiting, .failed, .apiUnavailable, .inconsistentData]
    private static let abortSources = Set(ProcessStatus.allCases.filter { !$0.isFinal })
    private static let stepTargets: Set<ProcessStatus> = [
        .running, .suspended, .waiting, .apiUnavailable, .inconsistentData, .failed, .aborted, .completed,
    ]

    public static func isAllowed(_ operation: Operation, from: ProcessStatus, to: ProcessStatus) -> Bool {
        sources(of: operation).contains(from) && targets(of: operation).contains(to)
    }

    /// Throws an error naming the process, both statuses and what would be allowed.
    public static func check(_ operation: Operation, from: ProcessStatus, to: ProcessStatus, processID: ProcessID) throws {
        guard isAllowed(operation, from: from, to: to) else {
            let allowed = sources(of: operation).map(\.rawValue).sorted().joined(separator: ", ")
            throw WorkflowError(
                .invalidTransition,
                "cannot \(operation.rawValue) process \(processID): it is \(from.rawValue); \(operation.rawValue) is allowed from \(allowed)",
                processID: processID)
        }
    }
}
