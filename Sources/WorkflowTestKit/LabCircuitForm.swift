import Foundation
import Synchronization
import WorkflowEngine

/// A small lab for form tests: three nodes with a few ports each, and a four-page form in
/// the shape of create_circuit (A-side node, A-side port, B-side node, B-side port). It
/// counts how often the inventory is asked, so tests can check what a session caches.
public final class LabInventory: Sendable {
    public struct Node: Sendable {
        public let id: Int
        public let name: String
        public let ports: [String]
    }

    public let nodes: [Node] = [
        Node(id: 1, name: "rt1.lab", ports: ["xe-0/0/0", "xe-0/0/1", "xe-0/0/2"]),
        Node(id: 2, name: "rt2.lab", ports: ["et-1/0/0", "et-1/0/1"]),
        Node(id: 3, name: "rt3.lab", ports: ["xe-0/1/0"]),
    ]
    private let calls = Mutex(0)

    public init() {}

    /// How many times the inventory was asked for anything.
    public var callCount: Int { calls.withLock { $0 } }

    public func nodeChoices() async -> [Choice] {
        calls.withLock { $0 += 1 }
        return nodes.map { Choice(.int($0.id), label: $0.name) }
    }

    public func portChoices(of node: Int) async -> [Choice] {
        calls.withLock { $0 += 1 }
        return (nodes.first { $0.id == node }?.ports ?? []).map { Choice(.string($0), label: $0) }
    }

    public static let nodeA = StateKey<Int>("node_a")
    public static let nodeB = StateKey<Int>("node_b")

    /// The four pages; the port pages list the ports of the node chosen before them, and the
    /// B-side page refuses the A-side node.
    public var circuitForm: FormFlow {
        FormFlow([
            .init("a_side", "A-side node") { context in
                [.choice("node_a", "A-side node", choices: try await context.cached("nodes") { await self.nodeChoices() })]
            },
            .init("a_port", "A-side port") { context in
                let node = try context.answers.value(for: Self.nodeA)
                return [.choice("port_a", "A-side port", choices: try await context.cached("ports:\(node)") { await self.portChoices(of: node) })]
            },
            FormFlow.Page("b_side", "B-side node") { context in
                [.choice("node_b", "B-side node", choices: try await context.cached("nodes") { await self.nodeChoices() })]
            }
            .validate { answers in
                (try? answers.value(for: Self.nodeA)) == (try? answers.value(for: Self.nodeB))
                    ? [FieldProblem(field: "node_b", reason: "cannot be the A-side node")] : []
            },
            .init("b_port", "B-side port") { context in
                let node = try context.answers.value(for: Self.nodeB)
                return [
                    .choice("port_b", "B-side port", choices: try await context.cached("ports:\(node)") { await self.portChoices(of: node) }),
                    .text("description", "Description", required: false, default: "lab circuit", length: 1...64),
                ]
            },
        ])
    }

    /// A workflow around the form, for tests that start processes with it.
    public var circuitWorkflow: WorkflowDefinition {
        WorkflowDefinition(
            name: "fixture_create_circuit", target: .create, description: "a circuit between two lab nodes", initialForm: circuitForm,
            steps: StepList([Step.updating("record") { _ in ["recorded": true] }, done]))
    }
}
