import Foundation
import Hummingbird
import ServiceLifecycle
import WorkflowEngine

extension API {
    /// `GET /api/events`: the durable event log as Server-Sent Events, each with its id, so a
    /// client that reconnects with `Last-Event-ID` gets everything after it. `?process=` and
    /// `?subscription=` narrow it to one process or subscription; without `Last-Event-ID` (or
    /// `?after=`) a narrowed stream starts at that one's first event, an unnarrowed one at the
    /// next event. Events of every worker and server on the database arrive (PostgreSQL's
    /// LISTEN; SQLite's file, within the machine). The stream ends when the server stops.
    func registerEvents(on router: Router<APIContext>) {
        router.get("/api/events") { request, context in
            _ = try context.require(.read)
            let query = request.uri.queryParameters
            var filter = EventFilter()
            if let process = query.get("process") { filter.processID = try await engine.resolve(process) }
            if let subscription = query.get("subscription") { filter.subscriptionID = try await subscriptionID(subscription) }
            let given = request.headers[.lastEventID] ?? query.get("after")
            let start: Int64
            if let given {
                guard let id = Int64(given), id >= 0 else {
                    throw APIProblem.badRequest(
                        "Last-Event-ID (or after) must be an event id, a whole number, got '\(given)'",
                        problems: [FieldProblem(field: "Last-Event-ID", reason: "is not an event id")])
                }
                start = id
            } else {
                start = filter == .all ? try await store.lastEventID() : 0
            }
            let store = store
            let narrowed = filter
            return Response(
                status: .ok,
                headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
                body: ResponseBody { writer in
                    var cursor = start
                    // A first comment lets the client know the stream is open before any event.
                    try await writer.write(ByteBuffer(string: ": events after \(start)\n\n"))
                    for await _ in store.eventSignals().cancelOnGracefulShutdown() {
                        while true {
                            let batch = try await store.events(after: cursor, matching: narrowed, limit: 500)
                            guard let last = batch.last else { break }
                            try await writer.write(ByteBuffer(string: batch.map(Self.serverSentEvent).joined()))
                            cursor = last.id
                        }
                    }
                    try await writer.finish(nil)
                })
        }
    }

    /// One event in the text/event-stream format: its id, its kind as the event name, and its
    /// JSON on one data line.
    static func serverSentEvent(_ event: EngineEvent) -> String {
        "id: \(event.id)\nevent: \(event.kind.rawValue)\ndata: \(event.json.jsonText)\n\n"
    }
}

extension HTTPFields.Element.Name {
    static let lastEventID = Self("Last-Event-ID")!
}
