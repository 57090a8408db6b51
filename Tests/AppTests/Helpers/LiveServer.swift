import Foundation
import Vapor

@testable import App

/// The application's real HTTP server on a free loopback port, and a real HTTP client (Vapor's,
/// async-http-client) to talk to it: for tests about races, bodies and timing, where the
/// in-process client (one request, its body in one piece) would hide what sockets do.
struct LiveServer {
    let app: Application
    let base: String

    static func start(_ app: Application) async throws -> LiveServer {
        // Answers as they are, as a browser's network panel shows them.
        app.http.client.configuration.redirectConfiguration = .disallow
        // Races send dozens of requests at once: each its own connection, and time to get one on a
        // loaded machine (the default pool keeps 8 per host and gives up after 10 s).
        app.http.client.configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
        app.http.client.configuration.timeout.connect = .seconds(60)
        try await app.server.start(address: .hostname("127.0.0.1", port: 0))
        let port = try require(app.http.server.shared.localAddress?.port)
        return LiveServer(app: app, base: "http://127.0.0.1:\(port)")
    }

    func stop() async {
        await app.server.shutdown()
    }

    /// Runs `body` with the server started, and stops it however `body` ends (an application
    /// shut down with its server running stops the test process).
    static func with<T>(_ app: Application, _ body: (LiveServer) async throws -> T) async throws -> T {
        let live = try await start(app)
        do {
            let result = try await body(live)
            await live.stop()
            return result
        } catch {
            await live.stop()
            throw error
        }
    }

    func send(_ method: HTTPMethod, _ path: String, headers: HTTPHeaders = [:], body: String? = nil) async throws
        -> ClientResponse
    {
        try await app.client.send(method, headers: headers, to: URI(string: base + path)) { request in
            if let body { request.body = ByteBuffer(string: body) }
        }
    }

    /// Posts a form as `browser` would (its cookies, its CSRF token); `from` puts an address in
    /// `X-Forwarded-For`, as a trusted proxy would.
    func post(_ path: String, _ form: [(String, String)], as browser: Browser, from address: String? = nil) async throws
        -> ClientResponse
    {
        var headers = browser.cookieHeaders()
        if let address { headers.add(name: "X-Forwarded-For", value: address) }
        headers.contentType = .urlEncodedForm
        let fields = form + [("_csrf", browser.csrf ?? "")]
        return try await send(
            .POST, path, headers: headers,
            body: fields.map { "\(Browser.encode($0.0))=\(Browser.encode($0.1))" }.joined(separator: "&"))
    }
}

private func require<T>(_ value: T?) throws -> T {
    guard let value else { throw Abort(.internalServerError, reason: "the live server has no port") }
    return value
}
