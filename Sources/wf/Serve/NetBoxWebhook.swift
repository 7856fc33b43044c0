import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Persistence
import WorkflowEngine

/// NetBox's webhook deliveries (`POST /api/webhooks/netbox`), as NetBox 4.7 sends them:
/// the body signed with the shared secret (`X-Hook-Signature`, hex HMAC-SHA512 of the raw
/// bytes), the object's `object_type` and `data`, and the `request.id` every delivery of one
/// API call shares.
///
/// A delivery with a bad or missing signature is refused (403) and written to the audit
/// trail, and nothing else happens. A good one is recorded once (a byte-identical repeat, as
/// NetBox's retries are, only counts), with the subscriptions that own the object: found
/// through their values (a Node's device, a Circuit's ports and cable) and the ledger of what
/// their processes made in NetBox. Each owner gets one drift check, due a second after the
/// first change (ten changes in that second make one check), which a scheduler turns into
/// the product's validate workflow. Changes to objects nobody owns are recorded and dropped.
enum NetBoxWebhook {
    static let path = "/api/webhooks/netbox"
    /// The name of the shared secret in the settings table (`wf webhook secret`).
    static let secretSetting = "netbox_webhook_secret"
    /// How long after the first change of an object a subscription owns its check is due.
    static let debounce: TimeInterval = 1
    /// The largest body taken (NetBox's deliveries are a few kilobytes).
    static let largestBody = 1 << 20

    /// What the receiver needs of a delivery's JSON.
    struct Parsed: Equatable {
        var event: String
        var objectType: String
        var objectID: Int?
        var requestID: String?
    }

    static func register(on router: Router<APIContext>, runtime: Runtime) {
        router.post("/api/webhooks/netbox") { request, context in
            let body = try await request.body.collect(upTo: largestBody)
            let bytes = Array(body.readableBytesView)
            let store = runtime.store
            guard let secret = try await store.setting(secretSetting) else {
                throw await refuse(
                    request, store, "no NetBox webhook secret is set on this orchestrator; set one with `wf webhook secret --generate`")
            }
            guard let signature = request.headers[HTTPField.Name("X-Hook-Signature")!] else {
                throw await refuse(request, store, "the delivery has no X-Hook-Signature header; give the NetBox webhook the shared secret")
            }
            guard isValid(signature: signature, of: bytes, secret: secret) else {
                throw await refuse(request, store, "the X-Hook-Signature does not match the body (another secret, or the body was changed)")
            }
            let parsed: Parsed
            do { parsed = try parse(bytes) } catch let error as WorkflowError { throw APIProblem.badRequest(error.message, code: "bad_delivery") }
            let owners = try await owners(of: parsed, in: store)
            let now = Date()
            let delivery = NetBoxDelivery(
                bodySHA256: sha256(bytes), receivedAt: now, requestID: parsed.requestID, event: parsed.event, objectType: parsed.objectType,
                objectID: parsed.objectID, owners: owners)
            let recorded = try await store.recordDelivery(delivery, checkDueAt: now + debounce)
            return Response.json(
                .object([
                    "recorded": .bool(recorded),
                    "duplicate": .bool(!recorded),
                    "owners": .array(owners.map { .string($0.uuidString.lowercased()) }),
                ]))
        }
    }

    private static func refuse(_ request: Request, _ store: any WorkflowStore, _ reason: String) async -> APIProblem {
        let refusal = AccessRefusal(
            at: Date(), user: "netbox-webhook", method: request.method.rawValue, path: request.uri.path, status: 403, reason: reason)
        try? await store.recordRefusal(refusal)
        return APIProblem(.forbidden, code: "bad_signature", reason)
    }

    /// Whether `signature` is the lowercase hex HMAC-SHA512 of `body` with `secret`
    /// (compared in constant time; upper-case hex is taken too).
    static func isValid(signature: String, of body: [UInt8], secret: String) -> Bool {
        let given = Array(signature.trimmingCharacters(in: .whitespaces).lowercased().utf8)
        let wanted = Array(Self.signature(of: body, secret: secret).utf8)
        guard given.count == wanted.count else { return false }
        return zip(given, wanted).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// What NetBox sends as `X-Hook-Signature`: the lowercase hex HMAC-SHA512 of the body.
    static func signature(of body: [UInt8], secret: String) -> String {
        HMAC<SHA512>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8))).map { String(format: "%02x", $0) }.joined()
    }

    static func sha256(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    /// The delivery's event, object and request id; throws naming what is missing.
    static func parse(_ bytes: [UInt8]) throws -> Parsed {
        let value: JSONValue
        do { value = try JSONValue.parse(String(decoding: bytes, as: UTF8.self)) } catch {
            throw WorkflowError(.invalidInput, "the delivery's body is not JSON")
        }
        guard let object = value.objectValue else { throw WorkflowError(.invalidInput, "the delivery's body is not a JSON object") }
        guard let event = object["event"]?.stringValue, ["created", "updated", "deleted"].contains(event) else {
            throw WorkflowError(.invalidInput, "the delivery has no event created, updated or deleted (a NetBox 4.7 webhook with the default body?)")
        }
        guard let objectType = object["object_type"]?.stringValue, !objectType.isEmpty else {
            throw WorkflowError(.invalidInput, "the delivery has no object_type")
        }
        return Parsed(
            event: event, objectType: objectType, objectID: object["data"]?.objectValue?["id"]?.intValue,
            requestID: object["request"]?.objectValue?["id"]?.stringValue)
    }

    /// The ledger's name for a NetBox object type (`ipam.ipaddress` is `ipam.ip-address` there).
    static func ledgerType(_ objectType: String) -> String {
        objectType == "ipam.ipaddress" ? "ipam.ip-address" : objectType
    }

    /// The values that hold a NetBox id of each object type, in the workshop's products.
    static let valueFields: [String: String] = ["dcim.device": "node_id", "dcim.interface": "port_id", "dcim.cable": "circuit_id"]

    /// The subscriptions (not terminated) that own the object: by their values, and by the
    /// ledger of what their processes made.
    static func owners(of parsed: Parsed, in store: any WorkflowStore) async throws -> [UUID] {
        guard let id = parsed.objectID else { return [] }
        var owners: [UUID] = []
        if let field = valueFields[parsed.objectType] {
            let filter = SubscriptionFilter(
                statuses: [.initial, .provisioning, .active], whereValue: (field, String(id)), limit: 100)
            owners += try await store.subscriptions(filter).map(\.subscriptionID)
        }
        let entries = try await store.ledger(LedgerQuery(objectType: ledgerType(parsed.objectType), objectID: id, limit: 100))
        for entry in entries {
            guard let owner = entry.subscriptionID, !owners.contains(owner) else { continue }
            // A terminated subscription no longer owns what it made.
            let alive = try await store.subscriptions(SubscriptionFilter(statuses: [.initial, .provisioning, .active], limit: 1, id: owner))
            if !alive.isEmpty { owners.append(owner) }
        }
        return owners
    }
}
