import Foundation
import Testing
import WorkflowEngine
import WorkflowTestKit

@testable import Persistence

/// A block value read back as it was written, or refused as corrupt naming the field.
@Suite("Stored values", .storeSlots)
struct StoredValueTests {
    @Test(arguments: [
        JSONValue.null, .string(""), .string("loc1-core"), .int(-7), .double(2.5), .bool(true), .bool(false), .array([1, "a"]),
        .object(["a": 1]),
    ])
    func everyValueReadsBackAsWritten(value: JSONValue) throws {
        let stored = StoreShared.encode(value)
        #expect(try StoreShared.decode(text: stored.text, type: stored.type, field: "f") == value)
    }

    @Test(
        arguments: [
            ("int", "12x", "the stored value of node_id of block b1 is '12x', not an integer"),
            ("int", nil, "the stored value of node_id of block b1 is NULL, not an integer"),
            ("double", "fast", "the stored value of node_id of block b1 is 'fast', not a number"),
            ("bool", "yes", "the stored value of node_id of block b1 is 'yes', not true or false"),
            ("json", "{broken", "the stored value of node_id of block b1 is '{broken', not JSON"),
            ("string", nil, "the stored value of node_id of block b1 is NULL, not a string"),
            ("decimal", "1", "the stored value of node_id of block b1 has the unknown value type 'decimal'"),
        ] as [(String, String?, String)])
    func aCorruptValueIsRefusedNamingTheField(type: String, text: String?, message: String) {
        #expect {
            try StoreShared.decode(text: text, type: type, field: "node_id of block b1")
        } throws: { error in
            (error as? PersistenceError)?.code == .corruptRow && (error as? PersistenceError)?.message == message
        }
    }
}
