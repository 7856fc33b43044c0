import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// Talks to NetBox's REST API (a real NetBox, or NetBoxLite: only the URL differs).
///
/// Every call maps NetBox's answers to `NetBoxError`: 400 → `.validation` with NetBox's
/// messages per field; 403 (NetBox never answers 401) → `.configuration`, "NETBOX_TOKEN
/// rejected by <url>"; 404 → `.notFound` naming the object; 409 on an allocation →
/// `.exhausted`; connection refused, timeouts, DNS failures and 5xx → `.unavailable`,
/// retryable (see `NetBoxClient+Transport.swift`).
public final class NetBoxClient: Sendable {
    public let configuration: NetBoxConfiguration
    let http: HTTPClient
    let logger: Logger
    /// Where writes are recorded before and after they are sent (see `journaled(_:)`).
    let journal: (any NetBoxJournal)?

    /// Without `httpClient`, a client shared by every NetBoxClient with the same timeouts:
    /// it connects within `configuration.connectTimeout` and reports a refused connection at
    /// once (see `NetBoxClient.httpClient(for:)`).
    public init(_ configuration: NetBoxConfiguration, httpClient: HTTPClient? = nil, logger: Logger = Logger(label: "wf.netbox")) {
        self.configuration = configuration
        self.http = httpClient ?? Self.httpClient(for: configuration)
        self.logger = logger
        self.journal = nil
    }

    init(_ configuration: NetBoxConfiguration, http: HTTPClient, logger: Logger, journal: any NetBoxJournal) {
        self.configuration = configuration
        self.http = http
        self.logger = logger
        self.journal = journal
    }

    // MARK: - Requests

    /// One query parameter; repeat a name for a list (`status=planned&status=active`).
    public typealias Query = [(String, String)]

    /// Sends one request and decodes the answer; `what` names the object for a 404.
    func send<Response: Decodable>(
        _ method: HTTPMethod, _ path: String, query: Query = [], body: (any Encodable & Sendable)? = nil, what: String,
        allocation: String? = nil
    ) async throws -> Response {
        try await sendKeepingAnswer(method, path, query: query, body: body, what: what, allocation: allocation).0
    }

    /// Sends one request and decodes the answer, returning the body as it came too (a write's journal keeps it).
    func sendKeepingAnswer<Response: Decodable>(
        _ method: HTTPMethod, _ path: String, query: Query = [], body: (any Encodable & Sendable)? = nil, what: String,
        allocation: String? = nil
    ) async throws -> (Response, Data) {
        let data = try await sendRaw(method, url: try url(path, query: query), body: body, what: what, allocation: allocation)
        do {
            return (try JSONDecoder().decode(Response.self, from: data), data)
        } catch {
            throw NetBoxError(
                .unexpectedResponse,
                "NetBox at \(configuration.url.absoluteString) answered \(method) \(path) with a body this client cannot read: \(error)")
        }
    }

    /// Sends one request where no body comes back (DELETE → 204).
    func sendWithoutResponse(_ method: HTTPMethod, _ path: String, what: String) async throws {
        _ = try await sendRaw(method, url: try url(path, query: []), body: nil, what: what, allocation: nil)
    }

    /// Every object of a list, following `next` page by page.
    func list<Item: Decodable>(_ path: String, query: Query, what: String) async throws -> [Item] {
        var items: [Item] = []
        var next: URL? = try url(path, query: query + [("limit", String(configuration.pageSize))])
        var pages = 0
        while let page = next {
            pages += 1
            guard pages <= 10_000 else { throw NetBoxError(.unexpectedResponse, "NetBox keeps returning pages for \(path); stopped at 10000") }
            let data = try await sendRaw(.GET, url: page, body: nil, what: what, allocation: nil)
            let decoded: NetBoxPage<Item>
            do {
                decoded = try JSONDecoder().decode(NetBoxPage<Item>.self, from: data)
            } catch {
                throw NetBoxError(.unexpectedResponse, "NetBox answered GET \(path) with a list this client cannot read: \(error)")
            }
            items += decoded.results
            next = decoded.next.flatMap(URL.init(string:)).map(rebased)
        }
        return items
    }

    func sendRaw(_ method: HTTPMethod, url: URL, body: (any Encodable & Sendable)?, what: String, allocation: String?) async throws -> Data {
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = method
        request.headers.add(name: "Authorization", value: configuration.authorization)
        request.headers.add(name: "Accept", value: "application/json")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            request.body = .bytes(ByteBuffer(data: try encoder.encode(body)))
        }
        let response: HTTPClientResponse
        let bytes: ByteBuffer
        let call = NetBoxCallMetrics(method: method, path: url.path)
        do {
            response = try await http.execute(request, timeout: timeout)
            bytes = try await response.body.collect(upTo: 64 * 1024 * 1024)
        } catch let error as NetBoxError {
            call.finish(status: nil)
            throw error
        } catch {
            call.finish(status: nil)
            throw Self.transportError(error, method: method, url: url, configuration: configuration)
        }
        let status = Int(response.status.code)
        call.finish(status: status)
        if method != .GET, let id = response.headers.first(name: "X-Request-ID") { WriteRequestIDs.current?.record(id) }
        let data = Data(buffer: bytes)
        if (200..<300).contains(status) { return data }
        logger.debug("NetBox error", metadata: ["http.status": "\(status)", "http.path": "\(url.path)"])
        throw Self.error(status: status, body: data, method: method, path: url.path, what: what, allocation: allocation, base: configuration.url)
    }

    private var timeout: TimeAmount { Self.timeAmount(configuration.timeout) }

    func url(_ path: String, query: Query) throws -> URL {
        guard var components = URLComponents(url: configuration.url, resolvingAgainstBaseURL: false) else {
            throw NetBoxError(.configuration, "cannot build a URL for \(path) on \(configuration.url)")
        }
        let base = components.path
        components.path = (base.hasSuffix("/") ? String(base.dropLast()) : base) + path
        if !query.isEmpty { components.queryItems = query.map { URLQueryItem(name: $0.0, value: $0.1) } }
        // `+` is a space to NetBox's form decoding: encode it (addresses like fc00::/64 are fine).
        let encoded = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        components.percentEncodedQuery = encoded
        guard let url = components.url else { throw NetBoxError(.configuration, "cannot build a URL for \(path) on \(configuration.url)") }
        return url
    }

    /// A `next` link points at the host NetBox thinks it has; keep talking to ours.
    private func rebased(_ link: URL) -> URL {
        guard var components = URLComponents(url: link, resolvingAgainstBaseURL: false),
            let base = URLComponents(url: configuration.url, resolvingAgainstBaseURL: false)
        else { return link }
        components.scheme = base.scheme
        components.host = base.host
        components.port = base.port
        return components.url ?? link
    }

    // MARK: - Error mapping

    static func error(status: Int, body: Data, method: HTTPMethod, path: String, what: String, allocation: String?, base: URL) -> NetBoxError {
        let json = try? JSONSerialization.jsonObject(with: body)
        let detail = (json as? [String: Any])?["detail"] as? String
        switch status {
        case 400:
            return NetBoxError(
                .validation, "NetBox refused \(method) \(path)", fields: fieldMessages(json), status: status)
        case 401, 403:
            return NetBoxError(
                .configuration, "NETBOX_TOKEN rejected by \(base.absoluteString)\(detail.map { ": \($0)" } ?? "")", status: status)
        case 404:
            return NetBoxError(.notFound, "\(what) not found in NetBox", status: status)
        case 409 where allocation != nil:
            return NetBoxError(.exhausted, allocation ?? "", status: status)
        case 500...599:
            return NetBoxError(
                .unavailable, "NetBox at \(base.absoluteString) failed on \(method) \(path) with \(status)\(detail.map { ": \($0)" } ?? "")",
                status: status, isRetryable: true)
        default:
            return NetBoxError(
                .unexpectedResponse, "NetBox answered \(method) \(path) with \(status)\(detail.map { ": \($0)" } ?? "")", status: status)
        }
    }

    /// NetBox's 400 bodies: `{"field": ["message", …]}`, or a list of `{"field": "message"}` (allocations).
    static func fieldMessages(_ json: Any?) -> [String: [String]] {
        var fields: [String: [String]] = [:]
        func add(_ object: [String: Any]) {
            for (key, value) in object {
                if let messages = value as? [String] {
                    fields[key, default: []] += messages
                } else if let message = value as? String {
                    fields[key, default: []].append(message)
                } else if let nested = value as? [[String: Any]] {
                    for item in nested { for (inner, text) in item { fields["\(key).\(inner)", default: []].append("\(text)") } }
                } else {
                    fields[key, default: []].append("\(value)")
                }
            }
        }
        if let object = json as? [String: Any] { add(object) }
        if let list = json as? [[String: Any]] { list.forEach(add) }
        if let list = json as? [String] { fields["non_field_errors", default: []] += list }
        return fields
    }
}
