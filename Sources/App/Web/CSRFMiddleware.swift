import Vapor

/// CSRF protection for every state-changing web request.
///
/// Signed in, the session holds a random token (synchronizer token). Anonymous visitors have
/// no session (none is stored before sign-in), so their forms — login and sign-up — use a
/// double-submit cookie: a random token in a `SameSite=Strict`, `HttpOnly` cookie (named
/// `__Host-…` over HTTPS, so no other host can plant it) and the same token in the form. A
/// signed token would need a secret every instance shares, and alone, not bound to the browser,
/// it would not stop login CSRF (anyone can fetch a valid one); the cookie is what binds it.
///
/// Every form carries the token in `_csrf` (a script may send `X-CSRF-Token`). A POST whose
/// token is missing or different gets 403 before any handler runs, so it changes nothing.
struct CSRFMiddleware: AsyncMiddleware {
    static let sessionKey = "csrf"
    static let formField = "_csrf"
    static let header = "X-CSRF-Token"
    /// How long an anonymous form stays usable.
    static let anonymousLifetime = 2 * 3600

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if [.GET, .HEAD, .OPTIONS].contains(request.method) {
            let response = try await next.respond(to: request)
            if let token = request.state.anonymousCSRFToken {
                response.cookies[Self.cookieName(request)] = Self.cookie(token, request)
            }
            return response
        }
        guard
            let expected = Self.expectedToken(request),
            let presented = try await Self.presentedToken(in: request),
            expected.utf8.secureCompare(to: presented.utf8)
        else {
            throw Abort(
                .forbidden,
                reason: "This form has expired or did not come from Kagibag. Go back, reload the page and try again.")
        }
        return try await next.respond(to: request)
    }

    /// The token for the forms of this page: the session's (created on first use), or for an
    /// anonymous visitor the one in their cookie, or a new one that the response will set.
    static func token(for request: Request) -> String {
        if isSignedInSession(request) {
            if let existing = request.session.data[sessionKey] { return existing }
            let token = newToken()
            request.session.data[sessionKey] = token
            return token
        }
        if let issued = request.state.anonymousCSRFToken { return issued }
        let token = anonymousCookieToken(request) ?? newToken()
        // Set again on the response, so that its lifetime starts with the newest form.
        request.state.anonymousCSRFToken = token
        return token
    }

    /// A fresh token, used when the session changes hands (login).
    static func rotate(for request: Request) {
        request.session.data[sessionKey] = nil
        _ = token(for: request)
    }

    private static func expectedToken(_ request: Request) -> String? {
        if isSignedInSession(request) { return request.session.data[sessionKey] }
        return anonymousCookieToken(request)
    }

    private static func anonymousCookieToken(_ request: Request) -> String? {
        guard let value = request.cookies[cookieName(request)]?.string, isWellFormed(value) else { return nil }
        return value
    }

    /// A stored session has data; Vapor starts an empty one for a cookie it could not find.
    private static func isSignedInSession(_ request: Request) -> Bool {
        request.hasSession && !request.session.data.snapshot.isEmpty
    }

    private static func presentedToken(in request: Request) async throws -> String? {
        if let header = request.headers.first(name: header) { return header }
        guard request.headers.contentType == .urlEncodedForm else { return nil }
        // A form larger than what arrives with the request head streams in: collect all of it
        // (up to the body limit, else 413) before reading the token out of it.
        if request.body.data == nil {
            _ = try await request.body.collect(max: request.application.routes.defaultMaxBodySize.value).get()
        }
        return try? request.content.get(String.self, at: formField)
    }

    private static func cookieName(_ request: Request) -> String {
        request.application.services.settings.secureCookies ? "__Host-kagibag_csrf" : "kagibag_csrf"
    }

    private static func cookie(_ token: String, _ request: Request) -> HTTPCookies.Value {
        HTTPCookies.Value(
            string: token, maxAge: anonymousLifetime, path: "/",
            isSecure: request.application.services.settings.secureCookies, isHTTPOnly: true, sameSite: .strict)
    }

    static func newToken() -> String {
        Data([UInt8].random(count: 32)).base64URLEncodedString()
    }

    static func isWellFormed(_ token: String) -> Bool {
        token.utf8.count == 43
            && token.utf8.allSatisfy {
                $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || (48...57).contains($0) || (65...90).contains($0)
                    || (97...122).contains($0)
            }
    }
}
