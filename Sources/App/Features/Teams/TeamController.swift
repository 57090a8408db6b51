import Fluent
import Vapor

/// Admin → Team: members, invitations, roles and permissions of the current team.
struct TeamController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get(.admin, use: adminPage)
        routes.get(.team, use: teamPage)
        routes.post(.teamMembers, use: addMember)
        routes.post(.teamMemberRole(.parameter), use: changeRole)
        routes.post(.teamMemberRemove(.parameter), use: removeMember)
        routes.post(.teamInvitationWithdraw(.parameter), use: withdrawInvitation)
        routes.post(.teamKeyPolicy, use: setKeyPolicy)
        routes.post(.teamRequestBudget, use: setRequestBudget)
        routes.post(.teamNextStepsDismiss, use: dismissNextSteps)
    }

    static let adminAction = "add, remove or change members"
    /// Pending invitations a team may have at once.
    static let maxPendingInvitations = 100

    struct AdminContext: Encodable { let page: PageContext }

    @Sendable func adminPage(req: Request) async throws -> Response {
        try await req.renderPage("admin", AdminContext(page: PageContext(req, title: "Admin", section: "admin")))
    }

    @Sendable func teamPage(req: Request) async throws -> Response {
        try await TeamPage.render(req)
    }

    @Sendable func dismissNextSteps(req: Request) async throws -> Response {
        NextSteps.dismiss(on: req)
        return req.redirect(to: SitePath.team.path)
    }

    struct AddMemberForm: Content {
        var email: String?
        var role: String?
    }

    private struct AlreadyMember: Error {}

    /// Invites the address: the same answer whether or not it has an account, and nothing
    /// changes for its owner until they accept.
    @Sendable func addMember(req: Request) async throws -> Response {
        _ = try req.requireTeamAdmin(to: Self.adminAction)
        let form = try req.content.decode(AddMemberForm.self)
        guard let role = TeamRole(rawValue: form.role ?? "member") else {
            return try await TeamPage.render(
                req, error: TeamRole.choiceMessage, status: .unprocessableEntity)
        }
        var validation = Validation()
        guard let email = EmailRule.check(form.email, into: &validation) else {
            return try await TeamPage.render(
                req, addError: validation.problems.first?.forForm, addEmail: form.email, status: .unprocessableEntity)
        }
        do {
            try await Self.asAdmin(req) { db, actor, teamID in
                // Its members are on the page already: saying so tells the admin nothing new.
                if try await TeamStore.hasMember(email: email, in: teamID, on: db) { throw AlreadyMember() }
                if try await InvitationStore.pending(team: teamID, on: db).count >= Self.maxPendingInvitations {
                    throw DomainError.conflict(
                        "This team has \(Self.maxPendingInvitations) pending invitations. Withdraw some first.")
                }
                try await InvitationStore.invite(email, as: role, to: teamID, by: actor, on: db)
            }
        } catch is AlreadyMember {
            return try await TeamPage.render(
                req, addError: "\(email) is already a member of this team.", addEmail: email,
                status: .unprocessableEntity)
        } catch let error as DomainError {
            return try await TeamPage.render(req, addError: error.message, addEmail: email, status: error.status)
        }
        Notice.set(
            "Invited \(email) as \(role.label). Copy the invitation's link under Pending invitations and send it to them: they join once they accept, within 14 days.",
            on: req)
        return req.redirect(to: SitePath.team.path)
    }

    struct RoleForm: Content { var role: String? }

    @Sendable func changeRole(req: Request) async throws -> Response {
        let current = try req.requireTeamAdmin(to: Self.adminAction)
        guard let role = TeamRole(rawValue: try req.content.decode(RoleForm.self).role ?? "") else {
            return try await TeamPage.render(
                req, error: TeamRole.choiceMessage, status: .unprocessableEntity)
        }
        let target = try await TeamStore.membership(req.parameters.get("membership"), in: current.team.id!, on: req.db)
        let refused: Response?
        do {
            refused = try await Self.changeRole(req, target, to: role)
        } catch is MemberGone {
            throw DomainError.notFound("That member is not in this team.")
        }
        if let refused { return refused }
        Notice.set("\(target.user.name) is now \(role.label).", on: req)
        return req.redirect(to: SitePath.team.path)
    }

    private static func changeRole(_ req: Request, _ target: Membership, to role: TeamRole) async throws -> Response? {
        try await changeMember(req, target, takesAdmin: { $0.role == .admin && role == .member }) {
            db, fresh, actor, teamID in
            let previous = fresh.role
            fresh.role = role
            try await fresh.save(on: db)
            if previous != role {
                try await Audit.record(
                    .memberRoleChanged, team: teamID, by: actor,
                    "changed \(target.user.name) from \(previous.label) to \(role.label)", on: db)
            }
            // Their invitations were an admin's: a demoted admin cannot bring people in.
            if role == .member {
                try await InvitationStore.withdrawAll(
                    sentBy: target.user, in: teamID, by: actor, because: "as they are no longer an admin", on: db)
            }
        }
    }

    /// Asks first: without `confirmed=yes` the answer is a page asking, and nothing changes.
    @Sendable func removeMember(req: Request) async throws -> Response {
        let current = try req.requireTeamAdmin(to: Self.adminAction)
        let target = try await TeamStore.membership(req.parameters.get("membership"), in: current.team.id!, on: req.db)
        guard ConfirmPage.isConfirmed(req) else {
            return try await ConfirmPage(
                page: PageContext(
                    req, title: "Remove \(target.user.name)", section: "team",
                    trail: [.init("Remove \(target.user.name)")]),
                question: "Remove \(target.user.name) from \(current.team.name)?",
                explanation:
                    "\(target.user.name) (\(target.user.email)) loses access to the team’s events and API keys at once. "
                    + "The keys they created keep working; an admin can invite them again.",
                action: SitePath.teamMemberRemove(.value(target.id!)).path, confirmLabel: "Remove \(target.user.name)",
                keepLabel: "Keep \(target.user.name)", keepPath: SitePath.team.path
            ).response(for: req)
        }
        let refused: Response?
        do {
            refused = try await Self.changeMember(req, target, takesAdmin: { $0.role == .admin }) {
                db, fresh, actor, teamID in
                try await fresh.delete(on: db)
                try await Audit.record(
                    .memberRemoved, team: teamID, by: actor, "removed \(target.user.name) (\(target.user.email))",
                    on: db)
                try await InvitationStore.withdrawAll(
                    sentBy: target.user, in: teamID, by: actor, because: "as they were removed from the team", on: db)
            }
        } catch is MemberGone {
            // A second click, or another admin first: what was asked for is done.
            Notice.set("\(target.user.name) is no longer in \(current.team.name).", on: req)
            return req.redirect(to: SitePath.team.path)
        }
        if let refused { return refused }
        Notice.set("Removed \(target.user.name) from \(current.team.name).", on: req)
        return req.redirect(to: SitePath.team.path)
    }

    @Sendable func withdrawInvitation(req: Request) async throws -> Response {
        let current = try req.requireTeamAdmin(to: Self.adminAction)
        let invitation = try await InvitationStore.find(
            req.parameters.get("invitation"), team: current.team.id!, on: req.db)
        try await Self.asAdmin(req) { db, actor, _ in
            try await InvitationStore.withdraw(invitation, by: actor, on: db)
        }
        Notice.set("Withdrew the invitation to \(invitation.email).", on: req)
        return req.redirect(to: SitePath.team.path)
    }

    /// Changes a member as an admin, on their row re-read under the team's lock (their role may
    /// have changed since the request began), refusing first when the change would leave the
    /// team without an admin (`takesAdmin`, asked of the fresh row). Nil when done; the Team page
    /// saying why when refused. Throws `MemberGone` when they left meanwhile.
    static func changeMember(
        _ req: Request, _ target: Membership, takesAdmin: @escaping @Sendable (Membership) -> Bool,
        _ change:
            @escaping @Sendable (_ db: any Database, _ member: Membership, _ actor: User, _ team: UUID)
            async throws -> Void
    ) async throws -> Response? {
        do {
            try await asAdmin(req) { db, actor, teamID in
                guard let fresh = try await Membership.find(target.id, on: db) else { throw MemberGone() }
                if takesAdmin(fresh), try await TeamStore.adminCount(of: teamID, on: db) <= 1 { throw LastAdmin() }
                try await change(db, fresh, actor, teamID)
            }
            return nil
        } catch is LastAdmin {
            return try await TeamPage.render(req, error: LastAdmin.message, status: .conflict)
        }
    }

    /// The member a change was about left the team (or was removed) since the request began.
    struct MemberGone: Error {}

    /// Runs `change` in a transaction under the team's row lock, after checking there — not
    /// when the request began — that the actor is still one of its admins: an admin removed a
    /// moment ago cannot finish changes already in flight.
    @discardableResult
    static func asAdmin<T: Sendable>(
        _ req: Request, to action: String = TeamController.adminAction,
        _ change: @escaping @Sendable (_ db: any Database, _ actor: User, _ team: UUID) async throws -> T
    ) async throws -> T {
        let current = try req.requireTeamAdmin(to: action)
        let actor = try req.requireUser().user
        let teamID = current.team.id!
        return try await TeamStore.locked(teamID, on: req.db) { db in
            guard try await TeamStore.isAdmin(actor.id!, of: teamID, on: db) else {
                throw Abort(
                    .forbidden,
                    reason: "Only team admins can \(action). You are no longer an admin of \(current.team.name).")
            }
            return try await change(db, actor, teamID)
        }
    }
}
