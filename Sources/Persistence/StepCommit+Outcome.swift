import WorkflowEngine

/// What both stores decide alike about a step commit, beyond their SQL.
extension StepCommit {
    /// The commit found the process no longer leased to its owner, or no longer running:
    /// another runner took it over, or it was aborted meanwhile.
    var leaseLost: WorkflowError {
        WorkflowError(
            .leaseLost, "process \(step.processID) is no longer owned by \(owner) or no longer running", processID: step.processID, step: step.key)
    }

    /// The step this commit follows is not in the log: the database acknowledged it and lost it.
    func predecessorLost(database: String?) -> PersistenceError {
        PersistenceError(
            .commitLost,
            "step '\(step.key)' of process \(step.processID) was not logged: the step before it was acknowledged by the database "
                + "but is not in the log (its connection ended before the commit); the process goes on from its last logged step "
                + "once its lease is handed back", database: database)
    }
}
