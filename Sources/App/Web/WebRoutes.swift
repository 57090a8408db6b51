import Vapor

extension RoutesBuilder {
    /// The group every web page lives in: marks its requests as web requests (HTML error pages),
    /// then sessions, CSRF protection and `currentUser` (which loads the signed-in user). The API
    /// and the operator routes live outside it, so a browser's cookies never lend them authority.
    func webPages(sessions: SessionsMiddleware, currentUser: any AsyncMiddleware) -> any RoutesBuilder {
        grouped(AudienceMiddleware(.web), sessions, MiddlewareChain(CSRFMiddleware(), currentUser))
    }

    /// Answers every path the group does not know with 404 inside the group, so the answer has
    /// the group's form (a page that knows who is signed in, or problem details).
    func notFoundForUnknownPaths() {
        for method in [HTTPMethod.GET, .POST, .PUT, .PATCH, .DELETE] {
            on(method, "**") { _ -> Response in throw Abort(.notFound) }
        }
    }
}
