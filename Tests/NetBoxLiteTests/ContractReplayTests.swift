import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import NetBoxLite

/// Replays every exchange recorded against a real NetBox 4.7.3, in order, against one fresh
/// NetBoxLite with the default lab, and checks that it answers the same: status, the kept
/// headers, and the body (up to timestamps and the URL's host).
@Suite struct ContractReplayTests {
    static let v1Token = "0123456789abcdef0123456789abcdef01234567"
    static let v2Token = "nbt_abcdefghijkl.0123456789abcdefghijklmnopqrstuvwxyzABCD"

    @Test func everyRecordingGetsTheRecordedAnswer() async throws {
        let recordings = try Recording.all()
        #expect(recordings.count == 90)
        let configuration = NetBoxLiteConfiguration(token: Self.v1Token, v2Token: Self.v2Token)
        let app = try await buildApplication(configuration)
        try await app.test(.router) { client in
            let replay = ReplayClient(client: client)
            var passed = 0
            for recording in recordings {
                for gap in RecordingGap.before(recording.file) {
                    let answer = try await replay.send(gap.method, gap.path, authorization: "Token \(Self.v1Token)", body: gap.body)
                    #expect((200..<300).contains(answer.status), "unrecorded call before \(recording.file) failed: \(answer.text)")
                }
                let answer = try await replay.send(
                    recording.method, recording.uri, authorization: authorization(for: recording), body: recording.body)
                if let mismatch = mismatch(recording, answer) {
                    Issue.record("\(recording.file): \(mismatch)")
                } else {
                    passed += 1
                }
            }
            #expect(passed == recordings.count, "\(passed) of \(recordings.count) recordings replayed identically")
        }
    }

    /// The recorded Authorization header, with the redacted tokens replaced by the server's
    /// in the same form; the deliberately wrong ones (04-07) as sent.
    private func authorization(for recording: Recording) -> String? {
        guard let header = recording.headers["Authorization"] else { return nil }
        switch header {
        case "Token <REDACTED: 40-char v1 token>": return "Token \(Self.v1Token)"
        case "Bearer <REDACTED: 40-char v1 token>": return "Bearer \(Self.v1Token)"
        case "Bearer nbt_<REDACTED: 12-char key>.<REDACTED: 40-char secret>": return "Bearer \(Self.v2Token)"
        default: return header
        }
    }

    private func mismatch(_ recording: Recording, _ answer: ReplayClient.Answer) -> String? {
        if answer.status != recording.status {
            return "status \(answer.status), recorded \(recording.status); body \(answer.text)"
        }
        for (name, recorded) in recording.responseHeaders {
            let expected = JSONDifference.normalize(recorded, baseURL: ReplayClient.baseURL)
            if answer.headers[name.lowercased()] != expected {
                return "header \(name): \(answer.headers[name.lowercased()] ?? "missing"), recorded \(expected)"
            }
        }
        if let difference = JSONDifference.first(expected: recording.responseBody, actual: answer.body, baseURL: ReplayClient.baseURL) {
            return "body differs \(difference)"
        }
        return nil
    }
}
