import WorkflowEngine

/// What both stores decide alike about a step commit, beyond their SQL.
extension StepCommit {
    /// The commit found the process no longer leased to its owner, or no longer running:
    /// another runner took it over, or it was aborted meanwhile.
    var leaseLost: WorkflowError {
        WorkflowError(
            .leaseLost, "process \(step.processID) is no longer owned by \(owner) or no longer running", processID: step.processID, step: step.key)
    }
}
