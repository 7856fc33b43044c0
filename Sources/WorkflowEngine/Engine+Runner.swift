import Foundation
import Logging
import Metrics

extension Engine {
    /// Runs `process` (already owned by this runner) from the step at `start` until it
    /// stops, renewing the lease in the background. Each step's result commits in one
    /// transaction with the process row; a result whose commit is refused (lease lost,
    /// process aborted) is dropped.
    func drive(
        _ process: ProcessRecord, workflow: WorkflowDefinition, from start: Int, attempt: Int, user: String, drain: DrainSignal? = nil
    ) async throws -> ProcessOutcome {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await heartbeat(process.processID) }
            defer { group.cancelAll() }
            return try await runSteps(process, workflow: workflow, from: start, attempt: attempt, user: user, drain: drain)
        }
    }

    private func heartbeat(_ processID: ProcessID) async {
        while !Task.isCancelled {
            do {
                // Real time, not the environment's: a test clock must not spin the heartbeat.
                try await Task.sleep(for: configuration.heartbeatInterval)
                let until = environment.now() + configuration.leaseDuration
                if try await !store.renewLease(processID, owner: configuration.runnerID, until: until) {
                    return
                }
            } catch is CancellationError {
                return
            } catch {
                // A missed renewal is not fatal by itself: the commit fence catches a lost lease.
                logger.warning("lease renewal failed", metadata: ["process.id": "\(processID)", "error": "\(error)"])
            }
        }
    }

    private func runSteps(
        _ process: ProcessRecord, workflow: WorkflowDefinition, from start: Int, attempt: Int, user: String, drain: DrainSignal?
    ) async throws -> ProcessOutcome {
        let steps = workflow.steps.steps
        var current = process
        var attempt = attempt
        var index = start
        // The log row of the step this run committed last: each commit names it (`follows`).
        var committed: UUID?
        if index >= steps.endIndex {
            // Nothing left to run (the answered step was the last one): complete.
            let now = environment.now()
            let row = StepRecord(
                stepID: environment.makeID(), processID: process.processID, key: "done", status: .complete, state: process.state,
                createdBy: user, startedAt: now, completedAt: now)
            let commit = StepCommit(step: row, owner: configuration.runnerID, status: .completed, state: process.state)
            return try await self.commit(commit, to: current)
        }
        // Pure steps that ran but are not committed yet, and the process as it was before them.
        var pending: [StepCommit] = []
        var beforePending = current
        while index < steps.endIndex {
            let step = steps[index]
            try Task.checkCancellation()
            if !step.isPure && !pending.isEmpty {
                // A step that calls out, asks or may stop the process runs only on committed ground.
                let flushed = try await self.commit(pending, to: beforePending, activity: nil)
                guard flushed.status == .running else { return flushed }
                committed = pending.last?.step.stepID
                pending = []
            }
            var (commit, activity) = await execute(step, of: current, workflow: workflow, attempt: attempt, user: user)
            // Stop without writing when shutting down: the lease expires and the step runs
            // again elsewhere (with the pure steps before it), which the re-runnable-steps rule makes safe.
            try Task.checkCancellation()
            if commit.status == .running && index + 1 == steps.endIndex {
                commit.status = .completed
            }
            commit.follows = pending.last?.step.stepID ?? committed
            // Shutting down: commit what ran, so that the process is handed over after it.
            let draining = drain?.isSet ?? false
            if step.isPure && commit.status == .running && pending.count < Self.longestPureRun && !draining {
                // Committed with the pure steps after it, before the next step that is not pure.
                if pending.isEmpty { beforePending = current }
                pending.append(commit)
                current.state = commit.state
                current.lastStep = step.key
                index += 1
                attempt = 1
                continue
            }
            let outcome: ProcessOutcome
            if pending.isEmpty {
                outcome = try await self.commit(commit, to: current, activity: activity)
            } else {
                outcome = try await self.commit(pending + [commit], to: beforePending, activity: activity)
                pending = []
            }
            guard outcome.status == .running else { return outcome }
            committed = commit.step.stepID
            current.state = commit.state
            current.lastStep = step.key
            index += 1
            attempt = 1
            if let drain, drain.isSet {
                // Shutting down: hand the process over after this committed step.
                _ = try await drain.handOver(process.processID, owner: configuration.runnerID)
                logger.notice("process handed over", metadata: ["process.id": "\(process.processID)", "step.name": "\(step.key)"])
                current.leaseOwner = nil
                current.leaseExpiresAt = nil
                return ProcessOutcome(current)
            }
        }
        return ProcessOutcome(current)
    }

    /// The most pure steps committed together: a long run of them still makes progress durable now and then.
    static let longestPureRun = 32

    /// Writes a run of pure steps' commits and the commit of the step after them in one
    /// transaction. `process` is the process as it was before the first of them. When the
    /// store refuses a subscription one of them saved, they are committed one by one instead,
    /// so that the step whose save was refused fails with the reason and those before it stand.
    private func commit(_ batch: [StepCommit], to process: ProcessRecord, activity: LedgerActivity?) async throws -> ProcessOutcome {
        guard let last = batch.last else { return ProcessOutcome(process) }
        try ProcessTransitions.check(.step, from: .running, to: last.status, processID: process.processID)
        do {
            try await store.commitSteps(batch)
        } catch let error as WorkflowError where error.code == .leaseLost {
            logger.warning(
                "step results dropped: the process was taken over or aborted",
                metadata: ["process.id": "\(process.processID)", "step.name": "\(last.step.key)", "steps": "\(batch.count)"])
            await releaseLedger(of: last.step, activity: activity, succeeded: false)
            guard let now = try await store.process(process.processID) else { throw error }
            return ProcessOutcome(now)
        } catch let error as WorkflowError where batch.contains(where: { !$0.subscriptions.isEmpty }) && Self.refusedSave.contains(error.code) {
            var before = process
            for (index, commit) in batch.enumerated() {
                let outcome = try await self.commit(commit, to: before, activity: index == batch.count - 1 ? activity : nil)
                guard outcome.status == .running else { return outcome }
                before.state = commit.state
                before.lastStep = commit.step.key
            }
            return ProcessOutcome(before)
        }
        return await committed(last, to: process, activity: activity)
    }

    /// Writes a step's commit; when the lease was lost, reports where the process is now.
    private func commit(_ commit: StepCommit, to process: ProcessRecord, activity: LedgerActivity? = nil) async throws -> ProcessOutcome {
        try ProcessTransitions.check(.step, from: .running, to: commit.status, processID: process.processID)
        do {
            try await store.commitStep(commit)
        } catch let error as WorkflowError where error.code == .leaseLost {
            logger.warning(
                "step result dropped: the process was taken over or aborted",
                metadata: ["process.id": "\(process.processID)", "step.name": "\(commit.step.key)"])
            await releaseLedger(of: commit.step, activity: activity, succeeded: false)
            guard let now = try await store.process(process.processID) else { throw error }
            return ProcessOutcome(now)
        } catch let error as WorkflowError where !commit.subscriptions.isEmpty && Self.refusedSave.contains(error.code) {
            // The store refused the subscription the step saved (a device another Node holds,
            // a block in use): the step fails with that reason, its state and saves dropped.
            var failed = commit
            failed.step.status = .failed
            failed.step.state = process.state
            failed.step.failedReason = "step '\(commit.step.key)': \(error.message)"
            failed.status = .failed
            failed.state = process.state
            failed.form = nil
            failed.failedReason = failed.step.failedReason
            failed.subscriptions = []
            return try await self.commit(failed, to: process, activity: activity)
        }
        return await committed(commit, to: process, activity: activity)
    }

    /// The process after `commit` (the last of a run) was written: what its step made is
    /// kept, and the process takes the commit's status, state, step, form and reason.
    private func committed(_ commit: StepCommit, to process: ProcessRecord, activity: LedgerActivity?) async -> ProcessOutcome {
        if commit.step.status.isPassed {
            await releaseLedger(of: commit.step, activity: activity, succeeded: true)
        }
        var after = process
        after.status = commit.status
        after.state = commit.state
        after.lastStep = commit.step.key
        after.form = commit.form
        after.failedReason = commit.failedReason
        after.nextRetryAt = commit.nextRetryAt
        if commit.status != .running {
            logger.info(
                "process stopped",
                metadata: ["process.id": "\(process.processID)", "step.name": "\(commit.step.key)", "status": "\(commit.status.rawValue)"])
        }
        return ProcessOutcome(after)
    }

    /// Deletes NetBox objects nobody may keep. With `succeeded` false, the run that wrote
    /// `step` lost its lease: what it made goes (unless the runner that took over adopted it
    /// first). Otherwise the run succeeded: what earlier runs of the step made and it was
    /// offered but did not adopt goes. Best effort: what cannot be released now stays in the
    /// ledger, for validate to list as an orphan.
    private func releaseLedger(of step: StepRecord, activity: LedgerActivity?, succeeded: Bool) async {
        guard let activity else { return }
        do {
            let doomed: [LedgerEntry]
            if succeeded {
                doomed = activity.passedOver.filter { $0.outcome == .done }
            } else {
                guard activity.hasWritten else { return }
                let entries = try await store.ledger(LedgerQuery(processID: step.processID))
                let alive = entries.living
                doomed = entries.filter { entry in
                    entry.action == .create && entry.heldBy == step.stepID && entry.objectRef.map { alive[$0] != nil } == true
                }
            }
            guard !doomed.isEmpty else { return }
            guard let releaser = services.get((any LedgerReleaser).self) else {
                logger.warning("no releaser configured: NetBox objects left behind", metadata: ["process.id": "\(step.processID)"])
                return
            }
            let ledger = StepLedger(
                store: store, processID: step.processID, step: step.key, execution: step.stepID, attempt: step.attempt,
                runner: configuration.runnerID, subscriptionID: doomed.first?.subscriptionID, environment: environment, logger: logger,
                activity: LedgerActivity())
            try await releaser.release(doomed, ledger: ledger, services: services)
        } catch {
            logger.warning("could not release NetBox objects", metadata: ["process.id": "\(step.processID)", "error": "\(error)"])
        }
    }

    /// Runs one step and turns whatever it did, returned or threw, into the commit to write.
    private func execute(
        _ step: Step, of process: ProcessRecord, workflow: WorkflowDefinition, attempt: Int, user: String
    ) async -> (StepCommit, LedgerActivity) {
        let activity = LedgerActivity()
        let commit = await execute(step, of: process, workflow: workflow, attempt: attempt, user: user, activity: activity)
        return (commit, activity)
    }

    private func execute(
        _ step: Step, of process: ProcessRecord, workflow: WorkflowDefinition, attempt: Int, user: String, activity: LedgerActivity
    ) async -> StepCommit {
        var log = logger
        log[metadataKey: "process.id"] = "\(process.processID)"
        log[metadataKey: "workflow.name"] = "\(workflow.name)"
        log[metadataKey: "step.name"] = "\(step.key)"
        let staged = StagedWrites()
        let execution = environment.makeID()
        let ledger = StepLedger(
            store: store, processID: process.processID, step: step.key, execution: execution, attempt: attempt, runner: configuration.runnerID,
            // Only the id: decoding the whole model on every step would cost the hot path.
            subscriptionID: process.state[raw: "subscription"]?.objectValue?["subscription_id"]?.stringValue.flatMap(UUID.init(uuidString:)),
            environment: environment, logger: log, activity: activity)
        let context = StepContext(
            processID: process.processID, workflow: workflow.name, step: step.key, state: process.state, user: user, attempt: attempt,
            logger: log, products: products, services: services, subscriptionStore: subscriptions, processStore: store,
            environment: environment, staged: staged, ledger: ledger)
        let started = environment.now()
        let result: StepResult
        var errorType: String?
        var details: JSONValue?
        var unreachable = false
        do {
            result = try await step.run(context)
        } catch {
            errorType = String(reflecting: type(of: error))
            if let stepError = error as? StepError { details = stepError.details }
            if let isUnreachable = Self.transience(of: error) {
                unreachable = isUnreachable
                result = .waiting(Self.describe(error))
            } else {
                result = .failed(Self.describe(error))
            }
        }
        let finished = environment.now()
        Timer(
            label: "wf_step_duration_seconds", dimensions: [("workflow", workflow.name), ("step", step.key.rawValue), ("result", result.metricName)],
            preferredDisplayUnit: .seconds
        ).recordSeconds(max(0, finished.timeIntervalSince(started)))
        var row = StepRecord(
            stepID: execution, processID: process.processID, key: step.key, status: .success, state: process.state,
            createdBy: user, startedAt: started, completedAt: finished, attempt: attempt, errorType: errorType, details: details)
        func stop(_ status: ProcessStatus, _ stepStatus: StepStatus, reason: String?, form: Form? = nil, retryAt: Date? = nil) -> StepCommit {
            row.status = stepStatus
            row.failedReason = reason
            row.nextRetryAt = retryAt
            return StepCommit(
                step: row, owner: configuration.runnerID, status: status, state: process.state, form: form, failedReason: reason,
                nextRetryAt: retryAt)
        }
        switch result {
        case .success(let updates), .complete(let updates):
            let reserved = process.state.reservedKeysChanged(by: updates)
            guard reserved.isEmpty else {
                return stop(.failed, .failed, reason: "step '\(step.key)': may not change \(reserved.joined(separator: ", ")) (set by the engine)")
            }
            let state = process.state.merging(updates)
            row.state = state
            let isComplete: Bool = if case .complete = result { true } else { false }
            row.status = isComplete ? .complete : .success
            // Only a step that succeeded saves the subscriptions it staged.
            return StepCommit(
                step: row, owner: configuration.runnerID, status: isComplete ? .completed : .running, state: state,
                subscriptions: staged.take())
        case .skipped:
            row.status = .skipped
            return StepCommit(step: row, owner: configuration.runnerID, status: .running, state: process.state)
        case .suspend(let form):
            row.details = try? JSONValue(encoding: form)
            return stop(.suspended, .suspend, reason: nil, form: form)
        case .waiting(let message):
            let policy = step.retryPolicy
            if attempt < policy.maxAttempts {
                let retryAt = finished + policy.delay(afterAttempt: attempt)
                let reason = "step '\(step.key)': \(message) (attempt \(attempt) of \(policy.maxAttempts); next attempt after \(retryAt))"
                return stop(.waiting, .waiting, reason: reason, retryAt: retryAt)
            }
            let reason = "step '\(step.key)': \(message) (gave up after \(attempt) attempts)"
            return stop(unreachable ? .apiUnavailable : .failed, .failed, reason: reason)
        case .failed(let message):
            return stop(.failed, .failed, reason: "step '\(step.key)': \(message)")
        case .inconsistent(let message):
            return stop(.inconsistentData, .failed, reason: "step '\(step.key)': \(message)")
        case .abort(let message):
            return stop(.aborted, .abort, reason: "step '\(step.key)': \(message)")
        }
    }

    /// Refusals of a subscription save that fail the step rather than the runner.
    static let refusedSave: Set<WorkflowError.Code> = [.resourceTaken, .subscriptionInUse, .invalidModel, .invalidLifecycle]

    /// nil for a permanent error; for a transient one, whether the service could not be
    /// reached at all (which ends as `api_unavailable` rather than `failed`).
    static func transience(of error: any Error) -> Bool? {
        if let classified = error as? any RetryClassifying {
            return classified.isRetryable ? classified.isServiceUnreachable : nil
        }
        if let posix = error as? POSIXError {
            switch posix.code {
            case .ECONNREFUSED, .ECONNRESET, .EHOSTUNREACH, .ENETUNREACH, .ETIMEDOUT: return true
            default: return nil
            }
        }
        return nil
    }

    static func describe(_ error: any Error) -> String {
        String(describing: error)
    }
}
