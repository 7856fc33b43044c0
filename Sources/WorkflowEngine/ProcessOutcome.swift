/// Where a process stands after an engine operation returned.
public struct ProcessOutcome: Sendable, Hashable {
    public var processID: ProcessID
    public var workflowName: WorkflowName
    public var status: ProcessStatus
    public var lastStep: StepKey?
    public var failedReason: String?
    /// The question a suspended process waits on.
    public var form: Form?
    public var state: State

    public init(_ process: ProcessRecord) {
        processID = process.processID
        workflowName = process.workflowName
        status = process.status
        lastStep = process.lastStep
        failedReason = process.failedReason
        form = process.form
        state = process.state
    }
}
