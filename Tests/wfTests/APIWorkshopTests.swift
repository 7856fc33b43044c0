import Foundation
import Testing
import WorkflowEngine
import WorkflowTestKit

/// The workshop story through the HTTP API alone: two nodes, a circuit between them (its
/// form answered page by page from the 510 answers), into service, validated; every step of
/// it delivered as a server-sent event. On PostgreSQL, with two `wf serve` processes sharing
/// the database and one NetBox, the requests alternating between them.
@Suite("wf serve: the workshop story through the API", .tags(.cli))
struct APIWorkshopTests {
    @Test func workshopStoryOnSQLite() async throws {
        let server = try await ServeRunner.start()
        do {
            try await Self.story(on: [server], token: try server.token(user: "alice", role: "operator"))
        } catch {
            _ = await server.stop()
            throw error
        }
        #expect(await server.stop() == 0, "wf serve exits 0 on SIGTERM")
        // The story asked for every page by 510 and nothing failed: the log has no errors in it.
        #expect(!server.transcript.contains("error"), "\(server.transcript.suffix(3000))")
    }

    @Test(.enabled(if: StoreKind.postgresURL != nil, "WF_TEST_POSTGRES_URL is not set: the two-server case needs PostgreSQL"))
    func workshopStoryOnPostgreSQLWithTwoServers() async throws {
        let location = try StoreKind.scratchLocation()
        let setup = try WFRunner(database: location)
        defer { setup.remove() }
        #expect(try setup.run(["db", "migrate"]).status == 0)
        // One NetBox for both servers: NetBoxLite on its own, as `wf netbox serve` runs it.
        let token = "0123456789abcdef0123456789abcdef01234567"
        let (netbox, url) = try await Self.startNetBox(token: token, in: setup.directory)
        defer { netbox.terminate() }
        let environment = ["NETBOX_URL": url, "NETBOX_TOKEN": token]
        let first = try await ServeRunner.start(database: location, environment: environment)
        let second = try await ServeRunner.start(database: location, environment: environment)
        do {
            try await Self.story(on: [first, second], token: try first.token(user: "alice", role: "operator"))
        } catch {
            _ = await first.stop()
            _ = await second.stop()
            throw error
        }
        #expect(await first.stop() == 0)
        #expect(await second.stop() == 0)
    }

    /// The story, each request on the next server in turn.
    static func story(on servers: [ServeRunner], token: String) async throws {
        var turn = 0
        func next() -> ServeRunner {
            defer { turn += 1 }
            return servers[turn % servers.count]
        }
        let first = try await next().json("GET", "/api/processes?limit=1", token: token)
        #expect(first.status == 200)
        // Follow everything from here on, on the other server when there are two.
        let follower = servers[servers.count - 1]

        // 1. Two nodes.
        var nodes: [String] = []
        for _ in 0..<2 {
            let outcome = try await run("create_node", on: next, token: token)
            nodes.append(try subscription(of: outcome))
        }
        // 2. A circuit between them: every page from the 510 answers, first choices taken.
        let circuit = try subscription(of: try await run("create_circuit", on: next, token: token))
        let model = try await next().json("GET", "/api/subscriptions/\(circuit)", token: token)
        #expect(model.status == 200)
        #expect(model.json.objectValue?["status"]?.stringValue == "active")
        for node in nodes {
            let used = try await next().json("GET", "/api/subscriptions/\(node)", token: token)
            #expect(used.json.objectValue?["in_use_by"] == .array([.string(circuit)]), "node \(node) is in use by the circuit")
        }
        // 3. Into service, 4. validated.
        let allowed = try await next().json("GET", "/api/subscriptions/\(circuit)/workflows", token: token)
        let modify = allowed.json.objectValue?["workflows"]?.arrayValue?.first { $0.objectValue?["name"]?.stringValue == "modify_circuit" }
        #expect(modify?.objectValue?["allowed"] == .bool(true))
        _ = try await run("modify_circuit", on: next, token: token, answers: ["subscription_id": .string(circuit), "under_maintenance": false])
        let validated = try await run("validate_circuit", on: next, token: token, answers: ["subscription_id": .string(circuit)])
        #expect(validated.objectValue?["last_status"]?.stringValue == "completed")

        // Every step of it as a server-sent event, from the start of the log.
        let processes = try await next().json("GET", "/api/processes?order=oldest&limit=1000", token: token)
        let ids = processes.json.arrayValue?.compactMap { $0.objectValue?["process_id"]?.stringValue } ?? []
        var stepCount = 0
        for id in ids {
            let detail = try await next().json("GET", "/api/processes/\(id)", token: token)
            stepCount += detail.json.objectValue?["steps"]?.arrayValue?.count ?? 0
        }
        #expect(ids.count == 5)
        let events = try await follower.stream("/api/events", token: token, headers: ["Last-Event-ID": "0"]) { text in
            text.components(separatedBy: "event: step_committed").count - 1 >= stepCount
        }
        #expect(events.headers["content-type"]?.hasPrefix("text/event-stream") == true)
        #expect(events.text.components(separatedBy: "event: step_committed").count - 1 == stepCount, "one event per step row")
        for id in ids { #expect(events.text.contains(id)) }
        let history = try await next().json("GET", "/api/subscriptions/\(circuit)/history", token: token)
        #expect((history.json.arrayValue?.count ?? 0) >= 3)
    }

    /// Starts `workflow`, answering each page the server asks for (510) with `answers` or the
    /// first choice and defaults, then confirms every config form until the process ends.
    static func run(
        _ workflow: String, on next: () -> ServeRunner, token: String, answers: State = State()
    ) async throws -> JSONValue {
        var pages: [JSONValue] = []
        var started: (status: Int, headers: [String: String], json: JSONValue)
        while true {
            started = try await next().json("POST", "/api/processes/\(workflow)", body: .array(pages), token: token)
            guard started.status == 510 else { break }
            let form = try #require(started.json.objectValue?["form"], "a 510 carries the next page: \(started.json.jsonText)")
            #expect(started.json.objectValue?["form_schema"]?.objectValue?["type"] == "object")
            pages.append(fill(form, from: answers))
            try #require(pages.count < 8, "\(workflow) keeps asking for pages: \(started.json.jsonText)")
        }
        try #require(started.status == 201, "\(workflow) did not start: \(started.json.jsonText)")
        #expect(started.headers["location"]?.hasPrefix("/api/processes/") == true)
        var outcome = started.json
        while outcome.objectValue?["last_status"]?.stringValue == "suspended" {
            let id = try #require(outcome.objectValue?["process_id"]?.stringValue)
            let form = try #require(outcome.objectValue?["form"])
            let resumed = try await next().json("POST", "/api/processes/\(id)/resume", body: fill(form, from: State()), token: token)
            try #require(resumed.status == 200, "resume of \(workflow): \(resumed.json.jsonText)")
            outcome = resumed.json
        }
        try #require(outcome.objectValue?["last_status"]?.stringValue == "completed", "\(workflow) ended as: \(outcome.jsonText)")
        return outcome
    }

    /// Answers a form as a scripted operator: the given answer, else the default, else the
    /// first choice; accepts are confirmed.
    static func fill(_ form: JSONValue, from answers: State) -> JSONValue {
        var page: [String: JSONValue] = [:]
        for field in form.objectValue?["fields"]?.arrayValue ?? [] {
            guard let name = field.objectValue?["name"]?.stringValue, let kind = field.objectValue?["kind"]?.stringValue else { continue }
            if let given = answers[raw: name] {
                page[name] = given
            } else if kind == "accept" {
                page[name] = true
            } else if let value = field.objectValue?["default"] {
                page[name] = value
            } else if let choice = field.objectValue?["choices"]?.arrayValue?.first?.objectValue?["value"] {
                page[name] = choice
            }
        }
        return .object(page)
    }

    static func subscription(of outcome: JSONValue) throws -> String {
        let id = outcome.objectValue?["state"]?.objectValue?["subscription"]?.objectValue?["subscription_id"]?.stringValue
        return try #require(id, "no subscription in \(outcome.jsonText.prefix(400))")
    }

    /// `wf netbox serve` on its own state in `directory`, and the URL it printed.
    static func startNetBox(token: String, in directory: URL) async throws -> (Process, String) {
        let log = directory.appendingPathComponent("netbox.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let process = Process()
        process.executableURL = WFRunner.binary
        process.arguments = ["netbox", "serve", "--token", token, "--data", directory.appendingPathComponent("netbox.sqlite").path]
        process.standardOutput = try FileHandle(forWritingTo: log)
        process.standardError = try FileHandle(forWritingTo: log)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        for _ in 0..<400 {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("NetBoxLite serving ") }) {
                let url = String(line.dropFirst("NetBoxLite serving ".count).split(separator: " ")[0])
                return (process, url.hasSuffix("/api/") ? String(url.dropLast("/api/".count)) : url)
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        process.terminate()
        throw ServeRunner.ServeFailure("wf netbox serve printed no URL within 20 s: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
    }
}
