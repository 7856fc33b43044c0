import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// A NetBoxLite listening on a socket in the background: what `wf` and end-to-end tests
/// talk to with an ordinary NetBox client.
///
/// ```swift
/// let server = try await NetBoxLiteServer.start(NetBoxLiteConfiguration())
/// // talk to server.url with "Authorization: Token \(server.token)"
/// await server.stop()
/// ```
public final class NetBoxLiteServer: Sendable {
    /// The base URL, e.g. `http://127.0.0.1:41234` (the API is under `/api/`).
    public let url: URL
    /// The v1 token (or v2 token) clients send.
    public let token: String
    /// The configuration the server runs with (its `port` as asked; see `url` for the real one).
    public let configuration: NetBoxLiteConfiguration

    private let faults: FaultInjector
    private let logger: Logger
    private let serviceGroup: ServiceGroup
    /// The task running the service group: owned by this object and awaited by `stop()`.
    private let running: Task<Void, any Error>

    private init(
        url: URL, configuration: NetBoxLiteConfiguration, faults: FaultInjector, logger: Logger, serviceGroup: ServiceGroup,
        running: Task<Void, any Error>
    ) {
        self.url = url
        self.token = configuration.token
        self.configuration = configuration
        self.faults = faults
        self.logger = logger
        self.serviceGroup = serviceGroup
        self.running = running
    }

    /// Opens the state (seeding it on first start), starts listening, and returns once the
    /// server accepts connections.
    public static func start(_ configuration: NetBoxLiteConfiguration = NetBoxLiteConfiguration(), logger: Logger? = nil) async throws
        -> NetBoxLiteServer
    {
        let faults = FaultInjector()
        let (events, listener) = AsyncStream.makeStream(of: Result<Int, any Error>.self)
        let app = try await makeApplication(
            configuration, faults: faults, logger: logger,
            onListening: { port in
                if let port {
                    listener.yield(.success(port))
                } else {
                    listener.yield(.failure(NetBoxLiteError(.cannotListen, "the server socket has no port")))
                }
            })
        let serviceGroup = ServiceGroup(configuration: .init(services: [app], logger: app.logger))
        let running = Task {
            do {
                try await serviceGroup.run()
                listener.yield(.failure(NetBoxLiteError(.cannotListen, "the server stopped before it listened")))
            } catch {
                listener.yield(.failure(error))
                throw error
            }
        }
        var first: Result<Int, any Error>?
        for await event in events {
            first = event
            break
        }
        do {
            guard let port = try first?.get(), let url = URL(string: "http://\(urlHost(configuration.host)):\(port)") else {
                throw NetBoxLiteError(.cannotListen, "the server did not report its address")
            }
            return NetBoxLiteServer(
                url: url, configuration: configuration, faults: faults, logger: app.logger, serviceGroup: serviceGroup, running: running)
        } catch {
            await serviceGroup.triggerGracefulShutdown()
            _ = await running.result
            throw NetBoxLiteError(
                .cannotListen, "cannot listen on \(configuration.host):\(configuration.port): is the port taken?",
                underlying: error)
        }
    }

    /// Queues faults for the next requests (see `InjectedFault`).
    public func injectFaults(_ faults: [InjectedFault]) {
        self.faults.inject(faults)
    }

    /// Drops the faults not played yet.
    public func clearFaults() {
        faults.clear()
    }

    /// Stops accepting connections, lets requests in flight finish, and returns when the
    /// server is down. Calling it again does nothing more.
    public func stop() async {
        await serviceGroup.triggerGracefulShutdown()
        if case .failure(let error) = await running.result {
            logger.error("NetBoxLite stopped with an error", metadata: ["error": .string("\(error)")])
        }
    }

    private static func urlHost(_ host: String) -> String {
        host.contains(":") ? "[\(host)]" : host
    }
}
