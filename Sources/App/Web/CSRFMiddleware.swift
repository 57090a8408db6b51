import Vapor

/// Synchronizer-token CSRF protection for every state-changing web request.
///
/// Each session holds a random token; every form carries it in `_csrf` (or a script sends it
/// as `X-CSRF-Token`). A POST whose token is missing or different gets 403 before any handler
/// runs, so it changes nothing. SameSite=Lax cookies are a second, independent layer.
struct CSRFMiddleware: AsyncMiddleware {
    static let sessionKey = "csrf"
    static let formField = "_csrf"
    static let header = "X-CSRF-Token"

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if [.GET, .HEAD, .OPTIONS].contains(request.method) {
            _ = Self.token(for: request)
            return try await next.respond(to: request)
        }
        guard
            let expected = request.hasSession ? request.session.data[Self.sessionKey] : nil,
            let presented = Self.presentedToken(in: request),
            expected.utf8.secureCompare(to: presented.utf8)
        else {
            throw Abort(.forbidden, reason: "This form has expired or did not come from Kagibag. Go back, reload the page and try again.")
        }
        return try await next.respond(to: request)
    }

    /// The session's token, created on first use.
    static func token(for request: Request) -> String {
        if let existing = request.session.data[sessionKey] { return existing }
        let token = Data([UInt8].random(count: 32)).base64URLEncodedString()
        request.session.data[sessionKey] = token
        return token
    }

    /// A fresh token, used when the session changes hands (login).
    static func rotate(for request: Request) {
        request.session.data[sessionKey] = nil
        _ = token(for: request)
    }

    private static func presentedToken(in request: Request) -> String? {
        if let header = request.headers.first(name: header) { return header }
        guard request.headers.contentType == .urlEncodedForm else { return nil }
        return try? request.content.get(String.self, at: formField)
    }
}
