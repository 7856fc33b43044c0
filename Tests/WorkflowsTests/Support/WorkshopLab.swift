import Foundation
import NetBox
import NetBoxLite
import Persistence
import Products
import WorkflowEngine
import WorkflowTestKit
import Workflows

/// The workshop on one machine: a fresh NetBoxLite with the default lab, a temporary
/// store with the catalog, and an engine with the shipped workflows and products.
final class WorkshopLab: Sendable {
    let server: NetBoxLiteServer
    let netbox: NetBoxClient
    let temporary: TemporaryStore
    let clock: ManualClock
    let engine: Engine

    var store: any WorkflowStore { temporary.store }

    /// `extra` products join the catalog's (a fixture product no workflow knows, say); `plan`
    /// names the prefixes to allocate from.
    init(
        kind: StoreKind = .default, store wrap: (@Sendable (any WorkflowStore) -> any ProcessStore)? = nil,
        products extra: [ProductDefinition] = [], plan: IPAMPlan = IPAMPlan()
    ) async throws {
        server = try await NetBoxLiteServer.start(NetBoxLiteConfiguration())
        netbox = NetBoxClient(NetBoxConfiguration(url: server.url, token: server.token))
        temporary = try await TemporaryStore(kind: kind, workflows: WorkflowCatalog.all, products: ProductCatalog.all + extra)
        clock = ManualClock(Date())
        let testing = try Engine.testing(
            store: temporary.store, workflows: WorkflowCatalog.all, products: try ProductRegistry(ProductCatalog.all + extra), clock: clock)
        engine = Engine(
            store: wrap?(temporary.store) ?? temporary.store, registry: testing.registry, products: testing.products,
            subscriptions: temporary.store, services: Services().registering(netbox).registering(plan).registeringNetBoxReleaser(),
            configuration: testing.configuration, environment: testing.environment, logger: testing.logger)
    }

    func stop() async {
        await server.stop()
    }

    /// Enrols a device as an active Node, confirming the config, and returns the subscription id.
    func enrol(_ deviceID: Int) async throws -> ProcessOutcome {
        let started = try await engine.start("create_node", input: ["device_id": .int(deviceID)], user: "alice")
        guard started.status == .suspended else { return started }
        return try await engine.resume(started.processID, input: ["confirmed": true], user: "alice")
    }
}

/// Runs `body` with a lab, stopping its server afterwards whatever happens.
func withWorkshop(
    kind: StoreKind = .default, store wrap: (@Sendable (any WorkflowStore) -> any ProcessStore)? = nil, products extra: [ProductDefinition] = [],
    plan: IPAMPlan = IPAMPlan(), _ body: (WorkshopLab) async throws -> Void
) async throws {
    let lab = try await WorkshopLab(kind: kind, store: wrap, products: extra, plan: plan)
    do {
        try await body(lab)
    } catch {
        await lab.stop()
        throw error
    }
    await lab.stop()
}
