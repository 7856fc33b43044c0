import Foundation
import Products
import Testing
import WorkflowEngine
import WorkflowTestKit

@testable import Persistence

/// The pure planners both stores execute: no database, only the rows they decide on.
@Suite(.storeSlots)
struct SubscriptionRowPlanTests {
    /// Ids 00000000-0000-0000-0000-00000000000N, in the order the plan asks for them.
    final class Counter {
        var next = 0
        func id() -> UUID {
            next += 1
            return UUID(uuidString: String(format: "00000000-0000-0000-0000-%012d", next))!
        }
    }

    static func id(_ n: Int) -> String { String(format: "00000000-0000-0000-0000-%012d", n) }

    static let model: JSONValue = [
        "label": "edge", "tags": ["a", "b"], "empty_tags": [], "cleared": .null,
        "extra": ["item_name": "e"], "items": [["item_name": "i0", "position": 0]],
    ]

    static func write(_ root: JSONValue, status: Lifecycle = .active) -> SubscriptionWrite {
        SubscriptionWrite(
            SubscriptionModel(
                subscriptionID: UUID(uuidString: id(99))!, productName: "Sample", customerID: "acme", description: "sample", status: status,
                insync: true, root: root),
            product: Subscriptions.sample)
    }

    static let blockIDs = ["SampleBlock": "block-sample", "SampleItemBlock": "block-item"]

    @Test func aSmallModelBecomesItsInstanceValueAndRelationRows() throws {
        let counter = Counter()
        let plan = try SubscriptionRowPlan(
            Self.write(Self.model), owners: [:], blockIDs: Self.blockIDs, instanceIDsAreUUIDs: true, makeID: counter.id)
        let (root, extra, item) = (Self.id(1), Self.id(2), Self.id(3))
        #expect(
            plan.instances == [
                .init(id: root, blockID: "block-sample", label: "sample"), .init(id: extra, blockID: "block-item", label: nil),
                .init(id: item, blockID: "block-item", label: nil),
            ])
        #expect(
            plan.values == [
                .init(instance: root, field: "label", text: "edge", type: "string", index: nil),
                .init(instance: root, field: "tags", text: "a", type: "string", index: 0),
                .init(instance: root, field: "tags", text: "b", type: "string", index: 1),
                .init(instance: root, field: "empty_tags", text: nil, type: "empty_list", index: -1),
                .init(instance: root, field: "cleared", text: nil, type: "null", index: nil),
                .init(instance: extra, field: "item_name", text: "e", type: "string", index: nil),
                .init(instance: item, field: "item_name", text: "i0", type: "string", index: nil),
                .init(instance: item, field: "position", text: "0", type: "int", index: nil),
            ])
        #expect(
            plan.relations == [
                .init(parent: root, child: extra, attribute: "extra", order: nil), .init(parent: root, child: item, attribute: "items", order: 0),
            ])
        #expect(plan.fields == ["cleared", "empty_tags", "item_name", "label", "position", "tags"])
        #expect(plan.gone(from: [root, Self.id(7)]) == [Self.id(7)])
    }

    @Test func theRowsReadBackAsTheModelWithItsIDs() throws {
        let root = BlockSchema(SampleBlock.self).assigningInstanceIDs(Self.model, Counter().id)
        let plan = try SubscriptionRowPlan(Self.write(root), owners: [:], blockIDs: Self.blockIDs, instanceIDsAreUUIDs: true)
        let tree = BlockTree(values: plan.values, relations: plan.relations)
        #expect(try tree.block(Self.id(1)) == root)
    }

    @Test func aBlockOfAnotherSubscriptionIsPointedAtNotWritten() throws {
        let other = Self.id(42)
        let root: JSONValue = ["subscription_instance_id": .string(Self.id(1)), "extra": ["subscription_instance_id": .string(other)]]
        let plan = try SubscriptionRowPlan(
            Self.write(root), owners: [other: Self.id(50)], blockIDs: Self.blockIDs, instanceIDsAreUUIDs: true)
        #expect(plan.instances.map(\.id) == [Self.id(1)])
        #expect(plan.relations == [.init(parent: Self.id(1), child: other, attribute: "extra", order: nil)])
        #expect(BlockSchema.instanceIDs(in: root).sorted() == [Self.id(1), other])
    }

    @Test func aNonUUIDInstanceIDIsRefusedOnlyWhereTheColumnIsAUUID() throws {
        let root: JSONValue = ["subscription_instance_id": "not-a-uuid"]
        #expect(throws: WorkflowError.self) {
            try SubscriptionRowPlan(Self.write(root), owners: [:], blockIDs: Self.blockIDs, instanceIDsAreUUIDs: true)
        }
        let plan = try SubscriptionRowPlan(Self.write(root), owners: [:], blockIDs: Self.blockIDs, instanceIDsAreUUIDs: false)
        #expect(plan.instances.map(\.id) == ["not-a-uuid"])
    }

    @Test func uniqueKeysAreTheSetRootValuesOfALiveSubscription() throws {
        let node = SubscriptionWrite(try Subscriptions.node("n1", id: 7), product: NodeProduct.definition)
        #expect(SubscriptionRowPlan.uniqueKeys(of: node) == [.init(field: "node_id", text: "7")])
        var terminated = node
        terminated.model.status = .terminated
        #expect(SubscriptionRowPlan.uniqueKeys(of: terminated).isEmpty)
    }

    @Test func aCatalogSyncCreatesWhatIsMissingAndReportsWhatIsNotInCode() throws {
        var stored = CatalogSyncPlan<Int>.Stored()
        stored.blocks = ["SampleItemBlock": 1, "OldBlock": 2]
        stored.resourceTypes = ["item_name", "old_field"]
        stored.products = ["Sample": .init(id: 3, description: "was different", type: "Sample", tag: "SAMPLE")]
        stored.fixedInputs = [3: ["speed": "1G"]]
        var next = 100
        let plan = try CatalogSyncPlan([Subscriptions.sample], stored: stored) {
            next += 1
            return next
        }
        #expect(plan.newBlocks.map(\.name) == ["SampleBlock"])
        #expect(plan.newBlocks.map(\.id) == [101])
        #expect(
            plan.newResourceTypes.map(\.name) == [
                "label", "count", "enabled", "ratio", "tags", "empty_tags", "cleared", "absent", "extra",
                "missing_extra", "null_extra", "items", "position",
            ])
        #expect(plan.blockRelations.map { [$0.parent, $0.child] } == [[101, 1], [101, 1], [101, 1], [101, 1]])
        #expect(plan.changedProducts.map(\.id) == [3])
        #expect(plan.newProducts.isEmpty)
        #expect(plan.productBlocks.map { [$0.product, $0.block] } == [[3, 101]])
        #expect(plan.report.created == ["product block SampleBlock"])
        #expect(plan.report.updated == ["product Sample"])
        #expect(
            plan.report.orphans == [
                "fixed input Sample.speed (not in code)", "product block OldBlock (not in code)", "resource type old_field (not in code)",
            ])
    }
}
