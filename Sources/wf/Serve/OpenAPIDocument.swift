import Foundation
import Hummingbird

/// The API's OpenAPI 3.1 document, checked in as `Resources/openapi.json` and served as it
/// is at `/api/openapi.json`; the tests hold every route's answers to it.
enum OpenAPIDocument {
    static let text: String? = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json") else { return nil }
        return try? String(contentsOf: url, encoding: .utf8)
    }()

    static func response() throws -> Response {
        guard let text else { throw APIProblem(.internalServerError, code: "no_openapi_document", "this build lacks its OpenAPI document") }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
