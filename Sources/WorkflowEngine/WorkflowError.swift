/// The one error type of the engine: a code that can grow, plus the context an operator
/// needs to act on it (which workflow, process, step, key or field).
public struct WorkflowError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, as a stable machine-readable word. Extensible: new codes do not
    /// break anyone's `switch`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let unknownWorkflow = Code("unknown_workflow")
        public static let invalidWorkflow = Code("invalid_workflow")
        public static let missingStateKey = Code("missing_state_key")
        public static let mistypedStateKey = Code("mistyped_state_key")
        public static let reservedStateKey = Code("reserved_state_key")
        public static let invalidInput = Code("invalid_input")
        /// A form asks for a required choice from an empty list; the message says why it is
        /// empty and what to do first (the field's `ifEmpty`).
        public static let nothingToChoose = Code("nothing_to_choose")
        public static let processNotFound = Code("process_not_found")
        public static let ambiguousProcessID = Code("ambiguous_process_id")
        public static let invalidTransition = Code("invalid_transition")
        public static let processBusy = Code("process_busy")
        public static let leaseLost = Code("lease_lost")
        public static let stepNotInWorkflow = Code("step_not_in_workflow")
        public static let unknownProduct = Code("unknown_product")
        public static let invalidLifecycle = Code("invalid_lifecycle")
        public static let invalidModel = Code("invalid_model")
        public static let subscriptionNotFound = Code("subscription_not_found")
        public static let subscriptionLocked = Code("subscription_locked")
        public static let subscriptionInUse = Code("subscription_in_use")
        public static let subscriptionOutOfSync = Code("subscription_out_of_sync")
        public static let resourceTaken = Code("resource_taken")
        public static let unsupportedStore = Code("unsupported_store")
        public static let scheduleNotFound = Code("schedule_not_found")
        public static let hookNotFound = Code("hook_not_found")
        /// A name that must be unique (a schedule's) is taken.
        public static let nameTaken = Code("name_taken")
    }

    public var code: Code
    public var message: String
    public var workflow: String?
    public var processID: ProcessID?
    public var step: StepKey?
    /// Field-level problems of a form answer, one per field (`field: reason`).
    public var problems: [FieldProblem]

    public init(
        _ code: Code, _ message: String, workflow: String? = nil, processID: ProcessID? = nil, step: StepKey? = nil,
        problems: [FieldProblem] = []
    ) {
        self.code = code
        self.message = message
        self.workflow = workflow
        self.processID = processID
        self.step = step
        self.problems = problems
    }

    public var description: String {
        var text = message
        if !problems.isEmpty {
            text += problems.map { "\n  \($0)" }.joined()
        }
        return text
    }
}

/// One thing wrong with one field of a form answer.
public struct FieldProblem: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    /// `page.field` or `field`.
    public var field: String
    public var reason: String

    public init(field: String, reason: String) {
        self.field = field
        self.reason = reason
    }

    public var description: String { "\(field): \(reason)" }
}

/// Thrown by step authors for a business failure, or a transient one with `isRetryable`.
///
/// ```swift
/// throw StepError("device \(name) is not planned")                   // the process fails
/// throw StepError("NetBox answered 503", isRetryable: true)          // the process waits and retries
/// ```
public struct StepError: Error, Sendable, CustomStringConvertible, RetryClassifying {
    public var message: String
    public var isRetryable: Bool
    public var isServiceUnreachable: Bool
    public var details: JSONValue?

    public init(_ message: String, isRetryable: Bool = false, isServiceUnreachable: Bool = false, details: JSONValue? = nil) {
        self.message = message
        self.isRetryable = isRetryable || isServiceUnreachable
        self.isServiceUnreachable = isServiceUnreachable
        self.details = details
    }

    public var description: String { message }
}

/// An error that knows whether trying again later may help. Client libraries (NetBox)
/// conform their errors to it so the engine can park a process instead of failing it.
public protocol RetryClassifying: Error {
    /// A later attempt may succeed (timeout, connection refused, HTTP 5xx).
    var isRetryable: Bool { get }
    /// The service could not be reached at all; when attempts run out the process becomes
    /// `api_unavailable` rather than `failed`.
    var isServiceUnreachable: Bool { get }
}
