import Foundation
import Hummingbird
import Logging
import NIOCore
import WorkflowEngine

/// Turns every error a route throws (or Hummingbird's own: no route, body too large) into
/// a problem document, and logs the ones that are the server's fault.
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = APIContext
    let logger: Logger

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let problem = APIProblem.from(error)
            // 510 is no failure: it is how a start asks for the next page of its form.
            if problem.status.code >= 500 && problem.status.code != 510 {
                logger.error(
                    "request failed",
                    metadata: [
                        "method": "\(request.method)", "path": "\(request.uri.path)", "status": "\(problem.status.code)",
                        "error": "\(error is APIProblem ? "\(problem.code): \(problem.detail)" : "\(error)")",
                    ])
            }
            let path = request.uri.path
            if !path.hasPrefix("/api/") && path != "/metrics" {
                // A person's browser: a page, not a problem document.
                let text = problem.detail.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                let html =
                    "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>\(problem.status.code) · wf</title>"
                    + "<link rel=\"stylesheet\" href=\"/static/style.css\"></head><body><main><h1>\(problem.status.code) \(problem.status.reasonPhrase)</h1>"
                    + "<p class=\"error\">\(text)</p><p><a href=\"/\">Home</a></p></main></body></html>"
                return Response(
                    status: problem.status, headers: [.contentType: "text/html; charset=utf-8"],
                    body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
            }
            return try problem.response(from: request, context: context)
        }
    }
}

/// Checks `Authorization: Bearer <token>` and sets who the request acts as. Without a token
/// only the public routes answer (health, the OpenAPI document); a refused attempt is
/// written to the audit trail, without the token.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = APIContext
    /// Nil with `--no-auth`: every request acts as `developer`, an admin.
    let tokens: (any TokenStore)?
    let refusals: any RefusalLog
    let developer: String

    /// Answer without a token: health, the spec, and NetBox's webhook (signed with its own secret).
    static let publicPaths: Set<String> = ["/api/health", "/api/openapi.json", NetBoxWebhook.path]

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
        var context = context
        guard let tokens else {
            context.identity = Identity(user: developer, role: .admin, token: nil)
            return try await next(request, context)
        }
        let path = request.uri.path
        let now = Date()
        // The web UI: the session cookie, when there is a good one; a page without one sends the person to sign in.
        if !path.hasPrefix("/api/") && path != "/metrics" {
            if let secret = WebSession.secret(in: request), let token = try await tokens.token(secretHash: TokenSecret.hash(secret), usedAt: now),
                token.isUsable(at: now)
            {
                context.identity = Identity(user: token.user, role: token.role, token: token)
                context.sessionSecret = secret
            }
            return try await next(request, context)
        }
        if Self.publicPaths.contains(path) { return try await next(request, context) }
        let secret: String
        if let header = request.headers[.authorization] {
            let parts = header.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer", !parts[1].isEmpty else {
                throw await refuse(request, user: nil, "the Authorization header must be 'Bearer <token>'")
            }
            secret = String(parts[1])
        } else if request.method == .get, let session = WebSession.secret(in: request) {
            // A signed-in page reads the API with its cookie (its live updates: EventSource sends no headers); it never writes that way.
            secret = session
        } else {
            throw await refuse(request, user: nil, "send a token: Authorization: Bearer <token> (see `wf token create`)")
        }
        guard let token = try await tokens.token(secretHash: TokenSecret.hash(secret), usedAt: now) else {
            throw await refuse(request, user: nil, "the token is not known")
        }
        guard token.isUsable(at: now) else {
            throw await refuse(request, user: token.user, token.revokedAt != nil ? "the token was revoked" : "the token has expired")
        }
        context.identity = Identity(user: token.user, role: token.role, token: token)
        do {
            return try await next(request, context)
        } catch let problem as APIProblem where problem.status == .forbidden {
            await record(request, user: token.user, status: 403, problem.detail)
            throw problem
        }
    }

    private func refuse(_ request: Request, user: String?, _ reason: String) async -> APIProblem {
        await record(request, user: user, status: 401, reason)
        return APIProblem(.unauthorized, code: "unauthenticated", reason, headers: [.wwwAuthenticate: "Bearer realm=\"wf\""])
    }

    func record(_ request: Request, user: String?, status: Int, _ reason: String) async {
        let refusal = AccessRefusal(
            at: Date(), user: user ?? "anonymous", method: request.method.rawValue, path: request.uri.path, status: status, reason: reason)
        do {
            try await refusals.recordRefusal(refusal)
        } catch {
            Logger(label: "wf.serve").warning("could not record a refused request", metadata: ["error": "\(error)"])
        }
    }
}
