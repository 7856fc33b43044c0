import Foundation
import Testing
import WorkflowEngine

/// `wf token create|list|revoke`: a secret shown once and never again, tokens listed with
/// their state, revoked by a prefix of their id, and bad requests refused by name.
@Suite(.tags(.cli))
struct TokenCommandsTests {
    @Test func createShowsTheSecretOnceAndNothingElseEverShowsOrStoresIt() throws {
        let wf = try WFRunner()
        defer { wf.remove() }
        let created = try wf.run([
            "token", "create", "--user", "alice", "--role", "operator", "--workflows", "create_*,modify_node", "--expires", "30d",
        ])
        #expect(created.status == 0, "\(created.stderr)")
        #expect(created.stdout.contains("for alice: operator of workflows create_*,modify_node, expires "))
        #expect(created.stdout.contains("cannot be shown again"))
        let line = try #require(created.stdout.split(separator: "\n").first { $0.hasPrefix("secret: ") })
        let secret = String(line.dropFirst("secret: ".count))
        #expect(secret.hasPrefix("wft_") && secret.count == 47, "wft_ and 32 bytes in base64url: \(secret)")

        let listed = try wf.run(["token", "list"])
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(listed.stdout.contains("alice"))
        #expect(listed.stdout.contains("create_*,modify_node"))
        #expect(listed.stdout.contains("live"))
        let json = try wf.json(["token", "list"])
        let token = try #require(json.arrayValue?.first?.objectValue)
        #expect(token["role"] == "operator")
        #expect(token["created_by"] == "tester", "made by $USER")
        #expect(token["state"] == "live")
        #expect(token["secret"] == nil)
        for output in [listed.stdout, json.jsonText] {
            #expect(!output.contains(String(secret.dropFirst(4).prefix(16))), "the secret is never listed")
        }
        for file in ["wf.sqlite", "wf.sqlite-wal"] {
            let bytes = (try? Data(contentsOf: wf.directory.appendingPathComponent(file))) ?? Data()
            #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(file) holds only the secret's hash")
        }

        let again = try wf.json(["token", "create", "--user", "bob", "--role", "viewer"])
        let second = try #require(again.objectValue?["secret"]?.stringValue)
        #expect(second.hasPrefix("wft_") && second != secret, "each token has a secret of its own, shown once in the JSON")
    }

    @Test func revokeTakesAPrefixOfTheIDAndTheTokenStaysListedAsRevoked() throws {
        let wf = try WFRunner()
        defer { wf.remove() }
        let created = try wf.json(["token", "create", "--user", "alice", "--role", "admin", "--by", "root"])
        let id = try #require(created.objectValue?["id"]?.stringValue)

        let revoked = try wf.run(["token", "revoke", String(id.prefix(8))])
        #expect(revoked.status == 0, "\(revoked.stderr)")
        #expect(revoked.stdout.contains("revoked token \(id.prefix(8)) of alice (admin)"))
        let listed = try #require(try wf.json(["token", "list"]).arrayValue?.first?.objectValue)
        #expect(listed["state"] == "revoked")
        #expect(listed["created_by"] == "root")
        #expect(listed["revoked_at"]?.stringValue != nil)

        let twice = try wf.run(["token", "revoke", id])
        #expect(twice.status == 0, "\(twice.stderr)")
        #expect(twice.stdout.contains("was revoked already"))
        let unknown = try wf.run(["token", "revoke", "ffffffff"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("no token id starts with 'ffffffff'"))
    }

    @Test(arguments: [
        (["--user", "alice", "--role", "boss"], "unknown role 'boss'; one of: viewer, operator, admin"),
        (["--user", "alice", "--role", "viewer", "--expires", "3x"], "--expires '3x' is not a duration"),
        (["--user", "alice", "--role", "viewer", "--expires", "0d"], "--expires '0d' is no time at all"),
        (["--user", "", "--role", "viewer"], "--user is empty"),
        (["--user", "alice", "--role", "admin", "--workflows", "create_*"], "--workflows applies to --role operator only"),
        (["--user", "alice", "--role", "operator", "--workflows", "crate_*"], "--workflows pattern 'crate_*' matches no workflow"),
    ])
    func badRequestsAreRefusedNamingWhatIsWrong(arguments: [String], message: String) throws {
        let wf = try WFRunner()
        defer { wf.remove() }
        let refused = try wf.run(["token", "create"] + arguments)
        #expect(refused.status == 64, "\(refused.stdout)")
        #expect(refused.stderr.contains(message), "\(refused.stderr)")
        #expect(!refused.stdout.contains("secret"))
        #expect(try wf.json(["token", "list"]).arrayValue?.isEmpty == true, "nothing was made")
    }
}
