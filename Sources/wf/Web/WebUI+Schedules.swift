import Foundation
import Hummingbird
import Persistence
import WorkflowEngine

/// The schedules page: every schedule with its next and last run, the latest runs, and for an
/// admin the buttons to pause, resume or run one now.
extension WebUI {
    func schedules(_ identity: Identity, notice: String?) async throws -> Outcome {
        let schedules = try await store.schedules()
        let canChange = identity.allows(.administer("change schedules"))
        var rows: [[String: Any]] = []
        for schedule in schedules {
            let last = try await store.scheduleRuns(of: schedule.id, limit: 1).first
            rows.append([
                "name": schedule.name, "workflow": schedule.workflow.description, "cron": schedule.cron, "zone": schedule.timeZone,
                "state": schedule.paused ? "paused" : "active", "state_class": schedule.paused ? "suspended" : "completed",
                "next": schedule.paused ? "-" : ScheduleView.due(schedule), "last_time": last.map { short($0.firedAt) } ?? "never",
                "last_process": last?.processID?.description ?? "", "has_last_process": last?.processID != nil,
                "last_refusal": last?.refusal ?? "", "has_last_refusal": last?.refusal != nil,
                "toggle": schedule.paused ? "resume" : "pause", "toggle_label": schedule.paused ? "Resume" : "Pause",
                "can_change": canChange,
            ])
        }
        let runs = try await store.scheduleRuns(of: nil, limit: 20).map { run -> [String: Any] in
            [
                "schedule": run.scheduleName, "due": short(run.dueAt), "fired": short(run.firedAt), "by": run.firedBy,
                "process": run.processID?.description ?? "", "short": run.processID.map { String($0.description.prefix(8)) } ?? "",
                "has_process": run.processID != nil, "refusal": run.refusal ?? "", "has_refusal": run.refusal != nil,
            ]
        }
        return .render(
            "schedules",
            [
                "rows": rows, "has_rows": !rows.isEmpty, "runs": runs, "has_runs": !runs.isEmpty, "can_change": canChange,
                "notice": notice ?? "", "has_notice": !(notice ?? "").isEmpty,
            ], nav: "schedules")
    }

    func actOnSchedule(_ action: String, name: String, request: Request, context: APIContext, identity: Identity) async throws -> Outcome {
        let form = try await WebFormData.read(request, context: context)
        guard WebSession.checkCSRF(form, context: context) else {
            throw WebRefusal(
                status: .forbidden, heading: "Not sent from this page",
                message: "The form did not carry this session's check value: reload the page and try again.", back: "/schedules")
        }
        _ = try context.require(.administer("change schedules"))
        let notice: String
        switch action {
        case "run":
            let schedule = try await ScheduleAdmin.find(name, in: store)
            let run = try await Scheduler(engine: engine, store: store).runNow(schedule, user: identity.user)
            if let refusal = run.refusal {
                throw WebRefusal(status: .conflict, heading: "\(name) could not start", message: refusal, back: "/schedules")
            }
            return .redirect("/processes/\(run.processID?.description ?? "")")
        default:
            let schedule = try await ScheduleAdmin.setPaused(name, paused: action == "pause", store: store)
            notice = schedule.paused ? "Paused \(name)." : "Resumed \(name); next run \(ScheduleView.due(schedule))."
        }
        let query = notice.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&+="))) ?? ""
        return .redirect("/schedules?notice=\(query)")
    }
}
