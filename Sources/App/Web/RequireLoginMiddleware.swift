import Vapor

/// Sends anonymous visitors to the login page.
struct RequireLoginMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard request.currentUser != nil else {
            return request.redirect(to: SitePath.login.path)
        }
        return try await next.respond(to: request)
    }
}
