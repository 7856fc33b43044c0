import Foundation
import Testing
import WorkflowEngine
import WorkflowTestKit

@testable import wf

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// NetBox's webhook deliveries at `POST /api/webhooks/netbox` of a real `wf serve`: the 20
/// deliveries recorded from NetBox 4.7.3, byte for byte with their own signatures; refusals of
/// a bad or missing signature (audited); and the drift story: a circuit's cable set back to
/// planned in NetBox starts validate_circuit, which fails naming the drift.
@Suite("wf serve: NetBox webhooks", .tags(.cli))
struct NetBoxWebhookTests {
    /// The test secret the recordings were signed with.
    static let secret = "wf-contract-secret-0123456789"

    struct Recorded {
        var name: String
        var body: Data
        var signature: String
        var json: JSONValue
    }

    static func recordings() throws -> [Recorded] {
        let directory = try #require(Bundle.module.url(forResource: "netbox-webhooks", withExtension: nil))
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.first?.isNumber == true && $0.hasSuffix(".json") }.sorted()
        return try names.map { name in
            let file = try JSONValue.parse(try Data(contentsOf: directory.appendingPathComponent(name)))
            let request = try #require(file.objectValue?["request"]?.objectValue)
            let body = try #require(Data(base64Encoded: request["body_base64"]?.stringValue ?? ""))
            let signature = try #require(request["headers"]?.objectValue?["X-Hook-Signature"]?.stringValue)
            return Recorded(name: name, body: body, signature: signature, json: try JSONValue.parse(body))
        }
    }

    @Test func theRecordedSignaturesCheckOutAndAnyChangeToTheBodyBreaksThem() throws {
        let recorded = try Self.recordings()
        #expect(recorded.count == 20)
        for delivery in recorded {
            #expect(NetBoxWebhook.isValid(signature: delivery.signature, of: Array(delivery.body), secret: Self.secret), "\(delivery.name)")
            #expect(!NetBoxWebhook.isValid(signature: delivery.signature, of: Array(delivery.body), secret: Self.secret + "x"))
            var changed = Array(delivery.body)
            changed[changed.count / 2] ^= 0x01
            #expect(!NetBoxWebhook.isValid(signature: delivery.signature, of: changed, secret: Self.secret))
            let parsed = try NetBoxWebhook.parse(Array(delivery.body))
            #expect(parsed.objectType == delivery.json.objectValue?["object_type"]?.stringValue)
            #expect(parsed.requestID == delivery.json.objectValue?["request"]?.objectValue?["id"]?.stringValue)
        }
        #expect(throws: WorkflowError.self) { try NetBoxWebhook.parse(Array("{\"event\": \"moved\"}".utf8)) }
        #expect(throws: WorkflowError.self) { try NetBoxWebhook.parse(Array("not json".utf8)) }
        #expect(NetBoxWebhook.ledgerType("ipam.ipaddress") == "ipam.ip-address")
    }

    @Test func everyRecordedDeliveryIsTakenOnceAndABadOneIsRefusedAndAudited() async throws {
        try await ServeRunner.with { server in
            let recorded = try Self.recordings()
            let first = recorded[0]
            func post(_ body: Data, signature: String?) async throws -> ServeRunner.Answer {
                try await server.send(
                    "POST", NetBoxWebhook.path, data: body,
                    headers: ["Content-Type": "application/json"].merging(signature.map { ["X-Hook-Signature": $0] } ?? [:]) { $1 })
            }
            // No secret set yet: refused, whatever the signature.
            #expect(try await post(first.body, signature: first.signature).status == 403)
            #expect(try server.runner.run(["webhook", "secret", "--set", Self.secret]).status == 0)
            var duplicates: [String] = []
            for delivery in recorded {
                let answer = try await post(delivery.body, signature: delivery.signature)
                #expect(answer.status == 200, "\(delivery.name): \(answer.text)")
                let json = try JSONValue.parse(answer.body)
                if json.objectValue?["duplicate"] == .bool(true) { duplicates.append(delivery.name) }
                #expect(json.objectValue?["owners"] == .array([]), "nobody owns the recordings' objects here")
            }
            #expect(duplicates == ["17-device-updated.json"], "NetBox's retry repeats 16 byte for byte")
            // A changed body, a missing signature, a signature made with another secret.
            var tampered = first.body
            tampered[tampered.count - 3] = UInt8(ascii: "9")
            let other = NetBoxWebhook.signature(of: Array(first.body), secret: "another-secret-0123456789")
            for (body, signature, why) in [
                (tampered, first.signature, "tampered"), (first.body, nil, "unsigned"), (first.body, other, "other secret"),
            ] {
                let answer = try await post(body, signature: signature)
                #expect(answer.status == 403, "\(why): \(answer.text)")
            }
            let audit = try server.runner.run(["audit", "--json", "--limit", "100"])
            #expect(audit.stdout.components(separatedBy: "netbox-webhook").count - 1 >= 4, "each refusal is audited: \(audit.stdout.prefix(2000))")
            // Nothing was started for any of it.
            let processes = try await server.json("GET", "/api/processes", token: try server.token(user: "vera", role: "viewer"))
            #expect(processes.json.arrayValue?.isEmpty == true)
        }
    }

    @Test func aCableSetBackToPlannedInNetBoxStartsValidateCircuitWhichFailsNamingTheDrift() async throws {
        let setup = try WFRunner()
        defer { setup.remove() }
        let netboxToken = "0123456789abcdef0123456789abcdef01234567"
        let (netbox, url) = try await APIWorkshopTests.startNetBox(token: netboxToken, in: setup.directory)
        defer { netbox.terminate() }
        try await ServeRunner.with(environment: ["NETBOX_URL": url, "NETBOX_TOKEN": netboxToken], scheduler: true) { server in
            let token = try server.token(user: "alice", role: "operator")
            #expect(try server.runner.run(["webhook", "secret", "--set", Self.secret]).status == 0)
            let next = { server }
            for _ in 0..<2 { _ = try await APIWorkshopTests.run("create_node", on: next, token: token) }
            let circuit = try APIWorkshopTests.subscription(of: try await APIWorkshopTests.run("create_circuit", on: next, token: token))
            _ = try await APIWorkshopTests.run(
                "modify_circuit", on: next, token: token, answers: ["subscription_id": .string(circuit), "under_maintenance": false])
            let model = try await server.json("GET", "/api/subscriptions/\(circuit)", token: token)
            let cable = try #require(Self.value(named: "circuit_id", in: model.json)?.intValue, "\(model.json.jsonText.prefix(600))")

            // Someone sets the cable back to planned in NetBox, and NetBox tells us.
            var patch = URLRequest(url: URL(string: "\(url)/api/dcim/cables/\(cable)/")!)
            patch.httpMethod = "PATCH"
            patch.setValue("Token \(netboxToken)", forHTTPHeaderField: "Authorization")
            patch.setValue("application/json", forHTTPHeaderField: "Content-Type")
            patch.httpBody = Data(#"{"status": "planned"}"#.utf8)
            let (_, patched) = try await URLSession.shared.data(for: patch)
            #expect((patched as? HTTPURLResponse)?.statusCode == 200)
            let body = try Self.delivery(cable: cable, status: "planned")
            let signature = NetBoxWebhook.signature(of: Array(body), secret: Self.secret)
            let answer = try await server.send(
                "POST", NetBoxWebhook.path, data: body, headers: ["Content-Type": "application/json", "X-Hook-Signature": signature])
            #expect(answer.status == 200, "\(answer.text)")
            #expect(try JSONValue.parse(answer.body).objectValue?["owners"] == .array([.string(circuit)]))
            // The same delivery again (a retry) starts nothing more.
            let again = try await server.send(
                "POST", NetBoxWebhook.path, data: body, headers: ["Content-Type": "application/json", "X-Hook-Signature": signature])
            #expect(try JSONValue.parse(again.body).objectValue?["duplicate"] == .bool(true))

            // A second after the change, the scheduler starts validate_circuit as netbox-webhook; it fails naming the status.
            var validation: JSONValue?
            for _ in 0..<150 {
                let listed = try await server.json("GET", "/api/processes?workflow=validate_circuit", token: token)
                if let first = listed.json.arrayValue?.first, first.objectValue?["last_status"]?.stringValue == "failed" {
                    validation = first
                    break
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            let failed = try #require(validation, "no failed validate_circuit within 15 s:\n\(server.transcript.suffix(3000))")
            #expect(failed.objectValue?["created_by"]?.stringValue == "netbox-webhook")
            let reason = failed.objectValue?["failed_reason"]?.stringValue ?? ""
            #expect(reason.contains("planned"), "the failure names the drift: \(reason)")
            let listed = try await server.json("GET", "/api/processes?workflow=validate_circuit", token: token)
            #expect(listed.json.arrayValue?.count == 1, "one validation for the change and its repeat")
            let after = try await server.json("GET", "/api/subscriptions/\(circuit)", token: token)
            #expect(after.json.objectValue?["insync"] == .bool(false), "the circuit is marked out of sync")
        }
    }

    /// A delivery as NetBox sends it for cable `cable` now in `status`: the recorded cable
    /// update (06), with this cable's id and status and a request id of its own.
    static func delivery(cable: Int, status: String) throws -> Data {
        let recorded = try #require(try recordings().first { $0.name == "06-cable-updated.json" })
        guard case .object(var body) = recorded.json, case .object(var data) = body["data"] ?? .null else {
            throw ServeRunner.ServeFailure("06-cable-updated.json is not a delivery")
        }
        data["id"] = .int(cable)
        data["url"] = .string("/api/dcim/cables/\(cable)/")
        data["status"] = .object(["value": .string(status), "label": .string(status.capitalized)])
        body["data"] = .object(data)
        if case .object(var request) = body["request"] ?? .null {
            request["id"] = .string(UUID().uuidString.lowercased())
            request["path"] = .string("/api/dcim/cables/\(cable)/")
            body["request"] = .object(request)
        }
        return Data(JSONValue.object(body).jsonText.utf8)
    }

    /// The first value of a key named `name` anywhere in `json`.
    static func value(named name: String, in json: JSONValue) -> JSONValue? {
        switch json {
        case .object(let members):
            if let value = members[name], value != .null { return value }
            return members.keys.sorted().lazy.compactMap { value(named: name, in: members[$0]!) }.first
        case .array(let items): return items.lazy.compactMap { value(named: name, in: $0) }.first
        default: return nil
        }
    }
}
