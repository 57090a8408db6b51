import Fluent
import Vapor

/// Admin → Team: members, roles and permissions of the current team.
struct TeamController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get(.admin, use: adminPage)
        routes.get(.team, use: teamPage)
        routes.post(.teamMembers, use: addMember)
        routes.post(.teamMemberRole(.parameter), use: changeRole)
        routes.post(.teamMemberRemove(.parameter), use: removeMember)
        routes.post(.teamLeave, use: leave)
        routes.post(.teamKeyPolicy, use: setKeyPolicy)
    }

    private static let adminAction = "add, remove or change members"

    struct AdminContext: Encodable { let page: PageContext }

    @Sendable func adminPage(req: Request) async throws -> Response {
        try await req.renderPage("admin", AdminContext(page: PageContext(req, title: "Admin", section: "admin")))
    }

    @Sendable func teamPage(req: Request) async throws -> Response {
        try await TeamPage.render(req)
    }

    struct AddMemberForm: Content {
        var email: String?
        var role: String?
    }

    @Sendable func addMember(req: Request) async throws -> Response {
        let current = try req.requireTeamAdmin(to: Self.adminAction)
        let form = try req.content.decode(AddMemberForm.self)
        guard let role = TeamRole(rawValue: form.role ?? "member") else {
            return try await TeamPage.render(req, error: "Choose the role Admin or Member.", status: .unprocessableEntity)
        }
        let email: String
        switch FormInput.email(form.email) {
        case .failure(let error):
            return try await TeamPage.render(req, error: error.message, status: .unprocessableEntity)
        case .success(let value):
            email = value
        }
        let teamID = current.team.id!
        guard let user = try await AccountStore.user(email: email, on: req.db) else {
            return try await TeamPage.render(
                req, error: "No account with that email. Ask them to sign up first.", addEmail: String(email.prefix(254)), status: .unprocessableEntity)
        }
        let already = "\(user.name) is already a member of this team."
        if try await TeamStore.membership(of: user.id!, in: teamID, on: req.db) != nil {
            return try await TeamPage.render(req, error: already, status: .unprocessableEntity)
        }
        let actor = try req.requireUser().user
        do {
            try await req.db.transaction { db in
                try await Membership(userID: user.id!, teamID: teamID, role: role).create(on: db)
                try await Audit.record(.memberAdded, team: teamID, by: actor, "added \(user.name) (\(user.email)) as \(role.label)", on: db)
            }
        } catch let error as any DatabaseError where error.isConstraintFailure {
            return try await TeamPage.render(req, error: already, status: .unprocessableEntity)
        }
        Notice.set("Added \(user.name) as \(role.label).", on: req)
        return req.redirect(to: SitePath.team.path)
    }

    struct RoleForm: Content { var role: String? }

    @Sendable func changeRole(req: Request) async throws -> Response {
        let current = try req.requireTeamAdmin(to: Self.adminAction)
        guard let role = TeamRole(rawValue: try req.content.decode(RoleForm.self).role ?? "") else {
            return try await TeamPage.render(req, error: "Choose the role Admin or Member.", status: .unprocessableEntity)
        }
        let teamID = current.team.id!
        let target = try await TeamStore.membership(req.parameters.get("membership"), in: teamID, on: req.db)
        let previous = target.role
        let actor = try req.requireUser().user
        do {
            try await TeamStore.locked(teamID, on: req.db) { db in
                if previous == .admin, role == .member, try await TeamStore.adminCount(of: teamID, on: db) <= 1 { throw LastAdmin() }
                target.role = role
                try await target.save(on: db)
                if previous != role {
                    try await Audit.record(
                        .memberRoleChanged, team: teamID, by: actor, "changed \(target.user.name) from \(previous.label) to \(role.label)", on: db)
                }
            }
        } catch is LastAdmin {
            return try await TeamPage.render(req, error: LastAdmin.message, status: .conflict)
        }
        Notice.set("\(target.user.name) is now \(role.label).", on: req)
        return req.redirect(to: SitePath.team.path)
    }

    @Sendable func removeMember(req: Request) async throws -> Response {
        let current = try req.requireTeamAdmin(to: Self.adminAction)
        let teamID = current.team.id!
        let target = try await TeamStore.membership(req.parameters.get("membership"), in: teamID, on: req.db)
        let actor = try req.requireUser().user
        do {
            try await TeamStore.locked(teamID, on: req.db) { db in
                if target.role == .admin, try await TeamStore.adminCount(of: teamID, on: db) <= 1 { throw LastAdmin() }
                try await target.delete(on: db)
                try await Audit.record(.memberRemoved, team: teamID, by: actor, "removed \(target.user.name) (\(target.user.email))", on: db)
            }
        } catch is LastAdmin {
            return try await TeamPage.render(req, error: LastAdmin.message, status: .conflict)
        }
        Notice.set("Removed \(target.user.name) from \(current.team.name).", on: req)
        return req.redirect(to: SitePath.team.path)
    }

    struct KeyPolicyForm: Content {
        var maxKeyLifetimeDays: String?

        enum CodingKeys: String, CodingKey { case maxKeyLifetimeDays = "max_key_lifetime_days" }
    }

    /// The longest lifetime new and rolled keys may get; existing keys keep theirs until rolled.
    @Sendable func setKeyPolicy(req: Request) async throws -> Response {
        let current = try req.requireTeamAdmin(to: "change the team's key policy")
        let text = try req.content.decode(KeyPolicyForm.self).maxKeyLifetimeDays ?? ""
        let days = Int(text)
        guard text.isEmpty || APIKeyPolicy.teamLimitChoices.contains(days) else {
            return try await TeamPage.render(req, error: "Choose the maximum key lifetime from the list.", status: .unprocessableEntity)
        }
        let team = current.team
        guard team.maxKeyLifetimeDays != days else { return req.redirect(to: SitePath.team.path) }
        team.maxKeyLifetimeDays = days
        let actor = try req.requireUser().user
        let summary = days.map { "set the maximum API key lifetime to \($0) days" } ?? "removed the maximum API key lifetime"
        try await req.db.transaction { db in
            try await team.save(on: db)
            try await Audit.record(.keyPolicyChanged, team: team.id!, by: actor, summary, on: db)
        }
        Notice.set(days.map { "New and rolled keys now live at most \($0) days. Existing keys keep their expiry until rolled." }
            ?? "Keys may now live without an expiry.", on: req)
        return req.redirect(to: SitePath.team.path)
    }

    @Sendable func leave(req: Request) async throws -> Response {
        let current = try req.requireTeam()
        let teamID = current.team.id!
        let actor = try req.requireUser().user
        do {
            try await TeamStore.locked(teamID, on: req.db) { db in
                if current.role == .admin, try await TeamStore.adminCount(of: teamID, on: db) <= 1,
                    try await TeamStore.memberCount(of: teamID, on: db) > 1
                {
                    throw LastAdmin()
                }
                try await current.membership.delete(on: db)
                try await Audit.record(.memberLeft, team: teamID, by: actor, "left the team", on: db)
            }
        } catch is LastAdmin {
            return try await TeamPage.render(
                req, error: "You are this team's only admin. Make someone else an admin before you leave.", status: .conflict)
        }
        req.session.data[CurrentUserMiddleware.teamKey] = nil
        Notice.set("You left \(current.team.name).", on: req)
        return req.redirect(to: SitePath.admin.path)
    }
}
