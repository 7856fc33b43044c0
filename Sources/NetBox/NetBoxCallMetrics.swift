import AsyncHTTPClient
import Foundation
import Metrics
import NIOHTTP1

/// Times one NetBox call for swift-metrics (`wf serve` exports them at `/metrics`):
/// `wf_netbox_call_duration_seconds` by method and path (ids as `{id}`), and
/// `wf_netbox_call_errors_total` for answers outside 2xx and calls that got no answer.
struct NetBoxCallMetrics {
    let method: String
    let path: String
    let started = ContinuousClock.now

    init(method: HTTPMethod, path: String) {
        self.method = method.rawValue
        // One series per endpoint, not per object.
        self.path = path.split(separator: "/", omittingEmptySubsequences: false)
            .map { $0.allSatisfy(\.isNumber) && !$0.isEmpty ? "{id}" : String($0) }.joined(separator: "/")
    }

    func finish(status: Int?) {
        let elapsed = ContinuousClock.now - started
        let dimensions = [("method", method), ("path", path)]
        Timer(label: "wf_netbox_call_duration_seconds", dimensions: dimensions, preferredDisplayUnit: .seconds).recordNanoseconds(
            elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
        if let status, (200..<300).contains(status) { return }
        Counter(label: "wf_netbox_call_errors_total", dimensions: dimensions + [("status", status.map(String.init) ?? "no_answer")]).increment()
    }
}
