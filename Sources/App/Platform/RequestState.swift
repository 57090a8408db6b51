import Vapor

/// Which kind of client a route serves; set by the route group, read by the error middleware
/// and the page renderer. Requests that match no group (an unknown HTTP method) have none.
enum Audience: Sendable {
    /// Leaf pages behind sessions and CSRF protection.
    case web
    /// JSON under `/api`, errors as problem details.
    case api
}

/// What the middleware learns about a request on its way in, kept under one storage key.
struct RequestState: Sendable {
    var audience: Audience?
    /// The signed-in user of a web request.
    var currentUser: CurrentUser?
    /// The verified key of an API request.
    var apiKey: VerifiedKey?
    /// The permission the route checked, for the key's usage record.
    var permissionUsed: Permission?
    /// Notices for the top of every page (expiring keys, …), set by feature middleware.
    var banners: [Banner] = []
    /// Headers every response to this key carries (rate limit, expiry), errors included.
    var keyHeaders: HTTPHeaders?
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
