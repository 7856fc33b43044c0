import Foundation
import Hummingbird
import NIOCore
import Persistence
import WorkflowEngine

/// An error answer of the API: `application/problem+json` (RFC 9457), with the field
/// problems of a refused form as `errors` (`{"field": "page.field", "reason": …}`, the
/// paths the CLI prints), and the engine's or store's error code as `code`.
struct APIProblem: Error, HTTPResponseError {
    var status: HTTPResponse.Status
    var code: String
    var detail: String
    var problems: [FieldProblem] = []
    /// Anything else the client needs to act: the next page of a form that is not complete,
    /// the holder of a subscription.
    var extra: [String: JSONValue] = [:]
    /// Headers the answer must carry (a 401's `WWW-Authenticate`).
    var headers: HTTPFields = [:]

    init(
        _ status: HTTPResponse.Status, code: String, _ detail: String, problems: [FieldProblem] = [], extra: [String: JSONValue] = [:],
        headers: HTTPFields = [:]
    ) {
        self.status = status
        self.code = code
        self.detail = detail
        self.problems = problems
        self.extra = extra
        self.headers = headers
    }

    var json: JSONValue {
        var object: [String: JSONValue] = [
            "type": .string("https://wf.invalid/problems/\(code)"),
            "title": .string(status.reasonPhrase),
            "status": .int(status.code),
            "code": .string(code),
            "detail": .string(detail),
        ]
        if !problems.isEmpty {
            object["errors"] = .array(problems.map { .object(["field": .string($0.field), "reason": .string($0.reason)]) })
        }
        for (key, value) in extra { object[key] = value }
        return .object(object)
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = headers
        headers[.contentType] = "application/problem+json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: json.jsonText)))
    }

    static func notFound(_ detail: String, code: String = "not_found") -> APIProblem {
        APIProblem(.notFound, code: code, detail)
    }

    static func badRequest(_ detail: String, code: String = "bad_request", problems: [FieldProblem] = []) -> APIProblem {
        APIProblem(.badRequest, code: code, detail, problems: problems)
    }

    /// The answer for any error a handler threw: the engine's and the store's errors by their
    /// code; anything else is a 500 that names no internals beyond its message.
    static func from(_ error: any Error) -> APIProblem {
        switch error {
        case let problem as APIProblem:
            return problem
        case let error as WorkflowError:
            return APIProblem(status(for: error.code), code: error.code.rawValue, error.message, problems: error.problems)
        case let error as PersistenceError:
            return APIProblem(.serviceUnavailable, code: error.code.rawValue, error.message)
        case let error as CLIError:
            return APIProblem(.badRequest, code: "bad_request", error.description)
        case is NIOTooManyBytesError:
            return APIProblem(.contentTooLarge, code: "body_too_large", "the request body is over \(APIContext.maximumBodySize) bytes")
        case let error as HTTPError:
            switch error.status {
            case .notFound: return APIProblem(.notFound, code: "no_such_route", "no such route")
            case .contentTooLarge:
                return APIProblem(.contentTooLarge, code: "body_too_large", "the request body is over \(APIContext.maximumBodySize) bytes")
            case .methodNotAllowed: return APIProblem(.methodNotAllowed, code: "method_not_allowed", "this route does not take that method")
            default: return APIProblem(error.status, code: "http_\(error.status.code)", error.body ?? error.status.reasonPhrase)
            }
        default:
            return APIProblem(.internalServerError, code: "internal", "\(error)")
        }
    }

    /// How each engine error code maps onto HTTP.
    static func status(for code: WorkflowError.Code) -> HTTPResponse.Status {
        switch code {
        case .unknownWorkflow, .processNotFound, .subscriptionNotFound, .unknownProduct, .scheduleNotFound, .hookNotFound: .notFound
        // As orchestrator-core answers a form that does not validate.
        case .invalidInput, .nothingToChoose, .ambiguousProcessID, .reservedStateKey: .badRequest
        case .invalidTransition, .processBusy, .subscriptionLocked, .subscriptionInUse, .subscriptionOutOfSync, .resourceTaken, .leaseLost,
            .nameTaken:
            .conflict
        default: .internalServerError
        }
    }
}
