import Fluent
import Vapor

/// Loads the signed-in user and their teams from the session, if there is one.
struct CurrentUserMiddleware: AsyncMiddleware {
    static let userKey = "user"
    static let teamKey = "team"

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if request.hasSession,
            let text = request.session.data[Self.userKey], let userID = UUID(uuidString: text),
            let user = try await User.find(userID, on: request.db)
        {
            let memberships = try await TeamStore.memberships(of: userID, on: request.db)
            let wanted = request.session.data[Self.teamKey].flatMap(UUID.init(uuidString:))
            let current = memberships.first { $0.team.id == wanted } ?? memberships.first
            let invitations = try await InvitationStore.pending(for: user.email, on: request.db)
            request.state.currentUser = CurrentUser(user: user, memberships: memberships, current: current, invitations: invitations)
        }
        return try await next.respond(to: request)
    }
}

/// Sends anonymous visitors to the login page.
struct RequireLoginMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard request.currentUser != nil else {
            return request.redirect(to: SitePath.login.path)
        }
        return try await next.respond(to: request)
    }
}
