import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import NIOCore
import Persistence
import WorkflowEngine

/// The web UI of `wf serve`: server-rendered pages at `/` (Mustache templates in
/// `Resources/web`), read through the same store and engine as the API, working with
/// JavaScript off; `app.js` only adds copy buttons and live steps.
struct WebUI: Sendable {
    let runtime: Runtime
    let templates: MustacheLibrary
    /// Whether requests are signed in with tokens (false with `--no-auth`).
    let authenticating: Bool

    var store: any WorkflowStore { runtime.store }
    var engine: Engine { runtime.engine }

    init(runtime: Runtime, authenticating: Bool) throws {
        self.runtime = runtime
        self.authenticating = authenticating
        templates = try Self.library()
    }

    /// The templates shipped in `Resources/web`, each registered under its file name.
    static func library() throws -> MustacheLibrary {
        guard let directory = Bundle.module.url(forResource: "web", withExtension: nil) else {
            throw CLIError("this build lacks its web templates (Resources/web)")
        }
        var library = MustacheLibrary()
        for file in try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() where file.hasSuffix(".mustache") {
            let text = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            try library.register(text, named: String(file.dropLast(".mustache".count)))
        }
        return library
    }

    static let serverTiming = HTTPField.Name("Server-Timing")!
    static let forwardedProto = HTTPField.Name("X-Forwarded-Proto")!

    static func asset(_ name: String) -> String? {
        guard let url = Bundle.module.url(forResource: "web", withExtension: nil)?.appendingPathComponent(name) else { return nil }
        return try? String(contentsOf: url, encoding: .utf8)
    }

    func register(on router: Router<APIContext>) {
        for (name, type) in [("style.css", "text/css; charset=utf-8"), ("app.js", "text/javascript; charset=utf-8")] {
            let text = Self.asset(name) ?? ""
            router.get("/static/\(name)") { _, _ in
                Response(
                    status: .ok, headers: [.contentType: type, .cacheControl: "max-age=300"], body: ResponseBody(byteBuffer: ByteBuffer(string: text))
                )
            }
        }
        router.get("/login") { request, context in try signInPage(request, context: context) }
        router.post("/login") { request, context in try await signIn(request, context: context) }
        router.post("/logout") { request, context in try await signOut(request, context: context) }
        router.get("/") { request, context in try await page(request, context) { identity in try await home(identity) } }
        router.get("/subscriptions") { request, context in
            try await page(request, context) { _ in try await subscriptions(request.uri.queryParameters, uri: request.uri.description) }
        }
        router.get("/subscriptions/:id") { request, context in
            try await page(request, context) { identity in
                try await subscription(try context.parameters.require("id"), query: request.uri.queryParameters, identity: identity)
            }
        }
        router.get("/processes") { request, context in
            try await page(request, context) { _ in try await processes(request.uri.queryParameters, uri: request.uri.description) }
        }
        router.get("/processes/:id") { request, context in
            try await page(request, context) { identity in try await process(try context.parameters.require("id"), identity: identity) }
        }
        for action in ["resume", "retry", "abort"] {
            router.post("/processes/:id/\(action)") { request, context in
                try await page(request, context, posting: true) { identity in
                    try await act(action, on: try context.parameters.require("id"), request: request, context: context, identity: identity)
                }
            }
        }
        router.get("/workflows") { request, context in try await page(request, context) { identity in workflows(identity) } }
        router.get("/start/:workflow") { request, context in
            try await page(request, context) { identity in
                try await startPage(try context.parameters.require("workflow"), query: request.uri.queryParameters, identity: identity)
            }
        }
        router.post("/start/:workflow") { request, context in
            try await page(request, context, posting: true) { identity in
                try await startStep(try context.parameters.require("workflow"), request: request, context: context, identity: identity)
            }
        }
        router.get("/map") { request, context in
            try await page(request, context) { _ in try await map(request.uri.queryParameters) }
        }
        router.get("/schedules") { request, context in
            try await page(request, context) { identity in try await schedules(identity, notice: request.uri.queryParameters.get("notice")) }
        }
        for action in ["pause", "resume", "run"] {
            router.post("/schedules/:name/\(action)") { request, context in
                try await page(request, context, posting: true) { identity in
                    try await actOnSchedule(
                        action, name: try context.parameters.require("name"), request: request, context: context, identity: identity)
                }
            }
        }
    }

    // MARK: - Pages

    /// What a page handler returns: a template and its values, or somewhere to go.
    enum Outcome {
        case render(String, [String: Any], nav: String, status: HTTPResponse.Status = .ok)
        case redirect(String)
    }

    /// Runs a page for a signed-in person (else to the sign-in page, coming back here
    /// afterwards); a posted form must carry its CSRF value. An error becomes an error page
    /// with what went wrong, never a stack of JSON.
    private func page(
        _ request: Request, _ context: APIContext, posting: Bool = false, _ body: (Identity) async throws -> Outcome
    ) async throws -> Response {
        guard let identity = context.identity else {
            if posting { return redirect("/login") }
            return redirect("/login?next=" + (request.uri.description.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/"))
        }
        let started = ContinuousClock.now
        let outcome: Outcome
        do {
            outcome = try await body(identity)
        } catch let error as WebRefusal {
            return render(
                "error", ["heading": error.heading, "message": error.message, "back": error.back], identity, context, nav: "", status: error.status)
        } catch let problem as APIProblem {
            let heading = problem.status == .notFound ? "Not found" : problem.status == .forbidden ? "Not allowed" : "Cannot do that"
            return render(
                "error", ["heading": heading, "message": problem.detail, "back": request.headers[.referer] ?? "/"], identity, context, nav: "",
                status: problem.status)
        } catch let error as WorkflowError {
            let problem = APIProblem.from(error)
            return render(
                "error", ["heading": "Cannot do that", "message": error.message, "back": request.headers[.referer] ?? "/"], identity, context,
                nav: "", status: problem.status)
        }
        switch outcome {
        case .redirect(let location): return redirect(location)
        case .render(let template, let values, let nav, let status):
            var response = render(template, values, identity, context, nav: nav, status: status)
            let elapsed = ContinuousClock.now - started
            let millis = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
            response.headers[Self.serverTiming] = "page;dur=\(String(format: "%.2f", millis))"
            return response
        }
    }

    private func render(
        _ template: String, _ values: [String: Any], _ identity: Identity?, _ context: APIContext, nav: String, status: HTTPResponse.Status
    ) -> Response {
        var values = values
        if let identity {
            values["identity"] = true
            // Not `user`: pages use that name for their own (who started a process).
            values["signed_in_user"] = identity.user
            values["signed_in_role"] = identity.role.rawValue
            values["csrf"] = WebSession.csrf(for: context.sessionSecret)
            values["can_sign_out"] = context.sessionSecret != nil
        }
        if !nav.isEmpty { values["nav_" + nav] = true }
        let html = templates.render(values, withTemplate: template) ?? "<!doctype html><p>the page template \(template) is missing</p>"
        return Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    private func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }

    // MARK: - Signing in

    private func signInPage(_ request: Request, context: APIContext) throws -> Response {
        guard authenticating else { return redirect("/") }
        let next = Self.localPath(request.uri.queryParameters.get("next"))
        return render("login", ["next": next], nil, context, nav: "", status: .ok)
    }

    private func signIn(_ request: Request, context: APIContext) async throws -> Response {
        guard authenticating else { return redirect("/") }
        let form = try await WebFormData.read(request, context: context)
        let next = Self.localPath(form.first("next"))
        let secret = (form.first("token") ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let now = Date()
        let refusal: String?
        if secret.isEmpty {
            refusal = "Paste a token to sign in."
        } else if let token = try await store.token(secretHash: TokenSecret.hash(secret), usedAt: now) {
            refusal = token.isUsable(at: now) ? nil : token.revokedAt != nil ? "This token was revoked." : "This token has expired."
        } else {
            refusal = "This token is not known here."
        }
        if let refusal {
            try? await store.recordRefusal(
                AccessRefusal(at: now, user: "anonymous", method: "POST", path: "/login", status: 401, reason: "sign-in: \(refusal)"))
            return render("login", ["next": next, "error": refusal], nil, context, nav: "", status: .unauthorized)
        }
        var response = redirect(next)
        response.headers[.setCookie] = WebSession.signIn(secret, secure: Self.isSecure(request))
        return response
    }

    private func signOut(_ request: Request, context: APIContext) async throws -> Response {
        var response = redirect(authenticating ? "/login" : "/")
        let form = try await WebFormData.read(request, context: context)
        guard WebSession.checkCSRF(form, context: context) else { return response }
        response.headers[.setCookie] = WebSession.signOut(secure: Self.isSecure(request))
        return response
    }

    /// A path of this site to go back to after signing in; anything else (another site) is `/`.
    static func localPath(_ text: String?) -> String {
        guard let text, text.hasPrefix("/"), !text.hasPrefix("//"), !text.contains("\\") else { return "/" }
        return text
    }

    private static func isSecure(_ request: Request) -> Bool {
        request.uri.scheme == .https || request.headers[forwardedProto] == "https"
    }
}

/// A page that cannot be shown, with why and where to go instead.
struct WebRefusal: Error {
    var status: HTTPResponse.Status
    var heading: String
    var message: String
    var back: String = "/"

    static func notFound(_ message: String, back: String = "/") -> WebRefusal {
        WebRefusal(status: .notFound, heading: "Not found", message: message, back: back)
    }
}
