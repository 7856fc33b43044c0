@testable import NetBoxLite

/// Calls the recording run made but did not keep, replayed before the recording that first
/// shows their effect. Each is proven by the recordings themselves; without them the
/// recorded state cannot be reached.
struct RecordingGap: Sendable {
    let method: String
    let path: String
    let body: JSON
    /// Why the call must have happened.
    let evidence: String

    /// The gaps to fill before the recording named `file`.
    static func before(_ file: String) -> [RecordingGap] {
        all[file] ?? []
    }

    private static let all: [String: [RecordingGap]] = [
        "26-cable-create-planned": [
            RecordingGap(
                method: "PATCH", path: "/api/dcim/interfaces/12/",
                body: ["description": "core link loc1-core ethernet-1/1 <-> loc2-core ethernet-1/1", "enabled": true],
                evidence: "26 shows loc2-core ethernet-1/1 (12) with this description, no recording sets it, and 86 resets it")
        ],
        "59-available-prefixes-post-bulk": [
            RecordingGap(
                method: "POST", path: "/api/ipam/prefixes/",
                body: ["prefix": "192.0.2.0/30", "status": "active", "description": "test /30 for bulk allocation"],
                evidence: "59 allocates two /31s from prefix 7, 'the test /30'; 81 deletes prefix 7 = 192.0.2.0/30; no recording creates it")
        ],
    ]
}
