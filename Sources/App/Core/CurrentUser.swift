import Fluent
import Vapor

/// Who is signed in on this web request, and in which team they are working.
struct CurrentUser: Sendable {
    struct TeamMembership: Sendable {
        let team: Team
        let membership: Membership
        var role: TeamRole { membership.role }
    }

    let user: User
    let memberships: [TeamMembership]
    /// The team the header's switcher points at; nil for someone who has left every team.
    let current: TeamMembership?

    var userID: UUID { user.id! }
    var isAdmin: Bool { current?.role == .admin }
}

extension Request {
    private struct CurrentUserKey: StorageKey { typealias Value = CurrentUser }

    var currentUser: CurrentUser? {
        get { storage[CurrentUserKey.self] }
        set { storage[CurrentUserKey.self] = newValue }
    }

    /// The signed-in user; routes behind `RequireLoginMiddleware` always have one.
    func requireUser() throws -> CurrentUser {
        guard let currentUser else { throw Abort(.unauthorized) }
        return currentUser
    }

    /// The current team if the user is one of its admins; otherwise 403 saying who may `action`.
    func requireTeamAdmin(to action: String) throws -> CurrentUser.TeamMembership {
        let current = try requireTeam()
        guard current.role == .admin else {
            throw Abort(.forbidden, reason: "Only team admins can \(action). Ask an admin of \(current.team.name).")
        }
        return current
    }

    /// The current team, or a page telling the user they belong to none.
    func requireTeam() throws -> CurrentUser.TeamMembership {
        guard let current = try requireUser().current else {
            throw Abort(.notFound, reason: "You are not a member of any team.")
        }
        return current
    }
}

/// Loads the signed-in user and their teams from the session, if there is one.
struct CurrentUserMiddleware: AsyncMiddleware {
    static let userKey = "user"
    static let teamKey = "team"

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if request.hasSession,
            let text = request.session.data[Self.userKey], let userID = UUID(uuidString: text),
            let user = try await User.find(userID, on: request.db)
        {
            let memberships = try await Membership.query(on: request.db)
                .filter(\.$user.$id == userID)
                .with(\.$team)
                .all()
                .map { CurrentUser.TeamMembership(team: $0.team, membership: $0) }
                .sorted { $0.team.name.localizedCaseInsensitiveCompare($1.team.name) == .orderedAscending }
            let wanted = request.session.data[Self.teamKey].flatMap(UUID.init(uuidString:))
            let current = memberships.first { $0.team.id == wanted } ?? memberships.first
            request.currentUser = CurrentUser(user: user, memberships: memberships, current: current)
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
