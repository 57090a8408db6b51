import Vapor

/// Sessions, CSRF protection and the signed-in user, for web pages only.
///
/// Installed globally (so that even a 404 page knows who is signed in) but skipped for the API
/// and the health check: those never read cookies, so a browser's session cannot lend them
/// authority and they cost no session lookup.
struct WebMiddleware: AsyncMiddleware {
    let inner: [any Middleware]

    init(sessions: SessionsMiddleware) {
        inner = [sessions, CSRFMiddleware(), CurrentUserMiddleware()]
    }

    static func applies(to path: String) -> Bool {
        !(path.hasPrefix("/api/") || path == "/api" || path == "/healthz" || path == "/metrics")
    }

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard Self.applies(to: request.url.path) else { return try await next.respond(to: request) }
        request.isWebRequest = true
        return try await inner.makeResponder(chainingTo: next).respond(to: request).get()
    }
}

extension Request {
    private struct WebRequestKey: StorageKey { typealias Value = Bool }

    /// Whether the web middleware (and so a session) is in place for this request.
    var isWebRequest: Bool {
        get { storage[WebRequestKey.self] ?? false }
        set { storage[WebRequestKey.self] = newValue }
    }
}
