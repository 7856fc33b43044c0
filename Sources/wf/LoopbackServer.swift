import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// A router served on a free loopback port inside this process, for the benches that time
/// `wf serve`'s routes (`wf bench --api`, `wf bench --ui`).
struct LoopbackServer {
    let port: Int
    private let group: ServiceGroup
    private let serving: Task<Void, any Error>

    var base: String { "http://127.0.0.1:\(port)" }

    static func start(_ router: Router<APIContext>, logger: Logger) async -> LoopbackServer {
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router, configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { portSink.yield($0.localAddress?.port ?? 0) }, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let serving = Task { try await group.run() }
        var port = 0
        for await bound in ports {
            port = bound
            break
        }
        return LoopbackServer(port: port, group: group, serving: serving)
    }

    /// Stops accepting, lets requests in flight finish, and waits for the server to end.
    func stop() async {
        await group.triggerGracefulShutdown()
        _ = await serving.result
    }
}
