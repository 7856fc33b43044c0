import Foundation
import Logging
import Synchronization
import WorkflowEngine

/// A wall clock that moves only when told to, and ids that count up: tests decide what
/// time it is (to expire a lease) without waiting.
public final class ManualClock: Sendable {
    private let current: Mutex<Date>

    public init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        current = Mutex(start)
    }

    public var now: Date { current.withLock { $0 } }

    public func advance(by duration: Duration) {
        current.withLock { $0 = $0 + duration }
    }

    /// An environment reading this clock; `sleep` returns at once after moving the clock
    /// forward by the requested time, so a step that "works for a minute" takes no time.
    public var environment: EngineEnvironment {
        EngineEnvironment(
            now: { [self] in now },
            makeID: { UUID() },
            sleep: { [self] duration in
                try Task.checkCancellation()
                advance(by: duration)
                await Task.yield()
            })
    }
}

extension Engine {
    /// An engine for tests: the given store, workflows and products, a manual clock, a named runner.
    public static func testing(
        store: any ProcessStore & SubscriptionStore, workflows: [WorkflowDefinition], products: ProductRegistry = .empty,
        clock: ManualClock = ManualClock(),
        runner: String = "test-runner", leaseDuration: Duration = .seconds(30)
    ) throws -> Engine {
        var logger = Logger(label: "wf.engine.test")
        logger.logLevel = .warning
        return Engine(
            store: store, registry: try WorkflowRegistry(workflows), products: products,
            configuration: EngineConfiguration(runnerID: runner, leaseDuration: leaseDuration, heartbeatInterval: .seconds(3600)),
            environment: clock.environment, logger: logger)
    }
}
