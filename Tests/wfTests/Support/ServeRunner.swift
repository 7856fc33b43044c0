import Foundation
import Synchronization
import Testing
import WorkflowEngine

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A `wf serve --port 0` of the built binary on a database of its own (as `WFRunner` runs
/// `wf`), and an HTTP client for it. Start it with `ServeRunner.with { server in … }`, which
/// stops it however the body ends.
actor ServeRunner {
    /// `http://127.0.0.1:PORT`, as the server printed it.
    nonisolated let baseURL: URL
    /// The runner whose directory and database the server uses: for `wf` commands and the store.
    nonisolated let runner: WFRunner
    private let process: Process
    private nonisolated let output: Output
    private let exit: ExitWatch
    private let session: URLSession

    /// What a request got back; header names in lowercase.
    struct Answer: Sendable {
        var status: Int
        var headers: [String: String]
        var body: Data

        var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// Starts a server (`auth: false` adds `--no-auth`); `database` is a `postgres://` URL, or
    /// nil for a SQLite file in the runner's fresh directory; `environment` is added to the
    /// child's (`NETBOX_URL`, `WF_LEASE_SECONDS`, …). Without `scheduler` it runs with
    /// `--no-scheduler`: a test that counts processes must not meet the hourly validation.
    static func start(
        auth: Bool = true, database: String? = nil, environment extra: [String: String] = [:], arguments: [String] = [], scheduler: Bool = false
    ) async throws -> ServeRunner {
        let runner = try WFRunner(database: database)
        let process = Process()
        process.executableURL = WFRunner.binary
        process.arguments =
            ["serve", "--port", "0", "--grace", "5"] + (auth ? [] : ["--no-auth"]) + (scheduler ? [] : ["--no-scheduler"]) + arguments
            + ["--database", runner.database]
        // As `WFRunner.launch` sets it up: no WF_DATABASE, a fixed $USER, the runner's directory as XDG_DATA_HOME.
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "WF_DATABASE")
        environment["USER"] = "tester"
        environment["XDG_DATA_HOME"] = runner.directory.path
        process.environment = environment.merging(runner.environment) { $1 }.merging(extra) { $1 }
        let output = Output()
        let exit = ExitWatch()
        process.standardOutput = output.drain(standardError: false)
        process.standardError = output.drain(standardError: true)
        process.standardInput = FileHandle.nullDevice
        process.terminationHandler = { exit.finish($0.terminationStatus) }
        try process.run()
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(20)
        while true {
            if let url = output.listeningURL() {
                return ServeRunner(baseURL: url, runner: runner, process: process, output: output, exit: exit)
            }
            if exit.status != nil || clock.now > deadline {
                if exit.status == nil { kill(process.processIdentifier, SIGKILL) }
                let status = await exit.wait()
                throw ServeFailure(
                    "wf serve did not print 'listening on http://…' within 20 s (exit status \(status)); it printed:\n\(output.transcript)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Runs `body` with a started server, then stops it and removes its directory.
    static func with<T: Sendable>(
        auth: Bool = true, database: String? = nil, environment: [String: String] = [:], scheduler: Bool = false,
        _ body: (ServeRunner) async throws -> T
    ) async throws -> T {
        let server = try await start(auth: auth, database: database, environment: environment, scheduler: scheduler)
        do {
            let result = try await body(server)
            await server.finish()
            return result
        } catch {
            await server.finish()
            throw error
        }
    }

    private init(baseURL: URL, runner: WFRunner, process: Process, output: Output, exit: ExitWatch) {
        self.baseURL = baseURL
        self.runner = runner
        self.process = process
        self.output = output
        self.exit = exit
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 60
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        session = URLSession(configuration: configuration)
    }

    /// Stops the server (SIGTERM, then SIGKILL after `timeout`) and returns its exit status.
    func stop(timeout: Duration = .seconds(20)) async -> Int32 {
        if let status = exit.status { return status }
        kill(process.processIdentifier, SIGTERM)
        let pid = process.processIdentifier
        let exit = exit
        return await withTaskGroup(of: Int32?.self) { group in
            group.addTask { await exit.wait() }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            while let next = await group.next() {
                if let status = next {
                    group.cancelAll()
                    return status
                }
                // Still running after the timeout: a grace period gone wrong, which the exit status shows.
                kill(pid, SIGKILL)
            }
            return await exit.wait()
        }
    }

    /// Stops the server and removes its directory.
    private func finish() async {
        _ = await stop()
        session.invalidateAndCancel()
        runner.remove()
    }

    /// What the server printed so far, both streams.
    nonisolated var transcript: String { output.transcript }

    /// Sends a request with a JSON body.
    func request(
        _ method: String, _ path: String, body: JSONValue? = nil, token: String? = nil, headers: [String: String] = [:]
    ) async throws -> (status: Int, headers: [String: String], body: Data) {
        let answer = try await send(method, path, data: body.map { Data($0.jsonText.utf8) }, token: token, headers: headers)
        return (answer.status, answer.headers, answer.body)
    }

    /// Sends a request with a body of any bytes (malformed JSON, an oversized body).
    func send(_ method: String, _ path: String, data: Data? = nil, token: String? = nil, headers: [String: String] = [:]) async throws -> Answer {
        let request = Self.urlRequest(baseURL, method, path, data: data, token: token, headers: headers)
        let (body, response) = try await session.data(for: request)
        guard let http = response as? HTTPURLResponse else { throw ServeFailure("\(method) \(path): not an HTTP answer") }
        return Answer(status: http.statusCode, headers: Self.headers(of: http), body: body)
    }

    /// Sends a request and parses its answer as JSON.
    func json(
        _ method: String, _ path: String, body: JSONValue? = nil, token: String? = nil, headers: [String: String] = [:]
    ) async throws -> (status: Int, headers: [String: String], json: JSONValue) {
        let answer = try await request(method, path, body: body, token: token, headers: headers)
        do {
            return (answer.status, answer.headers, try JSONValue.parse(answer.body))
        } catch {
            throw ServeFailure("\(method) \(path) answered \(answer.status) with no JSON (\(error)): \(String(decoding: answer.body, as: UTF8.self))")
        }
    }

    /// Reads a streamed answer (server-sent events) until `enough` holds for the text so far,
    /// then hangs up. An answer other than 200 is read to its end and returned; a 200 stream
    /// that ends, or sends nothing new for `timeout`, or runs past it, without `enough` is a
    /// failure showing what it sent. Nonisolated, so that `enough` runs where the caller is and
    /// need not be `@Sendable`.
    nonisolated func stream(
        _ path: String, token: String? = nil, headers: [String: String] = [:], timeout: Duration = .seconds(15),
        until enough: (String) -> Bool
    ) async throws -> Answer {
        let reader = StreamReader()
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = Double(timeout.components.seconds) + 1
        let session = URLSession(configuration: configuration, delegate: reader, delegateQueue: nil)
        defer { session.invalidateAndCancel() }
        let task = session.dataTask(with: Self.urlRequest(baseURL, "GET", path, data: nil, token: token, headers: headers))
        let deadline = ContinuousClock.now + timeout
        var last: Answer?
        task.resume()
        do {
            for try await answer in reader.updates {
                last = answer
                guard answer.status == 200 else { continue }
                if enough(answer.text) {
                    task.cancel()
                    return answer
                }
                if ContinuousClock.now > deadline { break }
            }
        } catch {
            throw ServeFailure("GET \(path): the stream failed (\(error)) before it sent what was expected; it sent:\n\(last?.text ?? "")")
        }
        task.cancel()
        if let last, last.status != 200 { return last }
        throw ServeFailure("GET \(path): the stream did not send what was expected within \(timeout); it sent:\n\(last?.text ?? "")")
    }

    /// Makes a token with `wf token create … --json` on the server's database and returns its secret.
    nonisolated func token(user: String, role: String, workflows: String? = nil) throws -> String {
        let json = try runner.json(["token", "create", "--user", user, "--role", role] + (workflows.map { ["--workflows", $0] } ?? []))
        guard let secret = json.objectValue?["secret"]?.stringValue else { throw ServeFailure("wf token create printed no secret: \(json.jsonText)") }
        return secret
    }

    private static func urlRequest(
        _ baseURL: URL, _ method: String, _ path: String, data: Data?, token: String?, headers: [String: String]
    ) -> URLRequest {
        var request = URLRequest(url: URL(string: path, relativeTo: baseURL)?.absoluteURL ?? baseURL)
        request.httpMethod = method
        request.httpBody = data
        if data != nil { request.setValue("application/json", forHTTPHeaderField: "Content-Type") }
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        return request
    }

    /// Why the server or a request did not do what the test needs.
    struct ServeFailure: Error, CustomStringConvertible {
        var description: String

        init(_ description: String) { self.description = description }
    }

    fileprivate static func headers(of response: HTTPURLResponse) -> [String: String] {
        var headers: [String: String] = [:]
        for (name, value) in response.allHeaderFields {
            headers["\(name)".lowercased()] = "\(value)"
        }
        return headers
    }
}

/// The server's output, read as it comes so that neither pipe ever fills and blocks it.
private final class Output: Sendable {
    struct Streams {
        var stdout = Data()
        var stderr = Data()
    }

    private let streams = Mutex(Streams())

    /// A pipe for the child's standard output (or error), emptied into `streams` as it fills.
    func drain(standardError: Bool) -> Pipe {
        let pipe = Pipe()
        pipe.fileHandleForReading.readabilityHandler = { [self] handle in
            let data = handle.availableData
            if data.isEmpty {
                handle.readabilityHandler = nil
                return
            }
            streams.withLock { streams in
                if standardError { streams.stderr.append(data) } else { streams.stdout.append(data) }
            }
        }
        return pipe
    }

    var transcript: String {
        streams.withLock { "stdout:\n\(String(decoding: $0.stdout, as: UTF8.self))\nstderr:\n\(String(decoding: $0.stderr, as: UTF8.self))" }
    }

    /// The URL of `wf serve: listening on http://127.0.0.1:PORT (…)`, once printed.
    func listeningURL() -> URL? {
        let text = streams.withLock { String(decoding: $0.stdout, as: UTF8.self) }
        guard let match = text.firstMatch(of: /listening on (http:\/\/[^\s]+)/) else { return nil }
        return URL(string: String(match.1))
    }
}

/// The server's exit status, set by its termination handler, and the tasks waiting for it.
private final class ExitWatch: Sendable {
    private struct State {
        var status: Int32?
        var waiters: [CheckedContinuation<Int32, Never>] = []
    }

    private let state = Mutex(State())

    var status: Int32? { state.withLock { $0.status } }

    func finish(_ status: Int32) {
        let waiters = state.withLock { state in
            state.status = status
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: status) }
    }

    /// Suspends (never blocks a thread) until the process has exited.
    func wait() async -> Int32 {
        await withCheckedContinuation { continuation in
            let status = state.withLock { state -> Int32? in
                if state.status == nil { state.waiters.append(continuation) }
                return state.status
            }
            if let status { continuation.resume(returning: status) }
        }
    }
}

/// Hands over a streamed answer as it comes, through URLSession's delegate (Linux's
/// URLSession has no `bytes(for:)`): the status, headers and body so far, after each chunk and
/// once more at the end.
private final class StreamReader: NSObject, URLSessionDataDelegate, Sendable {
    private struct State {
        var response: HTTPURLResponse?
        var body = Data()
    }

    private let state = Mutex(State())
    let updates: AsyncThrowingStream<ServeRunner.Answer, any Error>
    private let continuation: AsyncThrowingStream<ServeRunner.Answer, any Error>.Continuation

    override init() {
        (updates, continuation) = AsyncThrowingStream.makeStream()
    }

    private func current() -> ServeRunner.Answer? {
        state.withLock { state in
            state.response.map { ServeRunner.Answer(status: $0.statusCode, headers: ServeRunner.headers(of: $0), body: state.body) }
        }
    }

    func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void
    ) {
        state.withLock { $0.response = response as? HTTPURLResponse }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        state.withLock { $0.body.append(data) }
        if let answer = current() { continuation.yield(answer) }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        if let answer = current() {
            continuation.yield(answer)
            continuation.finish()
        } else {
            continuation.finish(throwing: error ?? ServeRunner.ServeFailure("the stream ended before any answer"))
        }
    }
}
