import Foundation
import Testing
import WorkflowEngine

@testable import wf

/// A long choice list in the web UI: at most `listLimit` options at once, a find box that
/// narrows them, and the chosen one always offered.
struct WebFormsTests {
    static let nodes = (1...5000).map { Choice(.string("id-\($0)"), label: String(format: "rt%04d.lab", $0)) }
    static let form = Form(name: "a_side", title: "A side", fields: [.choice("node_a", "A-side node", choices: nodes)])

    static func field(_ values: [String: [String]]) throws -> [String: Any] {
        try #require(WebForms.fields(form, values: values, problems: [], page: "a_side").first)
    }

    static func offered(_ field: [String: Any]) -> [String] {
        let html = field["options_html"] as? String ?? ""
        return html.components(separatedBy: "<option value=\"").dropFirst().map { String($0.prefix { $0 != "\"" }) }
    }

    @Test func aLongListOffersTheFirstTwoHundredAndSaysHowToNarrowIt() throws {
        let field = try Self.field([:])
        #expect(field["is_select"] as? Bool == true)
        #expect(field["narrowable"] as? Bool == true)
        #expect(Self.offered(field) == (1...200).map { "id-\($0)" })
        #expect(field["narrowed"] as? String == "200 of 5000 shown, 5000 in all: type part of a name and Find to narrow")
    }

    @Test func findNarrowsByPartOfTheLabelIgnoringCase() throws {
        let field = try Self.field([WebForms.findKey("node_a"): ["RT012"]])
        #expect(Self.offered(field) == (120...129).map { "id-\($0)" })
        #expect(field["find"] as? String == "RT012")
        #expect(field["narrowed"] as? String == "10 of 10 matching 'RT012' shown, 5000 in all: type part of a name and Find to narrow")
    }

    @Test func findWithNoMatchSaysSoAndOffersNothing() throws {
        let field = try Self.field([WebForms.findKey("node_a"): ["zzz"]])
        #expect(Self.offered(field).isEmpty)
        #expect(field["narrowed"] as? String == "nothing matches 'zzz' among 5000: try another part of a name")
    }

    @Test func theChosenNodeStaysOfferedAndSelectedWhateverTheFindBoxSays() throws {
        let field = try Self.field(["node_a": ["id-4321"], WebForms.findKey("node_a"): ["rt0001"]])
        #expect(Self.offered(field) == ["id-4321", "id-1"])
        #expect((field["options_html"] as? String ?? "").contains("<option value=\"id-4321\" selected>rt4321.lab</option>"))
    }

    @Test func aShortListHasNoFindBox() throws {
        let short = Form(name: "p", title: "P", fields: [.choice("port", "Port", choices: Array(Self.nodes.prefix(12)))])
        let field = try #require(WebForms.fields(short, values: [:], problems: [], page: "p").first)
        #expect(field["narrowable"] as? Bool == false)
        #expect(Self.offered(field).count == 12)
    }
}
