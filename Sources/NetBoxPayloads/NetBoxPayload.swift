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

/// The block types `buildPayload` knows; adding a type adds one case there and one name here.
public let supportedPayloadBlocks = [NodeBlock.blockName, PortBlock.blockName, Layer3InterfaceBlock.blockName, CircuitBlock.blockName]

/// Picks the NetBox payload from the type of `block`, with the subscription for context
/// (descriptions): the single-dispatch payload builder.
public func buildPayload(_ block: any ProductBlock, subscription: SubscriptionModel) throws -> NetBoxPayload {
    switch block {
    case let node as NodeBlock:
        guard let id = node.nodeID else { throw missing("node_id", of: node) }
        return .device(id: id, NetBoxClient.DevicePatch(status: node.nodeStatus, description: subscription.description))
    case let port as PortBlock:
        guard let id = port.portID else { throw missing("port_id", of: port) }
        return .interface(id: id, NetBoxClient.InterfacePatch(description: port.portDescription ?? subscription.description, enabled: true))
    case let side as Layer3InterfaceBlock:
        guard let port = side.port else { throw missing("port", of: side) }
        return try buildPayload(port, subscription: subscription)
    case let circuit as CircuitBlock:
        guard circuit.members.count == 2, let a = circuit.members[0].port?.portID, let b = circuit.members[1].port?.portID else {
            throw NetBoxPayloadError("a CircuitBlock needs two members with ports to become a cable")
        }
        return .cable(
            id: circuit.circuitID,
            NetBoxClient.CableRequest(
                aSide: a, bSide: b, status: circuit.circuitStatus ?? "planned", description: circuit.circuitDescription ?? subscription.description))
    default:
        throw NetBoxPayloadError(
            "NetBox has no payload for a \(type(of: block).blockName); supported: \(supportedPayloadBlocks.joined(separator: ", "))")
    }
}

private func missing(_ field: String, of block: any ProductBlock) -> NetBoxPayloadError {
    NetBoxPayloadError("\(type(of: block).blockName).\(field) is not set, so it has no NetBox object to update")
}

/// Why a block has no payload.
public struct NetBoxPayloadError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
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
