import Fluent
import SQLKit
import Vapor

/// Admin → Team: members, roles and permissions of the current team.
struct TeamController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("admin", use: adminPage)
        let team = routes.grouped("admin", "team")
        team.get(use: teamPage)
        team.post("members", use: addMember)
        team.post("members", ":membership", "role", use: changeRole)
        team.post("members", ":membership", "remove", use: removeMember)
        team.post("leave", use: leave)
    }

    struct AdminContext: Encodable { let page: PageContext }

    @Sendable func adminPage(req: Request) async throws -> Response {
        try await req.renderPage("admin", AdminContext(page: PageContext(req, title: "Admin", section: "admin")))
    }

    struct TeamContext: Encodable {
        struct TeamView: Encodable {
            let name: String
            let slug: String
            let permissions: [String]
            let hasPermissions: Bool
        }
        struct MemberView: Encodable {
            let id: String
            let name: String
            let email: String
            let role: String
            let roleLabel: String
            let isSelf: Bool
            let rolePath: String
            let removePath: String
        }
        let page: PageContext
        let team: TeamView
        let members: [MemberView]
        let isAdmin: Bool
        let error: String?
        let addEmail: String?
    }

    @Sendable func teamPage(req: Request) async throws -> Response {
        try await renderTeamPage(req)
    }

    private func renderTeamPage(_ req: Request, error: String? = nil, addEmail: String? = nil, status: HTTPStatus = .ok) async throws -> Response {
        let current = try req.requireTeam()
        // Re-read the team: permissions may have been changed from the command line a moment ago.
        guard let team = try await Team.find(current.team.id, on: req.db) else { throw Abort(.notFound) }
        let memberships = try await Membership.query(on: req.db)
            .filter(\.$team.$id == team.id!)
            .with(\.$user)
            .all()
            .sorted { ($0.role == .admin ? 0 : 1, $0.user.name.lowercased()) < ($1.role == .admin ? 0 : 1, $1.user.name.lowercased()) }
        let permissions = team.permissions.sorted().map(\.rawValue)
        let context = TeamContext(
            page: PageContext(req, title: team.name, section: "team"),
            team: .init(name: team.name, slug: team.slug, permissions: permissions, hasPermissions: !permissions.isEmpty),
            members: memberships.map { membership in
                .init(
                    id: membership.id!.uuidString.lowercased(), name: membership.user.name, email: membership.user.email,
                    role: membership.role.rawValue, roleLabel: membership.role.label,
                    isSelf: membership.$user.id == current.membership.$user.id,
                    rolePath: SitePath.teamMemberRole(membership.id!).path,
                    removePath: SitePath.teamMemberRemove(membership.id!).path
                )
            },
            isAdmin: current.role == .admin,
            error: error,
            addEmail: addEmail
        )
        return try await req.renderPage("team", context, status: status)
    }

    struct AddMemberForm: Content {
        var email: String?
        var role: String?
    }

    @Sendable func addMember(req: Request) async throws -> Response {
        let current = try req.requireTeamAdmin(to: "add, remove or change members")
        let form = try req.content.decode(AddMemberForm.self)
        guard let role = TeamRole(rawValue: form.role ?? "member") else {
            return try await renderTeamPage(req, error: "Choose the role Admin or Member.", status: .unprocessableEntity)
        }
        let email: String
        switch FormInput.email(form.email) {
        case .failure(let error):
            return try await renderTeamPage(req, error: error.message, status: .unprocessableEntity)
        case .success(let value):
            email = value
        }
        let shownEmail = String(email.prefix(254))
        guard let user = try await User.query(on: req.db).filter(\.$email == email).first() else {
            return try await renderTeamPage(req, error: "No account with that email. Ask them to sign up first.", addEmail: shownEmail, status: .unprocessableEntity)
        }
        let existing = try await Membership.query(on: req.db)
            .filter(\.$team.$id == current.team.id!).filter(\.$user.$id == user.id!).first()
        if existing != nil {
            return try await renderTeamPage(req, error: "\(user.name) is already a member of this team.", status: .unprocessableEntity)
        }
        let actor = try req.requireUser().user
        do {
            try await req.db.transaction { db in
                try await Membership(userID: user.id!, teamID: current.team.id!, role: role).create(on: db)
                try await Audit.record(.memberAdded, team: current.team.id!, by: actor, "added \(user.name) (\(user.email)) as \(role.label)", on: db)
            }
        } catch let error as any DatabaseError where error.isConstraintFailure {
            return try await renderTeamPage(req, error: "\(user.name) is already a member of this team.", status: .unprocessableEntity)
        }
        Notice.set("Added \(user.name) as \(role.label).", on: req)
        return req.redirect(to: SitePath.team.path)
    }

    struct RoleForm: Content { var role: String? }

    @Sendable func changeRole(req: Request) async throws -> Response {
        let current = try req.requireTeamAdmin(to: "add, remove or change members")
        guard let role = TeamRole(rawValue: try req.content.decode(RoleForm.self).role ?? "") else {
            return try await renderTeamPage(req, error: "Choose the role Admin or Member.", status: .unprocessableEntity)
        }
        let target = try await membership(from: req, in: current.team)
        let previous = target.role
        let actor = try req.requireUser().user
        do {
            try await current.team.locked(on: req.db) { db in
                if previous == .admin, role == .member, try await adminCount(of: current.team, on: db) <= 1 { throw LastAdmin() }
                target.role = role
                try await target.save(on: db)
                if previous != role {
                    try await Audit.record(
                        .memberRoleChanged, team: current.team.id!, by: actor, "changed \(target.user.name) from \(previous.label) to \(role.label)", on: db)
                }
            }
        } catch is LastAdmin {
            return try await renderTeamPage(req, error: LastAdmin.message, status: .conflict)
        }
        Notice.set("\(target.user.name) is now \(role.label).", on: req)
        return req.redirect(to: SitePath.team.path)
    }

    @Sendable func removeMember(req: Request) async throws -> Response {
        let current = try req.requireTeamAdmin(to: "add, remove or change members")
        let target = try await membership(from: req, in: current.team)
        let actor = try req.requireUser().user
        do {
            try await current.team.locked(on: req.db) { db in
                if target.role == .admin, try await adminCount(of: current.team, on: db) <= 1 { throw LastAdmin() }
                try await target.delete(on: db)
                try await Audit.record(.memberRemoved, team: current.team.id!, by: actor, "removed \(target.user.name) (\(target.user.email))", on: db)
            }
        } catch is LastAdmin {
            return try await renderTeamPage(req, error: LastAdmin.message, status: .conflict)
        }
        Notice.set("Removed \(target.user.name) from \(current.team.name).", on: req)
        return req.redirect(to: SitePath.team.path)
    }

    @Sendable func leave(req: Request) async throws -> Response {
        let current = try req.requireTeam()
        let actor = try req.requireUser().user
        do {
            try await current.team.locked(on: req.db) { db in
                if current.role == .admin, try await adminCount(of: current.team, on: db) <= 1,
                    try await Membership.query(on: db).filter(\.$team.$id == current.team.id!).count() > 1
                {
                    throw LastAdmin()
                }
                try await current.membership.delete(on: db)
                try await Audit.record(.memberLeft, team: current.team.id!, by: actor, "left the team", on: db)
            }
        } catch is LastAdmin {
            return try await renderTeamPage(
                req, error: "You are this team's only admin. Make someone else an admin before you leave.", status: .conflict)
        }
        req.session.data[CurrentUserMiddleware.teamKey] = nil
        Notice.set("You left \(current.team.name).", on: req)
        return req.redirect(to: SitePath.admin.path)
    }

    /// A membership of the current team by id; another team's id answers like a missing one.
    private func membership(from req: Request, in team: Team) async throws -> Membership {
        guard let id = req.parameters.get("membership").flatMap(UUID.init(uuidString:)),
            let membership = try await Membership.query(on: req.db)
                .filter(\.$id == id).filter(\.$team.$id == team.id!).with(\.$user).first()
        else { throw Abort(.notFound, reason: "That member is not in this team.") }
        return membership
    }

    private func adminCount(of team: Team, on db: any Database) async throws -> Int {
        try await Membership.query(on: db).filter(\.$team.$id == team.id!).filter(\.$roleColumn == TeamRole.admin.rawValue).count()
    }
}

/// Refused because it would leave a team without an admin.
struct LastAdmin: Error {
    static let message = "A team needs at least one admin. Make someone else an admin first."
}

extension Team {
    /// Runs `body` in a transaction that first takes the team's row lock (a no-op UPDATE: a row
    /// lock on PostgreSQL, the write lock on SQLite), so that checks such as "is there another
    /// admin?" cannot race with a concurrent change to the same team.
    func locked(on db: any Database, _ body: @escaping @Sendable (any Database) async throws -> Void) async throws {
        let id = try requireID()
        try await db.transaction { db in
            try await (db as! any SQLDatabase).raw("UPDATE teams SET name = name WHERE id = \(bind: id)").run()
            try await body(db)
        }
    }
}
