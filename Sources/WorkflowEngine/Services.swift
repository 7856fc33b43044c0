/// The outside world a workflow's steps and forms may use (a NetBox client, the
/// subscription store), registered by type where `wf` wires things together, so the
/// engine imports none of them and tests put fakes or test servers in their place.
public struct Services: Sendable {
    private var values: [ObjectIdentifier: any Sendable] = [:]

    public init() {}

    /// Makes `value` available as `T`.
    public mutating func register<T: Sendable>(_ value: T, as type: T.Type = T.self) {
        values[ObjectIdentifier(type)] = value
    }

    /// A copy with `value` registered as `T`.
    public func registering<T: Sendable>(_ value: T, as type: T.Type = T.self) -> Services {
        var copy = self
        copy.register(value, as: type)
        return copy
    }

    public func get<T>(_ type: T.Type) -> T? {
        values[ObjectIdentifier(type)] as? T
    }

    /// The service registered as `T`, or an error saying nothing provides it.
    public func require<T>(_ type: T.Type) throws -> T {
        guard let value = get(type) else {
            throw WorkflowError(.invalidWorkflow, "no \(T.self) is configured for this engine; it is needed here")
        }
        return value
    }
}
