import Fluent
import Vapor

/// Loads the signed-in user, their teams (the current one chosen from the session) and the
/// invitations waiting for them, if the session holds a user. (Part of the web group, given to
/// it by `routes`.)
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
            request.currentUser = CurrentUser(
                user: user, memberships: memberships, current: current, invitations: invitations)
        }
        return try await next.respond(to: request)
    }
}
