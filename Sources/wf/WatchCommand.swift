import ArgumentParser
import Foundation
import Logging
import Persistence
import ServiceLifecycle
import Synchronization
import WorkflowEngine

extension ProcessCommand {
    struct Watch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Follow a process live: its events so far, then each one as it happens, until the process stops.",
            discussion: """
                Stops, printing where the process stands, once it completes, is aborted, fails (failed, api_unavailable, \
                inconsistent_data) or suspends waiting for input; a process that is queued for a worker, running, or waiting to \
                retry a step is followed on. The events come from the database's event log, whichever `wf` or worker writes them \
                (on PostgreSQL, from any host). Exit codes as for `wf start`; Ctrl-C (or SIGTERM) stops watching and exits 0. \
                With --json, each event is one line of JSON, and the last line is the process as `wf start --json` reports it.
                """)

        @Argument(help: "The process id, or a unique prefix of it.") var process: String
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await runCommand {
                let runtime = try await Runtime.open(database)
                let watch = ProcessWatch(processID: try await runtime.engine.resolve(process), store: runtime.store, json: output.json)
                guard let stopped = try await watch.runUntilStoppedOrInterrupted() else {
                    let now = try await runtime.store.process(watch.processID)
                    printError("stopped watching process \(watch.processID)" + (now.map { " (it is \($0.status.rawValue))" } ?? ""))
                    return 0
                }
                if output.json {
                    print(OutcomeReport.json(ProcessOutcome(stopped)).jsonText)
                    return processExitCode(for: stopped.status)
                }
                return OutcomeReport.show(ProcessOutcome(stopped), json: false)
            }
        }
    }
}

/// Follows one process through the event log: prints each of its events once, in order,
/// until the process reaches a status where it stops.
struct ProcessWatch: Sendable {
    let processID: ProcessID
    let store: any WorkflowStore
    let json: Bool

    /// Statuses where the process stops until someone acts (or for good).
    static func stops(_ status: ProcessStatus) -> Bool {
        switch status {
        case .created, .running, .waiting: false
        case .suspended, .failed, .apiUnavailable, .inconsistentData, .aborted, .completed: true
        }
    }

    /// Follows in a `ServiceGroup` that ends on SIGINT or SIGTERM; nil when it was interrupted.
    func runUntilStoppedOrInterrupted() async throws -> ProcessRecord? {
        let service = WatchService(self)
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: service, successTerminationBehavior: .gracefullyShutdownGroup)],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: Logger(label: "wf.watch")))
        try await group.run()
        return try service.result()
    }

    /// Prints the events and returns the process once it stopped. Signals are taken before the
    /// first read, so nothing written between a read and the wait for the next signal is missed.
    func follow() async throws -> ProcessRecord? {
        var cursor: Int64 = 0
        for await _ in store.eventSignals() {
            // The record first: once it shows a stop, the events read after it include the one
            // that stopped it, so the last event printed is the last one there is.
            guard let record = try await store.process(processID) else {
                throw CLIError("process \(processID) does not exist")
            }
            cursor = try await printEvents(after: cursor)
            if Self.stops(record.status) { return record }
        }
        return nil
    }

    /// Prints the process's events after `cursor`, page by page; returns the new cursor.
    private func printEvents(after cursor: Int64) async throws -> Int64 {
        var cursor = cursor
        while true {
            let page = try await store.events(after: cursor, matching: EventFilter(processID: processID), limit: Self.pageSize)
            for event in page { print(json ? event.json.jsonText : Self.line(event)) }
            fflush(nil)
            guard let last = page.last, page.count == Self.pageSize else { return page.last?.id ?? cursor }
            cursor = last.id
        }
    }

    static let pageSize = 200

    /// One event as a line: its time, then what happened.
    static func line(_ event: EngineEvent) -> String {
        let data = event.data.objectValue ?? [:]
        func text(_ key: String) -> String { data[key]?.stringValue ?? "?" }
        var what: String
        switch event.kind {
        case .processCreated:
            what = "created       \(text("workflow")) by \(text("user")), \(text("status"))"
        case .stepCommitted:
            what = "step          \(text("step")): \(text("status"))"
            if let attempt = data["attempt"]?.intValue, attempt > 1 { what += " (attempt \(attempt))" }
            what += " by \(text("user"))"
        case .processStatus:
            what = "status        \(data["from"]?.stringValue ?? "new") -> \(text("to"))"
            if let runner = data["runner"]?.stringValue { what += " (runner \(runner))" }
        case .subscriptionChanged:
            let subscription = event.subscriptionID.map { String($0.uuidString.lowercased().prefix(8)) } ?? "?"
            if let version = data["version"]?.intValue {
                what = "subscription  \(subscription) version \(version): \(text("status"))"
            } else {
                what = "subscription  \(subscription) \(text("change").replacingOccurrences(of: "_", with: " ")) by \(text("user"))"
            }
            what += data["insync"]?.boolValue == true ? ", in sync" : ", not in sync"
        }
        if let reason = data["reason"]?.stringValue { what += ": \(reason)" }
        return Rendering.shortTime(event.at) + "  " + what
    }
}

/// The watch as the group's only service: it shuts the group down when the process stops,
/// and stops following on graceful shutdown (Ctrl-C).
private final class WatchService: Service, Sendable {
    private let watch: ProcessWatch
    private let outcome = Mutex<Result<ProcessRecord?, any Error>>(.success(nil))

    init(_ watch: ProcessWatch) { self.watch = watch }

    func run() async throws {
        let result: Result<ProcessRecord?, any Error>
        do {
            result = .success(try await cancelWhenGracefulShutdown { try await self.watch.follow() })
        } catch {
            // Interrupted mid-read: a stop, not a failure.
            result = Task.isCancelled || error is CancellationError ? .success(nil) : .failure(error)
        }
        outcome.withLock { $0 = result }
    }

    /// The process where it stopped, nil when watching was interrupted, or what went wrong.
    func result() throws -> ProcessRecord? {
        try outcome.withLock { $0 }.get()
    }
}
