import Synchronization

/// The faults waiting to be played, shared by the server and whoever injects them.
/// Faults are used in the order injected; each request takes at most one.
public final class FaultInjector: Sendable {
    private let pending = Mutex<[InjectedFault]>([])

    public init() {}

    /// Queues `faults` after any still pending.
    public func inject(_ faults: [InjectedFault]) {
        pending.withLock { $0.append(contentsOf: faults.filter { $0.count > 0 }) }
    }

    /// Drops every pending fault.
    public func clear() {
        pending.withLock { $0.removeAll() }
    }

    /// How many requests still have a fault waiting for them.
    public var pendingCount: Int {
        pending.withLock { $0.reduce(0) { $0 + $1.count } }
    }

    /// The fault for a request to `path`, if one is pending; counts it as used.
    func take(for path: String) -> InjectedFault? {
        pending.withLock { faults in
            guard let index = faults.firstIndex(where: { path.hasPrefix($0.pathPrefix ?? "") }) else { return nil }
            let fault = faults[index]
            faults[index].count -= 1
            if faults[index].count == 0 { faults.remove(at: index) }
            return fault
        }
    }
}
