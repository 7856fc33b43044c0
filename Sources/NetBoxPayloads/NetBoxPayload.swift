import Foundation
import NetBox
import Products
import WorkflowEngine

/// What a product block becomes in NetBox: the payload, and the object it is for.
public enum NetBoxPayload: Sendable, Hashable {
    /// A device update (NodeBlock).
    case device(id: Int, NetBoxClient.DevicePatch)
    /// An interface update (PortBlock, Layer3InterfaceBlock).
    case interface(id: Int, NetBoxClient.InterfacePatch)
    /// A cable (CircuitBlock): created when `id` is nil, updated otherwise.
    case cable(id: Int?, NetBoxClient.CableRequest)
}

/// A product block that maps to one NetBox object. The payload builder dispatches on this
/// conformance, so building the payload of a block that maps to nothing does not compile.
public protocol NetBoxMapped: ProductBlock {
    /// The payload for this block, with the subscription for context (descriptions).
    func netBoxPayload(subscription: SubscriptionModel) throws -> NetBoxPayload
}

/// The single-dispatch payload builder: the NetBox payload of `block`, chosen by its type.
public func buildPayload(_ block: some NetBoxMapped, subscription: SubscriptionModel) throws -> NetBoxPayload {
    try block.netBoxPayload(subscription: subscription)
}

extension NodeBlock: NetBoxMapped {
    /// The device's status and description.
    public func netBoxPayload(subscription: SubscriptionModel) throws -> NetBoxPayload {
        guard let id = nodeID else { throw NetBoxPayloadError.missing("node_id", of: Self.self) }
        return .device(id: id, NetBoxClient.DevicePatch(status: nodeStatus, description: subscription.description))
    }
}

extension PortBlock: NetBoxMapped {
    /// The interface's description, enabled.
    public func netBoxPayload(subscription: SubscriptionModel) throws -> NetBoxPayload {
        guard let id = portID else { throw NetBoxPayloadError.missing("port_id", of: Self.self) }
        return .interface(id: id, NetBoxClient.InterfacePatch(description: portDescription ?? subscription.description, enabled: true))
    }
}

extension Layer3InterfaceBlock: NetBoxMapped {
    /// Its port's interface.
    public func netBoxPayload(subscription: SubscriptionModel) throws -> NetBoxPayload {
        guard let port else { throw NetBoxPayloadError.missing("port", of: Self.self) }
        return try port.netBoxPayload(subscription: subscription)
    }
}

extension CircuitBlock: NetBoxMapped {
    /// A cable between the two members' ports.
    public func netBoxPayload(subscription: SubscriptionModel) throws -> NetBoxPayload {
        guard members.count == 2, let a = members[0].port?.portID, let b = members[1].port?.portID else {
            throw NetBoxPayloadError(block: Self.blockName, field: "members", reason: "needs two members with ports to become a cable")
        }
        return .cable(
            id: circuitID,
            NetBoxClient.CableRequest(
                aSide: a, bSide: b, status: circuitStatus ?? "planned", description: circuitDescription ?? subscription.description))
    }
}

/// Why a block has no payload: which block, which of its fields, and why.
public struct NetBoxPayloadError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The block type (`NodeBlock`).
    public var block: String
    /// The field in the way (`node_id`).
    public var field: String
    public var reason: String

    public init(block: String, field: String, reason: String) {
        self.block = block
        self.field = field
        self.reason = reason
    }

    /// A NetBox id (or the block holding it) that is not set yet.
    static func missing(_ field: String, of block: (some ProductBlock).Type) -> NetBoxPayloadError {
        NetBoxPayloadError(block: block.blockName, field: field, reason: "is not set, so it has no NetBox object to update")
    }

    public var description: String { "\(block).\(field) \(reason)" }
}

extension NetBoxClient {
    /// Creates the object (a cable without an id); other payloads are updates of existing objects.
    @discardableResult
    public func create(_ payload: NetBoxPayload) async throws -> Int {
        switch payload {
        case .cable(nil, let request): return try await createCable(request).id
        default: return try await update(payload)
        }
    }

    /// Writes the payload to its endpoint and returns the object's id.
    @discardableResult
    public func update(_ payload: NetBoxPayload) async throws -> Int {
        switch payload {
        case .device(let id, let patch): return try await updateDevice(id: id, patch).id
        case .interface(let id, let patch): return try await updateInterface(id: id, patch).id
        case .cable(let id?, let request):
            return try await updateCable(
                id: id, NetBoxClient.CablePatch(status: request.status, label: request.label, description: request.description)
            ).id
        case .cable(nil, let request): return try await createCable(request).id
        }
    }

    /// Deletes what can be deleted (a cable); devices and interfaces belong to the inventory
    /// and are only released (an interface's description cleared).
    public func delete(_ payload: NetBoxPayload) async throws {
        switch payload {
        case .cable(let id?, _): try await deleteCable(id: id)
        case .cable(nil, _): break
        case .interface(let id, _): _ = try await updateInterface(id: id, InterfacePatch(description: ""))
        case .device(let id, _): _ = try await updateDevice(id: id, DevicePatch(status: "planned", description: ""))
        }
    }
}

/// NetBox's transient failures park a process instead of failing it.
extension NetBoxError: RetryClassifying {}
