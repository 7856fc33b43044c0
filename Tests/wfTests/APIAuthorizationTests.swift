import Foundation
import Persistence
import Testing
import WorkflowEngine
import WorkflowTestKit

/// Who may do what through the API: each role against each kind of route, a token limited
/// to some workflows, and tokens that are unknown, revoked or malformed. A refusal changes
/// nothing and is written to the audit as the token's user (or anonymous), never with the token.
@Suite("wf serve: roles and tokens", .tags(.cli))
struct APIAuthorizationTests {
    /// What a role gets from each route: 2xx (or the route's own refusal, which is not 401
    /// or 403) when allowed, 403 when not.
    @Test func eachRoleMayDoExactlyWhatItsRoleAllows() async throws {
        try await ServeRunner.with { server in
            let viewer = try server.token(user: "vera", role: "viewer")
            let creator = try server.token(user: "olga", role: "operator", workflows: "create_*")
            let operatorAll = try server.token(user: "otto", role: "operator")
            let admin = try server.token(user: "ada", role: "admin")

            // A suspended create_node for the routes that act on a process, started by the admin.
            let started = try await server.json("POST", "/api/processes/create_node", body: [["device_id": 1]], token: admin)
            try #require(started.status == 201, "\(started.json.jsonText)")
            let process = try #require(started.json.objectValue?["process_id"]?.stringValue)

            struct Route {
                var method: String
                var path: String
                var body: JSONValue?
                /// Which tokens may: viewer, creator (operator of create_*), operator, admin.
                var allowed: [Bool]
            }
            let everyone = [true, true, true, true]
            let routes = [
                Route(method: "GET", path: "/api/workflows", allowed: everyone),
                Route(method: "GET", path: "/api/products", allowed: everyone),
                Route(method: "GET", path: "/api/processes", allowed: everyone),
                Route(method: "GET", path: "/api/processes/\(process)", allowed: everyone),
                Route(method: "GET", path: "/api/subscriptions", allowed: everyone),
                Route(method: "GET", path: "/api/audit", allowed: everyone),
                Route(method: "GET", path: "/metrics", allowed: everyone),
                // An empty start is refused by the form (510), after the role check.
                Route(method: "POST", path: "/api/processes/create_node", body: [], allowed: [false, true, true, true]),
                Route(method: "POST", path: "/api/processes/validate_node", body: [], allowed: [false, false, true, true]),
                // A resume without the confirmation is refused by the form (400): nothing changes.
                Route(method: "POST", path: "/api/processes/\(process)/resume", body: [:], allowed: [false, true, true, true]),
                // Retry of a suspended process is refused (409): the role check comes first.
                Route(method: "POST", path: "/api/processes/\(process)/retry", allowed: [false, true, true, true]),
                Route(method: "POST", path: "/api/processes/recover", allowed: [false, false, false, true]),
                Route(
                    method: "POST", path: "/api/subscriptions/00000000-0000-0000-0000-000000000000/unlock", allowed: [false, false, false, true]),
            ]
            for route in routes {
                for (index, token) in [viewer, creator, operatorAll, admin].enumerated() {
                    let answer = try await server.request(route.method, route.path, body: route.body, token: token)
                    let who = ["viewer", "operator of create_*", "operator", "admin"][index]
                    if route.allowed[index] {
                        #expect(![401, 403].contains(answer.status), "\(who) \(route.method) \(route.path): \(answer.status)")
                    } else {
                        #expect(answer.status == 403, "\(who) \(route.method) \(route.path): \(answer.status)")
                    }
                }
            }
            let after = try await server.json("GET", "/api/processes/\(process)", token: viewer)
            #expect(after.json.objectValue?["last_status"]?.stringValue == "suspended", "no refused request changed the process")

            // The abort last: the creator may abort a create_node, the viewer may not.
            #expect(try await server.request("POST", "/api/processes/\(process)/abort", token: viewer).status == 403)
            #expect(try await server.request("POST", "/api/processes/\(process)/abort", body: ["reason": "test"], token: creator).status == 200)

            let audit = try server.runner.json(["audit"])
            let refused = audit.arrayValue?.filter { $0.objectValue?["action"]?.stringValue?.hasPrefix("refused ") == true } ?? []
            #expect(refused.contains { $0.objectValue?["user"]?.stringValue == "vera" }, "refusals are audited as the token's user")
            #expect(!audit.jsonText.contains(viewer) && !audit.jsonText.contains(admin), "no token in the audit")
        }
    }

    @Test func unknownRevokedAndMalformedTokensAreRefusedWith401() async throws {
        try await ServeRunner.with { server in
            let token = try server.token(user: "rita", role: "viewer")
            #expect(try await server.request("GET", "/api/processes", token: token).status == 200)
            let id = try #require(try server.runner.json(["token", "list"]).arrayValue?.first?.objectValue?["id"]?.stringValue)
            #expect(try server.runner.run(["token", "revoke", String(id.prefix(8))]).status == 0)
            let revoked = try await server.json("GET", "/api/processes", token: token)
            #expect(revoked.status == 401)
            #expect(revoked.json.objectValue?["detail"]?.stringValue == "the token was revoked")
            #expect(revoked.headers["www-authenticate"]?.hasPrefix("Bearer") == true)
            #expect(try await server.request("GET", "/api/processes", token: "wft_unknown").status == 401)
            #expect(try await server.request("GET", "/api/processes").status == 401)
            #expect(try await server.request("GET", "/api/processes", headers: ["Authorization": "Token abc"]).status == 401)
            #expect(try await server.request("GET", "/api/health").status == 200, "health needs no token")
            let audit = try server.runner.json(["audit"]).jsonText
            #expect(audit.contains("the token was revoked") && !audit.contains(token))
        }
    }
}
