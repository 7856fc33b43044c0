import Foundation
import Persistence
import WorkflowEngine

/// One read timed by `wf bench --scale`.
struct ScaleFigure {
    var name: String
    var times: [Duration]
    /// What the read found, when that says something about the figure.
    var note: String?

    init(name: String, times: [Duration], note: String? = nil) {
        self.name = name
        self.times = times
        self.note = note
    }

    var p50Millis: Double { Bench.percentile(times, 0.50).seconds * 1000 }
    var p99Millis: Double { Bench.percentile(times, 0.99).seconds * 1000 }
    var maxMillis: Double { (times.max() ?? .zero).seconds * 1000 }
    var withinGoal: Bool { p99Millis <= ScaleBench.goalMillis }
}

/// What `wf bench --scale` prints: the load, then each read's p50 and p99.
struct ScaleReport {
    var dialect: String
    var subscriptions: Int
    var nodes: Int
    var loadSeconds: Double
    var counts: BulkLoadCounts
    var figures: [ScaleFigure] = []

    var rowsPerSecond: Double { Double(counts.total) / loadSeconds }

    func print(json: Bool) {
        if json {
            JSONValue.object([
                "dialect": .string(dialect), "subscriptions": .int(subscriptions), "nodes": .int(nodes), "circuits": .int(subscriptions - nodes),
                "load_seconds": .double(loadSeconds), "rows": .int(counts.total), "rows_per_second": .double(rowsPerSecond),
                "rows_by_table": .object(counts.byTable.mapValues(JSONValue.int)), "goal_p99_ms": .double(ScaleBench.goalMillis),
                "measurements": .array(
                    figures.map { figure in
                        .object([
                            "name": .string(figure.name), "runs": .int(figure.times.count), "p50_ms": .double(figure.p50Millis),
                            "p99_ms": .double(figure.p99Millis), "max_ms": .double(figure.maxMillis), "within_goal": .bool(figure.withinGoal),
                            "note": figure.note.map(JSONValue.string) ?? .null,
                        ])
                    }),
            ]).printJSON()
            return
        }
        func format(_ value: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", value) }
        let tables = counts.byTable.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        Swift.print(
            """
            \(subscriptions) subscriptions (\(nodes) Nodes, \(subscriptions - nodes) Circuits) with their history on \(dialect)
              load      \(counts.total) rows in \(format(loadSeconds)) s: \(format(rowsPerSecond, 0)) rows/s
                        \(tables)
            """)
        Swift.print(
            Rendering.table(
                ["READ (random ids, names, users)", "RUNS", "P50 MS", "P99 MS", "MAX MS", "GOAL: P99 ≤ \(format(ScaleBench.goalMillis, 0)) MS"],
                figures.map { figure in
                    [
                        figure.name, String(figure.times.count), format(figure.p50Millis, 2), format(figure.p99Millis, 2),
                        format(figure.maxMillis, 2),
                        (figure.withinGoal ? "met" : "missed") + (figure.note.map { " (\($0))" } ?? ""),
                    ]
                }))
    }
}
