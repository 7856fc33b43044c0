import ArgumentParser
import Foundation
import Persistence
import WorkflowEngine

/// `wf schedule add|list|show|pause|resume|remove|run-now`: workflows started on a cron
/// expression by the schedulers in `wf serve` and `wf worker`.
struct ScheduleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedule", abstract: "Start workflows on a cron schedule (fired by every running wf serve and wf worker, once per due time).",
        discussion: """
            A schedule names a workflow, a 5-field cron expression (minute hour day-of-month month day-of-week, with lists, ranges, \
            steps and names, or @hourly, @daily, @weekly, @monthly, @yearly) and a time zone. Its processes run as user `scheduler` \
            and are listed with the schedule. A scheduler that was down fires a missed schedule once, for the latest missed time. \
            In a time zone with daylight saving time, a time the clock skips fires once, when the clock jumps; a time the clock \
            passes twice fires the first time only, unless the hour field is * (then it follows the clock both times).
            """,
        subcommands: [Add.self, List.self, Show.self, Pause.self, Resume.self, Remove.self, RunNow.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a schedule.",
            discussion: "Example: wf schedule add office-hours --workflow validate_subscriptions --cron \"0 9-16 * * 0-5\" --tz Europe/Amsterdam")

        @Argument(help: "Its name: 1 to 64 letters, digits, '-', '_' or '.'.") var name: String
        @Option(name: .long, help: "The workflow to start (see `wf workflows`).") var workflow: String
        @Option(name: .long, help: "When: a 5-field cron expression or a shorthand such as @hourly (quote it).") var cron: String
        @Option(name: .long, help: "The IANA time zone the expression is read in (default: UTC).") var tz = "UTC"
        @Option(name: .long, help: "A JSON file (or - for standard input) with the answers to the workflow's form, as `wf start --input`.")
        var input: String?
        @OptionGroup var actor: ActorOptions
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await runCommand {
                let answers = try input.map(ScheduleAdmin.readInput) ?? .object([:])
                let runtime = try await Runtime.open(database)
                let schedule = try await ScheduleAdmin.add(
                    name: name, workflow: workflow, cron: cron, timeZone: tz, input: answers, user: actor.resolvedUser, runtime: runtime)
                if output.json {
                    ScheduleView.json(schedule, runs: []).printJSON()
                } else {
                    print("added schedule \(schedule.name): \(schedule.workflow) at \"\(schedule.cron)\" (\(schedule.timeZone))")
                    print("next run: \(ScheduleView.due(schedule))")
                }
                return 0
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the schedules with their next and last runs.")

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await runCommand {
                let runtime = try await Runtime.open(database)
                let schedules = try await runtime.store.schedules()
                var last: [UUID: ScheduleRun] = [:]
                for schedule in schedules { last[schedule.id] = try await runtime.store.scheduleRuns(of: schedule.id, limit: 1).first }
                if output.json {
                    JSONValue.array(schedules.map { ScheduleView.json($0, runs: last[$0.id].map { [$0] } ?? []) }).printJSON()
                    return 0
                }
                guard !schedules.isEmpty else {
                    print("no schedules; add one with `wf schedule add NAME --workflow WORKFLOW --cron \"0 * * * *\"`")
                    return 0
                }
                print(
                    Rendering.table(
                        ["NAME", "WORKFLOW", "CRON", "TIME ZONE", "STATE", "NEXT RUN", "LAST RUN"],
                        schedules.map { schedule in
                            [
                                schedule.name, schedule.workflow, schedule.cron, schedule.timeZone, schedule.paused ? "paused" : "active",
                                schedule.paused ? "-" : ScheduleView.due(schedule), last[schedule.id].map(ScheduleView.summary) ?? "never",
                            ]
                        }))
                return 0
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a schedule and its latest runs, with the processes they started.")

        @Argument(help: "The schedule's name.") var name: String
        @Option(name: .long, help: "How many runs to show.") var runs = 20
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await runCommand {
                let runtime = try await Runtime.open(database)
                let schedule = try await ScheduleAdmin.find(name, in: runtime.store)
                let history = try await runtime.store.scheduleRuns(of: schedule.id, limit: max(1, runs))
                if output.json {
                    ScheduleView.json(schedule, runs: history).printJSON()
                    return 0
                }
                print("schedule \(schedule.name)  \(schedule.paused ? "paused" : "active")")
                print("workflow:   \(schedule.workflow)")
                print("cron:       \(schedule.cron) (\(schedule.timeZone))")
                print("input:      \(schedule.input.jsonText)")
                print("next run:   \(schedule.paused ? "- (paused)" : ScheduleView.due(schedule))")
                print("created:    \(Rendering.shortTime(schedule.createdAt)) by \(schedule.createdBy)")
                guard !history.isEmpty else {
                    print("runs:       none yet")
                    return 0
                }
                print("")
                print(
                    Rendering.table(
                        ["DUE", "FIRED", "BY", "PROCESS", "OUTCOME"],
                        history.map { run in
                            [
                                Rendering.shortTime(run.dueAt), Rendering.shortTime(run.firedAt), run.firedBy, run.processID?.description ?? "-",
                                run.refusal.map { "refused: \($0)".clipped(100) } ?? "started",
                            ]
                        }))
                return 0
            }
        }
    }

    struct Pause: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Pause a schedule: it fires nothing until resumed (and does not catch up then).")

        @Argument(help: "The schedule's name.") var name: String
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            try await runCommand {
                let runtime = try await Runtime.open(database)
                let schedule = try await ScheduleAdmin.setPaused(name, paused: true, store: runtime.store)
                print("paused schedule \(schedule.name)")
                return 0
            }
        }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Resume a paused schedule from now on.")

        @Argument(help: "The schedule's name.") var name: String
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            try await runCommand {
                let runtime = try await Runtime.open(database)
                let schedule = try await ScheduleAdmin.setPaused(name, paused: false, store: runtime.store)
                print("resumed schedule \(schedule.name); next run: \(ScheduleView.due(schedule))")
                return 0
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a schedule. Its past runs and their processes stay; the default schedule, once removed, is not made again.")

        @Argument(help: "The schedule's name.") var name: String
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            try await runCommand {
                let runtime = try await Runtime.open(database)
                guard try await runtime.store.removeSchedule(named: name) else { throw ScheduleAdmin.notFound(name) }
                print("removed schedule \(name)")
                return 0
            }
        }
    }

    struct RunNow: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run-now", abstract: "Start a schedule's workflow now, as its own run (a worker runs the process).")

        @Argument(help: "The schedule's name.") var name: String
        @OptionGroup var actor: ActorOptions
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await runCommand {
                let runtime = try await Runtime.open(database)
                let schedule = try await ScheduleAdmin.find(name, in: runtime.store)
                let run = try await Scheduler(engine: runtime.engine, store: runtime.store).runNow(schedule, user: actor.resolvedUser)
                if output.json {
                    ScheduleView.json(run).printJSON()
                    return run.refusal == nil ? 0 : 1
                }
                if let refusal = run.refusal {
                    printError("error: schedule \(schedule.name) could not start \(schedule.workflow): \(refusal)")
                    return 1
                }
                print("started process \(run.processID?.description ?? "-") (\(schedule.workflow)) for schedule \(schedule.name)")
                print("a worker runs it: `wf worker`, or `wf serve`; follow it with `wf process watch \(run.processID?.description.prefix(8) ?? "")`")
                return 0
            }
        }
    }
}

/// What the CLI and the API share about schedules: checks, lookups.
enum ScheduleAdmin {
    /// Adds a schedule after checking every part of it, naming the first that is wrong:
    /// the name, the workflow, the cron expression, the time zone, the answers (checked
    /// against the workflow's form as a start would check them now).
    static func add(name: String, workflow: String, cron: String, timeZone: String, input: JSONValue, user: String, runtime: Runtime)
        async throws -> Schedule
    {
        try Schedule.checkName(name)
        let workflowName = WorkflowName(workflow)
        guard runtime.engine.registry[workflowName] != nil else {
            let known = runtime.engine.registry.workflows.map(\.name).sorted().joined(separator: ", ")
            throw WorkflowError(.unknownWorkflow, "no workflow is named '\(workflow)'; the workflows are: \(known)")
        }
        let now = Date()
        var schedule = Schedule(
            id: UUID(), name: name, workflow: workflowName, cron: cron.trimmingCharacters(in: .whitespaces), timeZone: timeZone, input: input,
            createdBy: user, createdAt: now)
        let (parsed, zone) = try schedule.parsed()
        schedule.cron = parsed.description
        _ = try await runtime.engine.validate(workflowName, input: try FormInput(json: input))
        schedule.nextDueAt = parsed.nextDue(after: now, in: zone)
        try await runtime.store.addSchedule(schedule)
        return schedule
    }

    static func find(_ name: String, in store: any WorkflowStore) async throws -> Schedule {
        guard let schedule = try await store.schedule(named: name) else { throw notFound(name) }
        return schedule
    }

    static func notFound(_ name: String) -> WorkflowError {
        WorkflowError(.scheduleNotFound, "no schedule is named '\(name)' (see `wf schedule list`)")
    }

    /// Pauses or resumes; a resumed schedule's next run is computed from now.
    static func setPaused(_ name: String, paused: Bool, store: any WorkflowStore) async throws -> Schedule {
        var schedule = try await find(name, in: store)
        let nextDue = paused ? nil : try schedule.parsed().cron.nextDue(after: Date(), in: try schedule.parsed().zone)
        guard try await store.setSchedulePaused(name, paused: paused, nextDue: nextDue) else { throw notFound(name) }
        schedule.paused = paused
        if let nextDue { schedule.nextDueAt = nextDue }
        return schedule
    }

    /// The answers in `path` (or standard input for `-`): a JSON object, or an array of one per page.
    static func readInput(_ path: String) throws -> JSONValue {
        let text: String
        if path == "-" {
            text = AnyIterator { readLine(strippingNewline: false) }.joined()
        } else {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw CLIError("cannot read the input file \(path)", code: 66)
            }
            text = String(decoding: data, as: UTF8.self)
        }
        let value: JSONValue
        do { value = try JSONValue.parse(text) } catch { throw CLIError("\(path == "-" ? "standard input" : path) is not JSON: \(error)", code: 65) }
        _ = try FormInput(json: value)
        return value
    }
}

/// How schedules and runs read, in text and in JSON (the API's shape too).
enum ScheduleView {
    static func due(_ schedule: Schedule) -> String {
        guard let next = schedule.nextDueAt else { return "computed when a scheduler first runs" }
        guard let zone = TimeZone(identifier: schedule.timeZone), zone.identifier != "UTC" && zone.identifier != "GMT" else {
            return UTCTimeText.text(next, separator: " ", zone: " UTC").dropMilliseconds
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = zone
        formatter.dateFormat = "yyyy-MM-dd HH:mm zzz"
        return "\(formatter.string(from: next)) (\(UTCTimeText.text(next, separator: " ", zone: " UTC").dropMilliseconds))"
    }

    static func summary(_ run: ScheduleRun) -> String {
        let when = Rendering.shortTime(run.firedAt)
        if run.refusal != nil { return "\(when) refused" }
        return "\(when) \(run.processID.map { String($0.description.prefix(8)) } ?? "-")"
    }

    static func json(_ schedule: Schedule, runs: [ScheduleRun]) -> JSONValue {
        .object([
            "schedule_id": .string(schedule.id.uuidString.lowercased()),
            "name": .string(schedule.name),
            "workflow": .string(schedule.workflow.description),
            "cron": .string(schedule.cron),
            "time_zone": .string(schedule.timeZone),
            "input": schedule.input,
            "paused": .bool(schedule.paused),
            "next_due_at": Rendering.timestamp(schedule.nextDueAt),
            "created_by": .string(schedule.createdBy),
            "created_at": Rendering.timestamp(schedule.createdAt),
            "runs": .array(runs.map(json)),
        ])
    }

    static func json(_ run: ScheduleRun) -> JSONValue {
        .object([
            "schedule": .string(run.scheduleName),
            "due_at": Rendering.timestamp(run.dueAt),
            "fired_at": Rendering.timestamp(run.firedAt),
            "fired_by": .string(run.firedBy),
            "process_id": run.processID.map { .string($0.description) } ?? .null,
            "refusal": run.refusal.map(JSONValue.string) ?? .null,
        ])
    }
}

extension String {
    /// `2026-12-05 10:00:00.000 UTC` without its milliseconds.
    fileprivate var dropMilliseconds: String { replacingOccurrences(of: ".000", with: "") }
}
