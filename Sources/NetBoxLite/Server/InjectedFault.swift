/// A failure NetBoxLite plays for the next requests, so that client code can be tested
/// against errors and slowness: answer with a status (`.status(503)`), or wait before
/// answering (`.delay(.seconds(5))`, for client timeouts), or both.
public struct InjectedFault: Sendable, Equatable {
    /// How many requests the fault applies to.
    public var count: Int
    /// Only requests whose path starts with this (e.g. `/api/ipam/`); nil for every request.
    public var pathPrefix: String?
    /// The status to answer with instead of the real answer (the body is
    /// `{"detail": "NetBoxLite injected a 503 response"}`); nil to answer normally.
    public var status: Int?
    /// How long to wait before answering; nil for no wait.
    public var delay: Duration?

    public init(count: Int = 1, pathPrefix: String? = nil, status: Int? = nil, delay: Duration? = nil) {
        self.count = count
        self.pathPrefix = pathPrefix
        self.status = status
        self.delay = delay
    }

    /// The next `count` requests (under `pathPrefix`, if given) are answered with `status`.
    public static func status(_ status: Int, count: Int = 1, pathPrefix: String? = nil) -> InjectedFault {
        InjectedFault(count: count, pathPrefix: pathPrefix, status: status)
    }

    /// The next `count` requests (under `pathPrefix`, if given) wait `delay`, then are answered normally.
    public static func delay(_ delay: Duration, count: Int = 1, pathPrefix: String? = nil) -> InjectedFault {
        InjectedFault(count: count, pathPrefix: pathPrefix, delay: delay)
    }
}
