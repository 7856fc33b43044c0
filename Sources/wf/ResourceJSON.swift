import Foundation
import Persistence
import WorkflowEngine

/// The JSON of each resource, one builder each: what `--json` prints and what `wf serve`'s
/// API answers are the same document.
enum ResourceJSON {
    /// A workflow with its steps and the pages of its initial form.
    static func workflow(_ workflow: WorkflowDefinition) -> JSONValue {
        .object([
            "name": .string(workflow.name), "target": .string(workflow.target.rawValue),
            "description": .string(workflow.description), "version": .string(workflow.version),
            "steps": .array(workflow.steps.keys.map { .string($0.rawValue) }),
            "initial_form_pages": .array(
                (workflow.initialForm?.pages ?? []).map { .object(["name": .string($0.name), "title": .string($0.title)]) }),
        ])
    }

    static func product(_ row: ProductRow, engine: Engine) -> JSONValue {
        .object([
            "name": .string(row.name), "product_type": .string(row.type), "description": .string(row.description),
            "tag": .string(row.tag), "status": .string(row.status),
            "fixed_inputs": .object(row.fixedInputs.mapValues(JSONValue.string)), "subscriptions": .int(row.subscriptionCount),
            "root_block": engine.products[row.name].map { .string($0.root.name) } ?? .null,
            "workflows": .array((engine.products[row.name]?.workflows ?? []).map(JSONValue.string)),
        ])
    }

    /// One process whole: its record, state, the form it waits on (and its JSON Schema), each
    /// step with what it changed and the NetBox writes it made, and its inputs. Nil when no
    /// such process exists.
    static func process(_ id: ProcessID, store: any WorkflowStore, registry: WorkflowRegistry) async throws -> JSONValue? {
        guard let view = try await ProcessView.Loaded.load(id, store: store, registry: registry) else { return nil }
        guard case .object(var object) = Rendering.process(view.record, currentVersion: view.currentVersion) else { return nil }
        object["state"] = view.record.state.json
        object["schedule"] = view.scheduleRun.map(ScheduleView.json) ?? .null
        object["form"] = Rendering.form(view.record.form)
        object["form_schema"] = view.record.form?.jsonSchema ?? .null
        object["steps"] = .array(
            view.changes.map { step, change in
                guard case .object(var object) = Rendering.step(step, change: change) else { return .null }
                object["netbox_changes"] = .array((view.ledger.bySteps[step.stepID] ?? []).map(LedgerView.json))
                return .object(object)
            })
        object["uncommitted_netbox_changes"] = .array(view.ledger.uncommitted.joined().map(LedgerView.json))
        object["input_states"] = .array(
            view.inputs.map { input in
                .object([
                    "input_type": .string(input.kind.rawValue), "input_state": input.input.json,
                    "created_by": .string(input.createdBy), "input_time": Rendering.timestamp(input.inputTime),
                ])
            })
        return .object(object)
    }

    /// A subscription's model tree with its lock and users; with `at`, as it was then.
    static func subscription(_ records: SubscriptionRecords, at time: Date?) -> JSONValue {
        guard case .object(var object) = records.model.json else { return records.model.json }
        object["locked_by"] = records.lockedBy.map { .string($0.description) } ?? .null
        object["in_use_by"] = .array(records.usedBy.map { .string($0.subscriptionID.uuidString.lowercased()) })
        // A past view says so: the model as it was then, not as it is.
        object["as_of"] = time.map { .string(Rendering.shortTime($0)) } ?? .null
        return .object(object)
    }

    static func audit(_ entry: AuditEntry) -> JSONValue {
        .object([
            "time": Rendering.timestamp(entry.time), "user": .string(entry.user),
            "workflow": entry.workflow.map(JSONValue.string) ?? .null,
            "process_id": entry.processID.map { .string($0.description) } ?? .null, "action": .string(entry.action),
            "status": .string(entry.status), "subscription_versions": .array(entry.versions.map(JSONValue.string)),
        ])
    }
}
