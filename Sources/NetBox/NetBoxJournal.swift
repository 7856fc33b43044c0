import Foundation
import Synchronization

/// One write a `NetBoxClient` is about to send: what a journal (the orchestrator's ledger)
/// records before the call. JSON fields are the bytes as sent or read.
public struct NetBoxWrite: Sendable, Hashable {
    public enum Action: String, Sendable, Hashable {
        case create, update, delete
    }

    public var action: Action
    /// NetBox's model name: `ipam.prefix`, `ipam.ip-address`, `dcim.cable`, `dcim.device`, `dcim.interface`.
    public var objectType: String
    public var objectID: Int?
    public var label: String?
    /// The caller's own name for a created object, by which a later run adopts it.
    public var key: String?
    public var sent: Data?
    /// For an update: the values the sent fields had before, as NetBox wrote them.
    public var replaced: Data?
    /// For a create: how to find the object again when the answer is lost (`NetBoxFinder`).
    public var finder: NetBoxFinder?
}

/// How to find an object a create made when its answer never came back: the query a
/// look-before-create runs.
public enum NetBoxFinder: Sendable, Hashable, Codable {
    /// A prefix inside `within` with exactly this description and length.
    case prefix(within: String, description: String, length: Int)
    /// An address inside `parent` assigned to `interface` (or unassigned, when nil) with this description.
    case address(parent: String, interface: Int?, description: String)
    /// The cable on interface `a` that ends on `b`.
    case cable(a: Int, b: Int)
}

/// What a write answered: the object's id and label, and NetBox's body.
public struct NetBoxWritten: Sendable, Hashable {
    public var objectID: Int?
    public var label: String?
    public var answer: Data?
    /// NetBox's `X-Request-ID` for the write, which the webhook deliveries it causes carry as
    /// `request.id`: how the receiver tells the orchestrator's own changes from others.
    public var requestID: String?
}

/// Collects the `X-Request-ID` of the writes sent while it is set (see `recorded`).
final class WriteRequestIDs: Sendable {
    @TaskLocal static var current: WriteRequestIDs?
    private let last = Mutex<String?>(nil)

    func record(_ id: String) { last.withLock { $0 = id } }
    var value: String? { last.withLock { $0 } }
}

/// Where a client records its writes. `willWrite` runs before the request is sent and may
/// refuse it (the caller lost its right to write); `didWrite` and `writeFailed` after.
public protocol NetBoxJournal: Sendable {
    func willWrite(_ write: NetBoxWrite) async throws -> UUID
    func didWrite(_ ticket: UUID, _ written: NetBoxWritten) async throws
    /// NetBox refused the write or it failed for certain; `uncertain` when it may have been
    /// made (a timeout, a lost connection), which a later run's finder settles.
    func writeFailed(_ ticket: UUID, error: any Error, uncertain: Bool) async throws
}

extension NetBoxClient {
    /// This client, recording every write in `journal`.
    public func journaled(_ journal: any NetBoxJournal) -> NetBoxClient {
        NetBoxClient(configuration, http: http, logger: logger, journal: journal)
    }

    /// Sends a write through the journal, if any: intent first, then the outcome.
    func recorded<Response: Sendable>(
        _ write: @autoclosure () async throws -> NetBoxWrite, describe: (Response) -> NetBoxWritten,
        _ send: () async throws -> Response
    ) async throws -> Response {
        guard let journal else { return try await send() }
        let ticket = try await journal.willWrite(try await write())
        let response: Response
        let requestIDs = WriteRequestIDs()
        do {
            response = try await WriteRequestIDs.$current.withValue(requestIDs) { try await send() }
        } catch {
            let certain = (error as? NetBoxError).map { !$0.isRetryable } ?? false
            try await journal.writeFailed(ticket, error: error, uncertain: !certain)
            throw error
        }
        var written = describe(response)
        written.requestID = written.requestID ?? requestIDs.value
        try await journal.didWrite(ticket, written)
        return response
    }

    /// The current values of `fields` of the object at `path` (an update's `replaced`), as
    /// they would be sent: a choice by its value, a related object by its id.
    func currentValues(_ path: String, fields: Data?, what: String) async throws -> Data? {
        guard let fields, let sent = try JSONSerialization.jsonObject(with: fields) as? [String: Any] else { return nil }
        let data = try await sendRaw(.GET, url: try url(path, query: []), body: nil, what: what, allocation: nil)
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        var replaced: [String: Any] = [:]
        for key in sent.keys {
            let value = object[key] ?? NSNull()
            if let nested = value as? [String: Any] {
                replaced[key] = nested["value"] ?? nested["id"] ?? nested
            } else {
                replaced[key] = value
            }
        }
        return try JSONSerialization.data(withJSONObject: replaced, options: [.sortedKeys])
    }

    static func encoded(_ body: some Encodable) -> Data? {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return try? encoder.encode(body)
    }
}

extension NetBoxClient {
    /// The object a create described by `finder` made, if NetBox has it, ignoring `known` ids
    /// (objects the journal already accounts for): how a lost answer is recovered.
    public func find(_ finder: NetBoxFinder, excluding known: Set<Int>) async throws -> NetBoxWritten? {
        switch finder {
        case .prefix(let within, let description, let length):
            return try await prefixes(within: within, description: description)
                .first { !known.contains($0.id) && $0.prefix.hasSuffix("/\(length)") }
                .map { NetBoxWritten(objectID: $0.id, label: $0.prefix) }
        case .address(let parent, let interface, let description):
            let candidates = try await ipAddresses(parent: parent)
            return candidates.first { address in
                !known.contains(address.id) && address.description == description && address.assignedObjectID == interface
            }.map { NetBoxWritten(objectID: $0.id, label: $0.address) }
        case .cable(let a, let b):
            guard let cable = try await cable(onInterface: a), !known.contains(cable.id) else { return nil }
            let ends = Set((cable.aTerminations + cable.bTerminations).map(\.objectID))
            return ends == [a, b] ? NetBoxWritten(objectID: cable.id, label: "cable \(cable.id)") : nil
        }
    }
}
