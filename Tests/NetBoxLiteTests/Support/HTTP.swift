import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A plain HTTP call over a real socket with URLSession, as a client of `wf serve` makes it.
enum HTTP {
    struct Answer {
        let status: Int
        let body: Data
    }

    static func get(_ url: URL, token: String?, timeout: TimeInterval = 10) async throws -> Answer {
        try await send("GET", url, token: token, timeout: timeout)
    }

    static func send(_ method: String, _ url: URL, token: String?, body: Data? = nil, timeout: TimeInterval = 10) async throws -> Answer {
        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.httpMethod = method
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        if let token { request.setValue("Token \(token)", forHTTPHeaderField: "Authorization") }
        if let body {
            request.httpBody = body
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        let session = URLSession(configuration: configuration)
        defer { session.finishTasksAndInvalidate() }
        let (data, response) = try await session.data(for: request)
        return Answer(status: (response as? HTTPURLResponse)?.statusCode ?? 0, body: data)
    }
}
