import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

// How the client connects, and what it says when it cannot.
//
// Why a refused connection used to take 15 s: AsyncHTTPClient's connection pool retries a
// failed connection attempt with exponential backoff (`retryConnectionEstablishment`, on by
// default, as in `HTTPClient.shared`) and fails the waiting request only when the request's
// deadline passes — then 15 s, the whole request timeout — with the last attempt's raw
// error. The engine already retries a transient failure with the step's retry policy, so
// the client gives up on the first refused attempt and says so at once.
extension NetBoxClient {
    /// One HTTP client per pair of timeouts, shared by every NetBoxClient for the life of
    /// the program (as `HTTPClient.shared` is, so they are never shut down): connect within
    /// `connectTimeout`, wait at most `timeout` between bytes, no reconnect loop.
    static func httpClient(for configuration: NetBoxConfiguration) -> HTTPClient {
        let key = Timeouts(connect: configuration.connectTimeout, read: configuration.timeout)
        return sharedClients.withLock { clients in
            if let client = clients[key] { return client }
            var settings = HTTPClient.Configuration()
            settings.timeout = .init(connect: timeAmount(key.connect), read: timeAmount(key.read))
            settings.connectionPool.retryConnectionEstablishment = false
            let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: settings)
            clients[key] = client
            return client
        }
    }

    private struct Timeouts: Hashable {
        var connect: Duration
        var read: Duration
    }

    private static let sharedClients = Mutex<[Timeouts: HTTPClient]>([:])

    static func timeAmount(_ duration: Duration) -> TimeAmount {
        let parts = duration.components
        return .nanoseconds(parts.seconds * 1_000_000_000 + parts.attoseconds / 1_000_000_000)
    }

    // MARK: - Transport errors

    /// A failure before NetBox answered, as a message that says what happened in words
    /// ("refused the connection", "did not answer … within 30 s", "cannot resolve"). Always
    /// `.unavailable`, retryable and unreachable: a later attempt may find NetBox back.
    static func transportError(_ error: any Error, method: HTTPMethod, url: URL, configuration: NetBoxConfiguration) -> NetBoxError {
        let base = configuration.url.absoluteString
        let request = "\(method) \(url.path)"
        func unavailable(_ message: String) -> NetBoxError {
            NetBoxError(.unavailable, message, isRetryable: true, isServiceUnreachable: true)
        }
        if let client = error as? HTTPClientError {
            switch client {
            case .connectTimeout:
                return unavailable(
                    "NetBox at \(base) did not accept a connection within \(seconds(configuration.connectTimeout)) (NETBOX_CONNECT_TIMEOUT)")
            case .deadlineExceeded, .readTimeout:
                return unavailable("NetBox at \(base) did not answer \(request) within \(seconds(configuration.timeout)) (NETBOX_TIMEOUT)")
            case .remoteConnectionClosed:
                return unavailable("NetBox at \(base) closed the connection during \(request)")
            default:
                break
            }
        }
        if let connection = error as? NIOConnectionError {
            if connection.connectionErrors.isEmpty, let lookup = connection.dnsAError ?? connection.dnsAAAAError {
                return unavailable("cannot resolve \(connection.host), the host of NetBox at \(base): \(lookup)")
            }
            let codes = connection.connectionErrors.compactMap { ($0.error as? IOError)?.errnoCode }
            if let code = codes.first, codes.allSatisfy({ $0 == code }), let reason = refusal(code) {
                return unavailable("NetBox at \(base) \(reason)")
            }
        }
        if let io = error as? IOError, let reason = refusal(io.errnoCode) {
            return unavailable("NetBox at \(base) \(reason)")
        }
        return unavailable("cannot reach NetBox at \(base) (\(request)): \(error)")
    }

    /// What an operating-system error on connect means, in words; nil for the others.
    private static func refusal(_ code: Int32) -> String? {
        switch code {
        case ECONNREFUSED: "refused the connection (nothing listens on that port)"
        case ECONNRESET: "reset the connection"
        case EHOSTUNREACH, ENETUNREACH: "is unreachable (no route to host)"
        case ETIMEDOUT: "did not accept a connection (timed out)"
        default: nil
        }
    }

    /// `5 s`, `0.3 s`.
    private static func seconds(_ duration: Duration) -> String {
        let parts = duration.components
        let value = Double(parts.seconds) + Double(parts.attoseconds) / 1e18
        return value == value.rounded() ? "\(Int(value)) s" : "\(value) s"
    }
}
