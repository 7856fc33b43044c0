import Foundation
import NetBox
import Testing

/// How fast and how clearly the client says that NetBox cannot be reached. A refused
/// connection took 15 s (the connection pool retried connecting until the request's deadline)
/// and read `connection reset (error set): Connection refused (errno: 111)`.
@Suite("NetBox connection failures")
struct NetBoxConnectionTests {
    private static let token = String(repeating: "a", count: 40)

    @Test func refusedConnectionIsReportedAtOnceAndSaysRefused() async throws {
        // Port 1: nothing listens there.
        let url = try #require(URL(string: "http://127.0.0.1:1"))
        // Timeouts far longer than any load could stretch a refusal: a refusal reported as it
        // happens says "refused". The old client retried connecting until the request's
        // deadline and then reported that deadline, so the message alone tells them apart; the
        // bound on time (no benchmark: CI's loaded machine once took 17 s to get here) checks
        // that neither timeout was waited for.
        let client = NetBoxClient(NetBoxConfiguration(url: url, token: Self.token, timeout: .seconds(240), connectTimeout: .seconds(120)))
        let clock = ContinuousClock()
        let started = clock.now
        let error = try await #require(throws: NetBoxError.self) { try await client.device(id: 1) }
        let took = clock.now - started
        #expect(took < .seconds(100), "took \(took)")
        #expect(error.message == "NetBox at http://127.0.0.1:1 refused the connection (nothing listens on that port)")
        #expect(error.code == .unavailable)
        #expect(error.isRetryable, "the engine parks the process and retries later")
        #expect(error.isServiceUnreachable)
    }

    @Test func unresolvableHostSaysSoAndIsTransient() async throws {
        // .invalid never resolves (RFC 2606).
        let url = try #require(URL(string: "http://netbox.invalid"))
        let client = NetBoxClient(NetBoxConfiguration(url: url, token: Self.token, connectTimeout: .seconds(10)))
        let error = try await #require(throws: NetBoxError.self) { try await client.device(id: 1) }
        #expect(error.message.hasPrefix("cannot resolve netbox.invalid, the host of NetBox at http://netbox.invalid"), "\(error.message)")
        #expect(error.isRetryable)
        #expect(error.isServiceUnreachable)
    }

    @Test func timeoutsDefaultToFiveSecondsToConnectAndThirtyPerRequest() throws {
        let configuration = try #require(try NetBoxConfiguration.fromEnvironment(["NETBOX_URL": "https://netbox.lab", "NETBOX_TOKEN": Self.token]))
        #expect(configuration.connectTimeout == .seconds(5))
        #expect(configuration.timeout == .seconds(30))
    }

    @Test func timeoutsComeFromTheEnvironmentInSeconds() throws {
        let configuration = try #require(
            try NetBoxConfiguration.fromEnvironment([
                "NETBOX_URL": "https://netbox.lab", "NETBOX_TOKEN": Self.token, "NETBOX_CONNECT_TIMEOUT": "1.5", "NETBOX_TIMEOUT": "120",
            ]))
        #expect(configuration.connectTimeout == .milliseconds(1500))
        #expect(configuration.timeout == .seconds(120))
    }

    @Test(arguments: ["0", "-1", "soon", "inf"])
    func invalidTimeoutIsRefusedNamingTheVariable(value: String) {
        let error = #expect(throws: NetBoxError.self) {
            try NetBoxConfiguration.fromEnvironment(["NETBOX_URL": "https://netbox.lab", "NETBOX_TOKEN": Self.token, "NETBOX_TIMEOUT": value])
        }
        #expect(error?.code == .configuration)
        #expect(error?.message == "NETBOX_TIMEOUT must be a number of seconds greater than 0, such as 5 or 2.5, got '\(value)'")
    }
}
