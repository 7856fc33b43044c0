import Foundation
import Hummingbird
import Logging
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

    static let publicPaths: Set<String> = ["/api/health", "/api/openapi.json"]

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
        var context = context
        guard let tokens else {
            context.identity = Identity(user: developer, role: .admin, token: nil)
            return try await next(request, context)
        }
        if Self.publicPaths.contains(request.uri.path) { return try await next(request, context) }
        guard let header = request.headers[.authorization] else {
            throw await refuse(request, user: nil, "send a token: Authorization: Bearer <token> (see `wf token create`)")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer", !parts[1].isEmpty else {
            throw await refuse(request, user: nil, "the Authorization header must be 'Bearer <token>'")
        }
        let now = Date()
        guard let token = try await tokens.token(secretHash: TokenSecret.hash(String(parts[1])), usedAt: now) else {
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

    private func record(_ request: Request, user: String?, status: Int, _ reason: String) async {
        let refusal = AccessRefusal(
            at: Date(), user: user ?? "anonymous", method: request.method.rawValue, path: request.uri.path, status: status, reason: reason)
        do {
            try await refusals.recordRefusal(refusal)
        } catch {
            Logger(label: "wf.serve").warning("could not record a refused request", metadata: ["error": "\(error)"])
        }
    }
}
