import Persistence
import Testing
import WorkflowEngine

/// For processes of `task_engine_check` (five steps, `check_1` … `check_5`): exactly one
/// success row for each step, and each process completed. Names the first ten problems.
func expectEveryStepSucceededOnce(_ ids: [ProcessID], in store: PostgresStore) async throws {
    var problems: [String] = []
    for id in ids {
        let steps = try await store.steps(of: id)
        let successes = Dictionary(grouping: steps.filter { $0.status == .success }, by: \.key).mapValues(\.count)
        for number in 1...5 where successes[StepKey("check_\(number)")] != 1 {
            // The whole log, so that a failure shows what happened instead of the step.
            let log = steps.map { "\($0.key) \($0.status.rawValue) attempt \($0.attempt) at \($0.completedAt.timeIntervalSince1970)" }
            problems.append("\(id): check_\(number) succeeded \(successes[StepKey("check_\(number)")] ?? 0) times; log: \(log)")
        }
        if try await store.process(id)?.status != .completed { problems.append("\(id) did not complete") }
    }
    #expect(problems.isEmpty, "\(problems.prefix(10))")
}
