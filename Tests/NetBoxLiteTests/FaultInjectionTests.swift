import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import NetBoxLite

/// Faults injected for client tests: errors and slowness, for a number of requests.
@Suite struct FaultInjectionTests {
    let token = "0123456789abcdef0123456789abcdef01234567"

    @Test func answersWithTheInjectedStatusThenNormally() async throws {
        let faults = FaultInjector()
        let app = try await buildApplication(NetBoxLiteConfiguration(token: token), faults: faults)
        try await app.test(.router) { client in
            let replay = ReplayClient(client: client)
            faults.inject([.status(503)])
            let failed = try await replay.send("GET", "/api/dcim/devices/1/", authorization: "Token \(token)")
            #expect(failed.status == 503)
            #expect(failed.body?["detail"] == "NetBoxLite injected a 503 response")
            let recovered = try await replay.send("GET", "/api/dcim/devices/1/", authorization: "Token \(token)")
            #expect(recovered.status == 200)
            #expect(faults.pendingCount == 0)
        }
    }

    @Test func aFaultForAPathPrefixLeavesOtherPathsAlone() async throws {
        let faults = FaultInjector()
        let app = try await buildApplication(NetBoxLiteConfiguration(token: token), faults: faults)
        try await app.test(.router) { client in
            let replay = ReplayClient(client: client)
            faults.inject([.status(502, count: 2, pathPrefix: "/api/ipam/")])
            #expect(try await replay.send("GET", "/api/dcim/devices/1/", authorization: "Token \(token)").status == 200)
            #expect(try await replay.send("GET", "/api/ipam/prefixes/", authorization: "Token \(token)").status == 502)
            #expect(
                try await replay.send(
                    "POST", "/api/ipam/prefixes/3/available-prefixes/", authorization: "Token \(token)", body: ["prefix_length": 31]
                ).status == 502)
            #expect(try await replay.send("GET", "/api/ipam/prefixes/", authorization: "Token \(token)").status == 200)
            // The failed POST allocated nothing: the first /31 is still free.
            let allocated = try await replay.send(
                "POST", "/api/ipam/prefixes/3/available-prefixes/", authorization: "Token \(token)", body: ["prefix_length": 31])
            #expect(allocated.body?["prefix"] == "10.0.0.0/31")
        }
    }

    @Test func delaysTheNextRequestsThenAnswersNormally() async throws {
        let faults = FaultInjector()
        let app = try await buildApplication(NetBoxLiteConfiguration(token: token), faults: faults)
        try await app.test(.router) { client in
            let replay = ReplayClient(client: client)
            faults.inject([.delay(.milliseconds(400))])
            let clock = ContinuousClock()
            let start = clock.now
            let slow = try await replay.send("GET", "/api/status/", authorization: "Token \(token)")
            #expect(slow.status == 200)
            #expect(clock.now - start >= .milliseconds(400))
            // The delay was played once and is gone: the next request is not held back.
            #expect(faults.pendingCount == 0)
            #expect(try await replay.send("GET", "/api/status/", authorization: "Token \(token)").status == 200)
        }
    }

    @Test func aDelayMakesAClientTimeOutOverARealSocket() async throws {
        let server = try await NetBoxLiteServer.start(NetBoxLiteConfiguration())
        server.injectFaults([.delay(.milliseconds(1500))])
        await #expect(throws: (any Error).self) {
            _ = try await HTTP.get(server.url.appending(path: "api/status/"), token: server.token, timeout: 0.3)
        }
        let answer = try await HTTP.get(server.url.appending(path: "api/status/"), token: server.token)
        #expect(answer.status == 200)
        await server.stop()
    }
}
