import Foundation
import Persistence
import Testing
import WorkflowEngine
import WorkflowTestKit

/// `wf` against hostile and mistaken input: database URLs it cannot use, terminal escape
/// sequences in stored text, unusable users and times, broken JSON, a read-only database,
/// and the WAL a command leaves behind.
@Suite(.tags(.cli))
struct HostileInputTests {
    // MARK: - Database URLs

    @Test(arguments: ["postgress://wf:s3cret-pw@db.example.net/orchestrator", "mysql://wf:s3cret-pw@db.example.net/orchestrator"])
    func anUnsupportedURLIsRefusedNamingTheSchemesAndNeverThePassword(url: String) throws {
        let wf = try WFRunner()
        defer { wf.remove() }
        let directory = wf.directory.appendingPathComponent("cwd")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for arguments in [["db", "status"], ["processes"], ["db", "migrate"]] {
            let result = try wf.runOutsideDatabaseOption(arguments, in: directory, environment: ["WF_DATABASE": url])
            #expect(result.status == 1, "wf \(arguments): \(result.stderr)")
            #expect(result.stderr.hasPrefix("error: the database '"), "\(result.stderr)")
            #expect(result.stderr.contains("postgres://") && result.stderr.contains("postgresql://"), "\(result.stderr)")
            #expect(!(result.stdout + result.stderr).contains("s3cret"), "the password is never printed")
        }
        let flag = try wf.runOutsideDatabaseOption(["processes", "--database", url], in: directory, environment: [:])
        #expect(flag.status == 1)
        #expect(!(flag.stdout + flag.stderr).contains("s3cret"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty, "no SQLite file named after the URL")
    }

    // MARK: - Terminal escape sequences

    @Test func storedEscapeSequencesAreShownVisiblyOnSQLite() async throws {
        try await storedEscapeSequencesAreShownVisibly(database: nil)
    }

    @Test(.enabled(if: StoreKind.postgresURL != nil, "WF_TEST_POSTGRES_URL is not set: PostgreSQL is not available"))
    func storedEscapeSequencesAreShownVisiblyOnPostgreSQL() async throws {
        try await storedEscapeSequencesAreShownVisibly(database: try StoreKind.scratchLocation())
    }

    private func storedEscapeSequencesAreShownVisibly(database: String?) async throws {
        let wf = try WFRunner(database: database)
        defer { wf.remove() }
        #expect(try wf.run(["db", "migrate"]).status == 0)
        let store = try await Stores.open(wf.database)
        defer {
            Task {
                if let postgres = store as? PostgresStore { try? await postgres.dropSchema() }
                await store.close()
            }
        }
        let id = try await HostileText.insertProcess(into: store)
        let short = String(id.description.prefix(8))

        for arguments in [["processes"], ["audit"], ["process", "show", short], ["processes", "--status", "aborted"]] {
            let result = try wf.run(arguments)
            #expect(result.status == 0, "wf \(arguments): \(result.stderr)")
            #expect(HostileText.rawControls(in: result.stdout + result.stderr).isEmpty, "wf \(arguments) printed raw control characters")
            #expect(result.stdout.contains(#"\u001b]0;pwned\u0007mallory\u001b[2J\u000d\u009b31m"#), "wf \(arguments): \(result.stdout)")
        }
        // JSON stays valid, control characters escaped, and round-trips the stored text exactly.
        for arguments in [["processes"], ["audit"], ["process", "show", short]] {
            let result = try wf.run(arguments + ["--json"])
            #expect(HostileText.rawControls(in: result.stdout).isEmpty, "wf \(arguments) --json printed raw control characters")
            let escaped = String(JSONValue.string(HostileText.sequence).jsonText.dropFirst().dropLast())
            #expect(try JSONValue.parse(result.stdout).jsonText.contains(escaped), "wf \(arguments) --json keeps the text")
        }
        let shown = try #require(try wf.json(["process", "show", short]).objectValue)
        #expect(shown["created_by"]?.stringValue == HostileText.sequence)

        // An error message quoting what was typed is made visible too, ArgumentParser's own included.
        let typed = try wf.run(["processes", "--status", "x\(HostileText.sequence)"])
        #expect(typed.status == 64)
        #expect(typed.stderr.hasPrefix("error: unknown status 'x\\u001b]0;pwned"), "\(typed.stderr)")
        #expect(HostileText.rawControls(in: typed.stderr).isEmpty)
        let unknown = try wf.run(["process", "show", "zz\(HostileText.sequence)"])
        #expect(unknown.status == 1)
        #expect(HostileText.rawControls(in: unknown.stderr).isEmpty, "\(unknown.stderr)")
    }

    // MARK: - Users

    @Test func aUserMustBeANameOrAnEmailAddressOfAtMost64Characters() throws {
        let wf = try WFRunner()
        defer { wf.remove() }
        let answers = #"{"message": "hi", "work_seconds": 0}"#
        for (user, problem) in [
            (String(repeating: "a", count: 100_000), "--user is 100000 characters long; at most 64"),
            (String(repeating: "a", count: 65), "--user is 65 characters long; at most 64"),
            ("alice smith", "has a space"), ("\u{1B}[2Jalice", "has U+001B"), ("alice\u{202E}", "has U+202E"), ("a/b", "has '/'"),
        ] {
            let result = try wf.run(["start", "task_engine_demo", "--input", "-", "--user", user], stdin: answers)
            #expect(result.status == 64, "\(user.prefix(20)): \(result.stderr.prefix(300))")
            #expect(result.stderr.hasPrefix("error: --user "), "\(result.stderr.prefix(300))")
            #expect(result.stderr.contains(problem), "\(result.stderr.prefix(300))")
            #expect(result.stderr.utf8.count < 1000, "the message does not repeat a long user")
            #expect(HostileText.rawControls(in: result.stderr).isEmpty)
        }
        #expect(try wf.json(["processes"]).arrayValue?.isEmpty == true, "nothing was started")
        for user in ["alice", "alice.smith@example.net", "ops-bot+ci_2", "jürgen", String(repeating: "a", count: 64)] {
            let result = try wf.run(["start", "task_engine_demo", "--input", "-", "--user", user], stdin: answers)
            #expect(result.status == 0, "\(user): \(result.stderr)")
        }

        var fromEnvironment = wf
        fromEnvironment.environment["USER"] = "bad\u{1B}[2J"
        let refused = try fromEnvironment.run(["start", "task_engine_demo", "--input", "-"], stdin: answers)
        #expect(refused.status == 64)
        #expect(refused.stderr.hasPrefix("error: the user from $USER 'bad\\u001b[2J' has U+001B"), "\(refused.stderr)")
        #expect(refused.stderr.contains("pass --user NAME"))
        #expect(try fromEnvironment.run(["start", "task_engine_demo", "--input", "-", "--user", "carol"], stdin: answers).status == 0)
    }

    // MARK: - Times

    @Test(arguments: [
        ("2026-11-20T09:00:00+25:00", "offset +25:00 is outside -12:00 to +14:00"),
        ("2026-11-20T09:00:00+99:99", "offset +99:99: minutes must be 00 to 59"),
        ("99999-11-20", "year 99999 must have four digits"),
        ("2026-13-01", "month 13 must be 01 to 12"),
        ("2026-02-29", "day 29 must be 01 to 28 in 2026-02"),
        ("2026-11-20 24:00:00", "hour 24 must be 00 to 23"),
        ("2026-11-20 09:60", "minute 60 must be 00 to 59"),
        ("2026-11-20 09:00:61", "second 61 must be 00 to 59"),
        ("last tuesday", "is not a time; use 2026-11-25 08:00:00 (UTC)"),
    ])
    func anInvalidTimeIsRefusedNamingTheBadPart(text: String, problem: String) throws {
        let wf = try WFRunner()
        defer { wf.remove() }
        let result = try wf.run(["audit", "--since", text])
        #expect(result.status == 64)
        #expect(result.stderr.hasPrefix("error: '\(text)' is not a time"), "\(result.stderr)")
        #expect(result.stderr.contains(problem), "\(result.stderr)")
    }

    @Test func relativeAndAbsoluteTimesSelectTheAudit() throws {
        let wf = try WFRunner()
        defer { wf.remove() }
        #expect(try wf.run(["start", "task_engine_demo", "--input", "-"], stdin: #"{"message": "hi"}"#).status == 0)
        for since in ["30m", "2h", "7d", "2w", "today", "yesterday", "90s ago", "2026-01-01", "2026-01-01T00:00:00+14:00", "2026-01-01 00:00:00.5Z"] {
            let entries = try #require(try wf.json(["audit", "--since", since]).arrayValue, "--since \(since)")
            #expect(!entries.isEmpty, "--since \(since) includes the process just started")
        }
        #expect(try wf.json(["audit", "--since", "2999-01-01"]).arrayValue?.isEmpty == true)
        #expect(try wf.json(["audit", "--since", "now"]).arrayValue?.isEmpty == true)
    }

    @Test func subscriptionShowAtSaysItIsAPastView() throws {
        let wf = try WFRunner()
        defer { wf.remove() }
        #expect(try wf.run(["demo"]).status == 0)
        let subscription = try #require(try wf.json(["subscriptions"]).arrayValue?.first?.objectValue?["subscription_id"]?.stringValue)
        let past = try wf.run(["subscription", "show", String(subscription.prefix(8)), "--at", "1h"])
        #expect(past.status == 1, "an hour ago the subscription did not exist yet")
        let now = try wf.run(["subscription", "show", String(subscription.prefix(8)), "--at", "now"])
        #expect(now.stdout.hasPrefix("as it was at "), "\(now.stdout)")
        #expect(now.stdout.contains("(a past view; now: wf subscription show \(subscription.prefix(8)))"))
        #expect(!(try wf.run(["subscription", "show", String(subscription.prefix(8))])).stdout.contains("a past view"))
    }

    // MARK: - JSON input

    @Test func brokenJSONInputSaysWhereAndWhy() throws {
        let wf = try WFRunner()
        defer { wf.remove() }
        let result = try wf.run(["start", "task_engine_demo", "--input", "-"], stdin: "{\"message\": \"hi\",\n  \"work_seconds\" 2}")
        #expect(result.status == 1)
        #expect(result.stderr == "error: the input is not valid JSON: line 2, column 18: expected ':' after the member name, found '2'\n")
        #expect(!result.stderr.contains("NSCocoaErrorDomain"))
        #expect(try wf.json(["processes"]).arrayValue?.isEmpty == true)
    }

    @Test(arguments: [
        ("", "line 1, column 1: expected a JSON value, found the end of the input"),
        ("{\"a\": 1,\n \"b\" 2}", "line 2, column 6: expected ':' after the member name, found '2'"),
        ("{\"a\": 1 \"b\": 2}", "line 1, column 9: expected ',' or '}', found '\"'"),
        ("{'a': 1}", "line 1, column 2: expected a member name in double quotes or '}', found '''"),
        ("{\"a\": \"héllo\n\"}", "line 1, column 13: a control character in a string must be escaped"),
        ("{\"a\": tru}", "line 1, column 7: expected true, false or null, found 't'"),
        ("{\"a\": 01}", "line 1, column 7: a number cannot start with 0"),
        ("{\"a\": 1} x", "line 1, column 10: unexpected 'x' after the JSON value"),
        ("\n\n  [\"é\", {\"x\": [1, 2}", "line 3, column 20: expected ',' or ']', found '}'"),
        ("{\"a\": \"open", "line 1, column 7: this string is not closed"),
        ("{\"a\": \"\\x\"}", "line 1, column 8: invalid escape in a string: \\x"),
        (String(repeating: "[", count: 100_000), "line 1, column 100001: expected a JSON value, found the end of the input"),
    ])
    func aJSONSyntaxErrorNamesLineColumnAndWhatWasExpected(text: String, message: String) {
        let error = #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(text) }
        #expect(error?.description.hasPrefix(message) == true, "\(error.map(String.init(describing:)) ?? "no error")")
    }

    // MARK: - A read-only database

    @Test func aReadOnlyDatabaseCanBeReadButNotChanged() throws {
        let wf = try WFRunner()
        defer { wf.remove() }
        #expect(try wf.run(["demo"]).status == 0)
        let process = try #require(try wf.json(["processes"]).arrayValue?.first?.objectValue?["process_id"]?.stringValue)
        let subscription = try #require(try wf.json(["subscriptions"]).arrayValue?.first?.objectValue?["subscription_id"]?.stringValue)

        // A copy whose mode lets nobody write it: refused for root as well, whom the kernel would let write.
        let directory = wf.directory.appendingPathComponent("read-only")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let copy = directory.appendingPathComponent("wf.sqlite").path
        try FileManager.default.copyItem(atPath: wf.database, toPath: copy)
        try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: copy)
        let before = try Data(contentsOf: URL(fileURLWithPath: copy))
        let readOnly = try WFRunner(database: copy)
        defer { readOnly.remove() }

        for arguments in [
            ["processes"], ["subscriptions"], ["audit"], ["db", "status"], ["process", "show", process], ["subscription", "show", subscription],
            ["subscription", "history", subscription], ["workflows"], ["products"],
        ] {
            let result = try readOnly.run(arguments)
            #expect(result.status == 0, "wf \(arguments) on a read-only file: \(result.stderr)")
            #expect(result.stderr.isEmpty, "wf \(arguments): \(result.stderr)")
        }
        let writes = [
            (["start", "task_engine_demo", "--input", "-"], "{}"), (["subscription", "unlock", subscription, "--force"], ""),
            (["db", "migrate"], ""),
        ]
        for (arguments, stdin) in writes {
            let result = try readOnly.run(arguments, stdin: stdin)
            #expect(result.status == 1, "wf \(arguments) on a read-only file")
            #expect(result.stderr.hasPrefix("error: the database file \(copy) is read-only"), "wf \(arguments): \(result.stderr)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: copy)) == before, "the file is unchanged")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["wf.sqlite"], "no -wal or -shm left beside it")
    }

    // MARK: - The WAL

    @Test func aCommandLeavesNoLargeWALBehind() throws {
        let wf = try WFRunner()
        defer { wf.remove() }
        #expect(try wf.run(["demo"]).status == 0)
        for name in ["wf.sqlite-wal", "netboxlite.sqlite-wal"] {
            let path = wf.directory.appendingPathComponent(name).path
            let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int ?? 0
            #expect(size <= 64 * 1024, "\(name) holds \(size) bytes after wf demo")
        }
    }
}
