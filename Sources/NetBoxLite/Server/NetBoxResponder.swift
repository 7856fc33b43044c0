import Foundation
import Hummingbird

/// Hands every HTTP request to the NetBox API and writes its answer.
///
/// A responder of its own rather than Hummingbird's router: NetBox checks authentication
/// before the method, sends the path's `Allow` header on every answer (403 and 405
/// included) and redirects paths without their final slash, all of which need the matched
/// endpoint before any handler runs.
struct NetBoxResponder: HTTPResponder {
    typealias Context = BasicRequestContext

    let api: NetBoxAPI
    /// `host:port` for requests that carry no Host header (HTTP/1.0).
    let fallbackAuthority: String

    /// Bodies above this are refused; NetBox payloads are a few kilobytes.
    static let maximumBodySize = 4 * 1024 * 1024

    func respond(to request: Request, context: Context) async throws -> Response {
        var request = request
        let bytes = try await request.collectBody(upTo: Self.maximumBodySize)
        var body: JSON?
        var bodyError: String?
        if bytes.readableBytes > 0 {
            do {
                body = try JSON.parse(Data(bytes.readableBytesView))
            } catch {
                bodyError = "\(error)"
            }
        }
        let authority = request.head.authority ?? fallbackAuthority
        let path = request.uri.path
        let apiRequest = APIRequest(
            method: request.method.rawValue,
            path: path.removingPercentEncoding ?? path,
            query: APIRequest.parseQuery(request.uri.query ?? ""),
            body: body,
            baseURL: "http://\(authority)",
            authorization: request.headers[.authorization]
        )
        let answer = await api.respond(to: apiRequest, bodyError: bodyError)
        var headers = HTTPFields()
        for (name, value) in answer.headers {
            headers.append(name: name, value: value)
        }
        let text = answer.body.map(\.text) ?? ""
        return Response(
            status: HTTPResponse.Status(code: answer.status),
            headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(string: text))
        )
    }
}

extension HTTPFields {
    /// Appends a header by name; NetBoxLite only sends names that are valid tokens.
    fileprivate mutating func append(name: String, value: String) {
        guard let fieldName = Element.Name(name) else { return }
        append(Element(name: fieldName, value: value))
    }
}
