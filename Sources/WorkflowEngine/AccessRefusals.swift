import Foundation

/// A request the HTTP API refused: no or a bad token (401), or a role that may not (403).
public struct AccessRefusal: Sendable, Equatable {
    public var at: Date
    /// The token's user, or `anonymous` when no known token came with the request.
    public var user: String
    public var method: String
    public var path: String
    public var status: Int
    public var reason: String

    public init(at: Date, user: String, method: String, path: String, status: Int, reason: String) {
        self.at = at
        self.user = user
        self.method = method
        self.path = path
        self.status = status
        self.reason = reason
    }
}

/// Where refused requests are kept, for the audit trail (`wf audit` lists them as
/// `refused METHOD PATH`).
public protocol RefusalLog: Sendable {
    func recordRefusal(_ refusal: AccessRefusal) async throws
}
