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
    /// Invitations to their email that wait for an answer (shown on every page).
    var invitations: [Invitation] = []
}

extension Request {
    private struct CurrentUserKey: StorageKey { typealias Value = CurrentUser }

    /// The signed-in user of a web request (set by `CurrentUserMiddleware`).
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

    /// The current team if it holds `permission` — the same rule as for its API keys; otherwise
    /// 403 saying what the team lacks and who can change that.
    func requireTeamPermission(_ permission: Permission, to action: String) throws -> CurrentUser.TeamMembership {
        let current = try requireTeam()
        guard current.team.permissions.contains(permission) else {
            throw Abort(.forbidden, reason: Self.missing(permission, to: action, in: current.team))
        }
        return current
    }

    /// Why `team` cannot `action`, in words for the page.
    static func missing(_ permission: Permission, to action: String, in team: Team) -> String {
        "\(team.name) cannot \(action): the team does not have the \(permission.rawValue) permission, on this site or "
            + "through its API keys. An operator can grant it with kagibag team permissions."
    }

    /// The current team, or a page telling the user they belong to none.
    func requireTeam() throws -> CurrentUser.TeamMembership {
        guard let current = try requireUser().current else {
            throw Abort(.notFound, reason: "You are not a member of any team.")
        }
        return current
    }
}
