import Foundation
import NetBox
import NetBoxLite
import NetBoxPayloads
import Testing
import WorkflowEngine
import WorkflowTestKit

/// NetBox failing for a while: the client says so as transient, and the engine parks the
/// process and completes it on a later retry.
@Suite("NetBox failures", .serialized)
struct NetBoxFailureTests {
    @Test func serverErrorIsTransientButNotUnreachable() async throws {
        try await withLab { client, server in
            server.injectFaults([.status(503)])
            let error = try await #require(throws: NetBoxError.self) { try await client.devices() }
            #expect(error.code == .unavailable)
            #expect(error.status == 503)
            #expect(error.isRetryable)
            #expect(!error.isServiceUnreachable)
            #expect(try await client.devices().count == 6, "the next call succeeds")
        }
    }

    @Test func slowAnswerIsATimeout() async throws {
        let server = try await NetBoxLiteServer.start(NetBoxLiteConfiguration())
        defer { Task { await server.stop() } }
        let client = NetBoxClient(NetBoxConfiguration(url: server.url, token: server.token, timeout: .milliseconds(300)))
        server.injectFaults([.delay(.seconds(2))])
        let error = try await #require(throws: NetBoxError.self) { try await client.device(id: 1) }
        #expect(error.code == .unavailable)
        #expect(error.isRetryable)
        #expect(error.message.contains("did not answer"))
        await server.stop()
    }

    @Test func engineParksAProcessWhileNetBoxFailsAndARetryCompletesIt() async throws {
        try await withLab { client, server in
            let activate = Step("activate_device", retry: RetryPolicy(maxAttempts: 3, initialDelay: .seconds(30))) { _ in
                let device = try await client.updateDevice(id: 1, .init(status: "active"))
                return .success(["device_status": .string(device.status.value)])
            }
            let workflow = WorkflowDefinition(
                name: "activate", target: .system, description: "activate loc1-core", steps: StepList([activate, done]))
            let temporary = try await TemporaryStore(workflows: [workflow])
            let clock = ManualClock()
            let engine = try Engine.testing(store: temporary.store, workflows: [workflow], clock: clock)

            server.injectFaults([.status(502, count: 1, pathPrefix: "/api/dcim/devices/")])
            let parked = try await engine.start("activate", user: "ops")
            #expect(parked.status == .waiting)
            #expect(parked.failedReason?.contains("502") == true)
            #expect(try await client.device(id: 1).status.value == "planned", "nothing was written while NetBox failed")

            clock.advance(by: .seconds(31))
            let recovered = try await engine.recover(user: "ops")
            #expect(recovered.map(\.status) == [.completed])
            #expect(try await client.device(id: 1).status.value == "active")
        }
    }

    @Test func unreachableNetBoxEndsAsAPIUnavailableWhenAttemptsRunOut() async throws {
        // Port 1: nothing listens there (a port freed by stopping a server could be reused at once).
        let url = try #require(URL(string: "http://127.0.0.1:1"))
        let client = NetBoxClient(NetBoxConfiguration(url: url, token: String(repeating: "a", count: 40), timeout: .seconds(5)))
        let look = Step("look_up_device", retry: RetryPolicy(maxAttempts: 1)) { _ in
            _ = try await client.device(id: 1)
            return .success
        }
        let workflow = WorkflowDefinition(name: "look", target: .system, description: "look", steps: StepList([look, done]))
        let temporary = try await TemporaryStore(workflows: [workflow])
        let engine = try Engine.testing(store: temporary.store, workflows: [workflow])
        let outcome = try await engine.start("look", user: "ops")
        #expect(outcome.status == .apiUnavailable)
        #expect(outcome.failedReason?.contains("refused the connection") == true)
    }
}
