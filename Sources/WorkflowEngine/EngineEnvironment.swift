import Foundation

/// Time, ids and sleeping, injected so that tests control them.
public struct EngineEnvironment: Sendable {
    public var now: @Sendable () -> Date
    public var makeID: @Sendable () -> UUID
    public var sleep: @Sendable (Duration) async throws -> Void

    public init(
        now: @escaping @Sendable () -> Date, makeID: @escaping @Sendable () -> UUID,
        sleep: @escaping @Sendable (Duration) async throws -> Void
    ) {
        self.now = now
        self.makeID = makeID
        self.sleep = sleep
    }

    /// The wall clock, random UUIDs and real sleeping.
    public static let live = EngineEnvironment(
        now: { Date() }, makeID: { UUID() }, sleep: { try await Task.sleep(for: $0) })
}

/// How a runner identifies itself and how long its claim on a process lasts.
public struct EngineConfiguration: Sendable {
    /// Written into `processes.lease_owner`; unique per running `wf` (host, pid, random part).
    public var runnerID: String
    /// A process whose runner has not renewed its lease for this long is taken over.
    public var leaseDuration: Duration
    /// How often a runner renews the leases of the processes it runs.
    public var heartbeatInterval: Duration

    public init(runnerID: String = EngineConfiguration.defaultRunnerID(), leaseDuration: Duration = .seconds(30), heartbeatInterval: Duration? = nil)
    {
        self.runnerID = runnerID
        self.leaseDuration = leaseDuration
        self.heartbeatInterval = heartbeatInterval ?? leaseDuration / 3
    }

    public static func defaultRunnerID() -> String {
        let host = ProcessInfo.processInfo.hostName
        let pid = ProcessInfo.processInfo.processIdentifier
        return "\(host):\(pid):\(UUID().uuidString.prefix(8).lowercased())"
    }
}

extension Date {
    public static func + (lhs: Date, rhs: Duration) -> Date {
        lhs.addingTimeInterval(rhs.seconds)
    }
}
