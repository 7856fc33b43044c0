import Foundation
import Logging

/// The NetBox REST API subset, independent of the HTTP server: a request in, a response out.
///
/// Each request goes through NetBox's order: injected faults first (they stand for the
/// network or a proxy), then URL resolution (404), authentication (403), the method (405),
/// and the handler in one transaction (400/404/409 from the handler roll everything back).
struct NetBoxAPI: Sendable {
    static let netBoxVersion = "4.7.3"
    static let apiVersion = "4.7"

    let store: LabStore
    let authenticator: Authenticator
    let faults: FaultInjector
    let endpoints: [Endpoint]
    let logger: Logger

    init(store: LabStore, choices: Choices, authenticator: Authenticator, faults: FaultInjector, logger: Logger) {
        self.store = store
        self.authenticator = authenticator
        self.faults = faults
        self.logger = logger
        endpoints =
            [StatusEndpoint().endpoint]
            + DeviceEndpoints(choices: choices).endpoints
            + InterfaceEndpoints(choices: choices).endpoints
            + CableEndpoints(choices: choices).endpoints
            + PrefixEndpoints(choices: choices).endpoints
            + [AvailablePrefixesEndpoint(choices: choices).endpoint, AvailableIPsEndpoint(choices: choices).endpoint]
            + IPAddressEndpoints(choices: choices).endpoints
    }

    /// The response to `request`, with NetBox's headers (`API-Version`, `Allow`, `Content-Type`, `X-Request-ID`).
    func respond(to request: APIRequest, bodyError: String? = nil) async -> APIResponse {
        if let fault = faults.take(for: request.path) {
            if let delay = fault.delay {
                do {
                    try await Task.sleep(for: delay)
                } catch {
                    // Cancelled: the client or the server is going away; answer at once.
                    logger.debug("injected delay cut short", metadata: ["http.path": .string(request.path)])
                }
            }
            if let status = fault.status {
                return finish(APIResponse(status: status, body: ["detail": .string("NetBoxLite injected a \(status) response")]), allow: nil)
            }
        }
        let segments = request.path.split(separator: "/").map(String.init)
        guard let matched = endpoints.lazy.compactMap({ endpoint in endpoint.match(segments).map { (endpoint, $0) } }).first else {
            return finish(APIResponse(status: 404, body: ["detail": "Not found."]), allow: nil)
        }
        let (endpoint, ids) = matched
        // Django's APPEND_SLASH: NetBox's paths end with a slash; anything else is redirected.
        guard request.path.hasSuffix("/") else {
            let query = request.query.map { Pagination.formEncode($0.name) + "=" + Pagination.formEncode($0.value) }
            let location = request.baseURL + request.path + "/" + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
            return APIResponse(status: 301, body: nil, headers: [(name: "Location", value: location)])
        }
        if let failure = authenticator.failure(for: request.authorization) {
            return finish(APIResponse(status: 403, body: ["detail": .string(failure)]), allow: endpoint.allow)
        }
        let method = request.method == "HEAD" ? "GET" : request.method
        guard let action = endpoint.actions[method] else {
            return finish(error: .methodNotAllowed(request.method), allow: endpoint.allow)
        }
        if let bodyError {
            return finish(error: .detail(400, "JSON parse error - \(bodyError)"), allow: endpoint.allow)
        }
        var routed = request
        routed.ids = ids
        do {
            let response: APIResponse
            switch action {
            case .read(let handler): response = try await store.read { [routed] lab in try handler(lab, routed) }
            case .write(let handler): response = try await store.write { [routed] lab in try handler(&lab, routed) }
            }
            var finished = finish(response, allow: endpoint.allow)
            if request.method == "HEAD" { finished.body = nil }
            return finished
        } catch let error as APIError {
            return finish(error: error, allow: endpoint.allow)
        } catch {
            logger.error("request failed", metadata: ["http.path": .string(request.path), "error": .string("\(error)")])
            return finish(error: .detail(500, "NetBoxLite could not complete the request: \(error)"), allow: endpoint.allow)
        }
    }

    private func finish(error: APIError, allow: String?) -> APIResponse {
        finish(APIResponse(status: error.status, body: error.body), allow: allow)
    }

    private func finish(_ response: APIResponse, allow: String?) -> APIResponse {
        var response = response
        var headers: [(name: String, value: String)] = []
        if response.body != nil { headers.append((name: "Content-Type", value: "application/json")) }
        headers.append((name: "API-Version", value: Self.apiVersion))
        // As NetBox: the id of this request, which the change log and webhooks repeat.
        headers.append((name: "X-Request-ID", value: UUID().uuidString.lowercased()))
        if let allow { headers.append((name: "Allow", value: allow)) }
        response.headers = headers + response.headers
        return response
    }
}
