import Foundation
import Hummingbird
import WorkflowEngine

/// Each request's context: Hummingbird's core, plus who is asking once the token was checked.
struct APIContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    var identity: Identity?
    /// The token secret a browser signed in with (the web UI's session cookie), for its
    /// CSRF value; nil for API clients and with `--no-auth`.
    var sessionSecret: String?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    /// Bodies over this are refused with 413: a form's answers are a few kilobytes.
    static let maximumBodySize = 256 * 1024
    var maxUploadSize: Int { Self.maximumBodySize }

    /// The identity the request acts as; the authentication middleware always sets it
    /// before a route that needs it runs.
    func require(_ action: Identity.Action) throws -> Identity {
        guard let identity else { throw APIProblem(.unauthorized, code: "unauthenticated", "this route needs a token") }
        guard identity.allows(action) else {
            throw APIProblem(.forbidden, code: "forbidden", "\(identity.user) (\(identity.role.rawValue)) may not \(action.description)")
        }
        return identity
    }
}

/// Who a request acts as: the user of its token, with the token's role and workflows.
struct Identity: Sendable {
    var user: String
    var role: AccessRole
    /// The token it came with; nil with `--no-auth`.
    var token: AccessToken?

    /// What a route does, for the role check.
    enum Action: CustomStringConvertible {
        case read
        /// Start, resume, retry or abort a process of this workflow.
        case run(WorkflowName)
        case administer(String)

        var description: String {
            switch self {
            case .read: "read"
            case .run(let workflow): "run workflow \(workflow)"
            case .administer(let what): what
            }
        }
    }

    func allows(_ action: Action) -> Bool {
        switch action {
        case .read: return true
        case .administer: return role == .admin
        case .run(let workflow):
            if role == .admin { return true }
            return role == .operator && (token?.allowsWorkflow(workflow) ?? true)
        }
    }
}
