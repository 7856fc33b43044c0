import Foundation
import Hummingbird
import Logging

/// Builds the NetBoxLite application: its state opened (and seeded on first start), ready to
/// be run as a `Service` or tested with HummingbirdTesting's `app.test(.router)`, which needs
/// no socket.
///
/// - Parameters:
///   - configuration: where to listen, the tokens, the state file and the seed.
///   - faults: the fault queue the application plays (keep it to inject faults later).
///   - logger: the application's logger; by default one labelled `netboxlite` at `.info`.
public func buildApplication(
    _ configuration: NetBoxLiteConfiguration,
    faults: FaultInjector = FaultInjector(),
    logger: Logger? = nil
) async throws -> some ApplicationProtocol {
    try await makeApplication(configuration, faults: faults, logger: logger, onListening: { _ in })
}

/// `buildApplication`, with a hook called once the server listens, with its port.
func makeApplication(
    _ configuration: NetBoxLiteConfiguration,
    faults: FaultInjector,
    logger: Logger?,
    onListening: @escaping @Sendable (Int?) async -> Void
) async throws -> Application<NetBoxResponder> {
    let logger = logger ?? Logger(label: "netboxlite")
    let authenticator = try configuration.makeAuthenticator()
    let choices = try Choices.bundled()
    let store = try await LabStore.open(path: configuration.dataPath, seed: configuration.seed, choices: choices)
    let api = NetBoxAPI(store: store, choices: choices, authenticator: authenticator, faults: faults, logger: logger)
    let responder = NetBoxResponder(api: api, fallbackAuthority: "\(configuration.host):\(configuration.port)")
    return Application(
        responder: responder,
        configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
        onServerRunning: { channel in await onListening(channel.localAddress?.port) },
        logger: logger
    )
}
