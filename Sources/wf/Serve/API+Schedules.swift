import Foundation
import Hummingbird
import Persistence
import WorkflowEngine

/// `/api/schedules`: what `wf schedule` does, for admins (viewers and operators may read).
extension API {
    func registerSchedules(on router: Router<APIContext>) {
        router.get("/api/schedules") { _, context in
            _ = try context.require(.read)
            var items: [JSONValue] = []
            for schedule in try await store.schedules() {
                items.append(ScheduleView.json(schedule, runs: try await store.scheduleRuns(of: schedule.id, limit: 1)))
            }
            return Response.json(.object(["items": .array(items)]))
        }
        router.post("/api/schedules") { request, context in
            let identity = try context.require(.administer("change schedules"))
            let body = try await Self.body(request, context: context)
            guard case .object(let fields) = body else { throw APIProblem.badRequest("the body must be a JSON object", code: "invalid_input") }
            let known: Set<String> = ["name", "workflow", "cron", "time_zone", "input"]
            if let unknown = fields.keys.sorted().first(where: { !known.contains($0) }) {
                throw APIProblem.badRequest(
                    "unknown field '\(unknown)'", problems: [FieldProblem(field: unknown, reason: "is not a field of a schedule")])
            }
            func text(_ name: String, default value: String? = nil) throws -> String {
                guard let given = fields[name], given != .null else {
                    if let value { return value }
                    throw APIProblem.badRequest("\(name) is required", problems: [FieldProblem(field: name, reason: "is required")])
                }
                guard let string = given.stringValue else {
                    throw APIProblem.badRequest("\(name) must be text", problems: [FieldProblem(field: name, reason: "is not text")])
                }
                return string
            }
            let schedule = try await ScheduleAdmin.add(
                name: try text("name"), workflow: try text("workflow"), cron: try text("cron"), timeZone: try text("time_zone", default: "UTC"),
                input: fields["input"] ?? .object([:]), user: identity.user, runtime: runtime)
            return Response.json(ScheduleView.json(schedule, runs: []), status: .created)
        }
        router.get("/api/schedules/:name") { _, context in
            _ = try context.require(.read)
            let schedule = try await ScheduleAdmin.find(try context.parameters.require("name"), in: store)
            return Response.json(ScheduleView.json(schedule, runs: try await store.scheduleRuns(of: schedule.id, limit: 50)))
        }
        router.delete("/api/schedules/:name") { _, context in
            _ = try context.require(.administer("change schedules"))
            let schedule = try await ScheduleAdmin.find(try context.parameters.require("name"), in: store)
            guard try await store.removeSchedule(named: schedule.name) else { throw ScheduleAdmin.notFound(schedule.name) }
            return Response.json(ScheduleView.json(schedule, runs: []))
        }
        router.post("/api/schedules/:name/pause") { _, context in try await setPaused(true, context: context) }
        router.post("/api/schedules/:name/resume") { _, context in try await setPaused(false, context: context) }
        router.post("/api/schedules/:name/run") { _, context in
            let identity = try context.require(.administer("change schedules"))
            let schedule = try await ScheduleAdmin.find(try context.parameters.require("name"), in: store)
            let run = try await Scheduler(engine: engine, store: store).runNow(schedule, user: identity.user)
            if let refusal = run.refusal {
                // Recorded as a refused run; the problem document carries it.
                throw APIProblem(
                    .conflict, code: "start_refused", "schedule \(schedule.name) could not start \(schedule.workflow): \(refusal)",
                    extra: ["run": ScheduleView.json(run)])
            }
            return Response.json(ScheduleView.json(run), status: .accepted)
        }
    }

    /// Pauses or resumes the schedule the path names (admin).
    private func setPaused(_ paused: Bool, context: APIContext) async throws -> Response {
        _ = try context.require(.administer("change schedules"))
        let schedule = try await ScheduleAdmin.setPaused(try context.parameters.require("name"), paused: paused, store: store)
        return Response.json(ScheduleView.json(schedule, runs: []))
    }
}
