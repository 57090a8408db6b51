import Vapor

/// Which kind of client a route serves; set by the route group, read by the error middleware
/// and the page renderer. Requests that match no group (an unknown HTTP method) have none.
enum Audience: Sendable {
    /// Leaf pages behind sessions and CSRF protection.
    case web
    /// JSON under `/api`, errors as problem details.
    case api
}

/// What the platform's middleware learns about a request on its way in, kept under one storage
/// key. (Features keep what they learn under keys of their own: the signed-in user in Web, the
/// verified key in APIKeys.)
struct RequestState: Sendable {
    var audience: Audience?
    /// Notices for the top of every page (expiring keys, …), set by feature middleware.
    var banners: [Banner] = []
    /// Headers every response to this request carries (a key's rate limit and expiry), errors included.
    var responseHeaders: HTTPHeaders?
    /// The CSRF token of an anonymous visitor's forms, which the response sets as a cookie.
    var anonymousCSRFToken: String?
}

extension Request {
    private struct StateKey: StorageKey { typealias Value = RequestState }

    var state: RequestState {
        get { storage[StateKey.self] ?? RequestState() }
        set { storage[StateKey.self] = newValue }
    }
}

/// A notice at the top of a page, with a link to where it can be dealt with and, for one that
/// stays until someone dismisses it, where to post that (then back to `returnTo`).
struct Banner: Encodable, Sendable {
    let text, link, linkText: String
    var dismissPath: String? = nil
    var returnTo: String? = nil
}

/// Marks every route of a group as serving `audience`.
struct AudienceMiddleware: AsyncMiddleware {
    let audience: Audience

    init(_ audience: Audience) {
        self.audience = audience
    }

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        request.state.audience = audience
        return try await next.respond(to: request)
    }
}
