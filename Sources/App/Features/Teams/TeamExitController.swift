import Fluent
import Vapor

/// Admin → Team: leaving the team, and deleting it (with its keys) when nobody else is in it.
struct TeamExitController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.post(.teamLeave, use: leave)
        routes.get(.teamDelete, use: deletePage)
        routes.post(.teamDelete, use: deleteTeam)
    }

    /// Asks first: without `confirmed=yes` the answer is a page asking, and nothing changes.
    @Sendable func leave(req: Request) async throws -> Response {
        let current = try req.requireTeam()
        let teamID = current.team.id!
        let actor = try req.requireUser().user
        guard ConfirmPage.isConfirmed(req) else {
            return try await ConfirmPage(
                page: PageContext(req, title: "Leave \(current.team.name)", section: "team", trail: [.init("Leave")]),
                question: "Leave \(current.team.name)?",
                explanation:
                    "You lose access to its events and API keys at once. To come back, an admin has to invite you again.",
                action: SitePath.teamLeave.path, confirmLabel: "Leave team", keepLabel: "Stay in the team",
                keepPath: SitePath.team.path
            ).response(for: req)
        }
        do {
            try await TeamStore.locked(teamID, on: req.db) { db in
                guard let own = try await TeamStore.membership(of: actor.id!, in: teamID, on: db) else { return }
                let members = try await TeamStore.memberCount(of: teamID, on: db)
                if members == 1 {
                    let keys = try await TeamStore.keyCount(of: teamID, on: db)
                    if keys > 0 { throw LastMemberWithKeys(keys: keys) }
                }
                if own.role == .admin, members > 1, try await TeamStore.adminCount(of: teamID, on: db) <= 1 {
                    throw LastAdmin()
                }
                try await own.delete(on: db)
                try await Audit.record(.memberLeft, team: teamID, by: actor, "left the team", on: db)
                try await InvitationStore.withdrawAll(
                    sentBy: actor, in: teamID, by: actor, because: "as they left the team", on: db)
            }
        } catch is LastAdmin {
            return try await TeamPage.render(
                req, error: "You are this team's only admin. Make someone else an admin before you leave.",
                status: .conflict)
        } catch let refusal as LastMemberWithKeys {
            return try await TeamPage.render(
                req,
                error:
                    "You are the last member of \(current.team.name), and it still has \(TeamPage.keys(refusal.keys)) that nobody could revoke after you left. "
                    + "Delete the team (its keys stop working at once), or invite someone, make them an admin, and then leave.",
                status: .conflict)
        }
        req.session.data[CurrentUserMiddleware.teamKey] = nil
        Notice.set("You left \(current.team.name).", on: req)
        return req.redirect(to: SitePath.admin.path)
    }

    struct DeleteContext: Encodable {
        let page: PageContext
        let team, othersText: String
        let keys: Int
        let keysText, error: String?
        let canDelete: Bool
    }

    struct DeleteForm: Content {
        /// The number of keys the confirmation named.
        var keys: Int?
    }

    /// The confirmation, naming how many API keys go with the team.
    @Sendable func deletePage(req: Request) async throws -> Response {
        try await Self.renderDelete(req)
    }

    @Sendable func deleteTeam(req: Request) async throws -> Response {
        let current = try req.requireTeamAdmin(to: "delete the team")
        let confirmed = try? req.content.decode(DeleteForm.self).keys
        let name = current.team.name
        let deletedKeys: Int
        do {
            deletedKeys = try await TeamController.asAdmin(req, to: "delete the team") { db, actor, teamID in
                let keys = try await TeamStore.keyCount(of: teamID, on: db)
                guard try await TeamStore.memberCount(of: teamID, on: db) == 1 else {
                    throw DomainError.conflict(
                        "Other people are still members of \(name). Remove them first, or leave the team to them.")
                }
                // A key created since the page was shown: confirm again, with the new number.
                guard confirmed == keys else {
                    throw DomainError.conflict("\(name) now has \(TeamPage.keys(keys)). Confirm again.")
                }
                try await TeamStore.delete(teamID, on: db)
                req.logger.notice(
                    "team deleted", metadata: ["team": "\(teamID)", "by": "\(actor.id!)", "keys": "\(keys)"])
                return keys
            }
        } catch let error as DomainError {
            return try await Self.renderDelete(req, error: error.message, status: error.status)
        }
        req.session.data[CurrentUserMiddleware.teamKey] = nil
        Notice.set("Deleted \(name)" + (deletedKeys > 0 ? " and its \(TeamPage.keys(deletedKeys))." : "."), on: req)
        return req.redirect(to: SitePath.admin.path)
    }

    private static func renderDelete(_ req: Request, error: String? = nil, status: HTTPStatus = .ok) async throws
        -> Response
    {
        let current = try req.requireTeamAdmin(to: "delete the team")
        let teamID = current.team.id!
        let keys = try await TeamStore.keyCount(of: teamID, on: req.db)
        let others = try await TeamStore.memberCount(of: teamID, on: req.db) - 1
        let context = DeleteContext(
            page: PageContext(req, title: "Delete \(current.team.name)", section: "team"), team: current.team.name,
            othersText: "\(others) other member\(others == 1 ? "" : "s")", keys: keys,
            keysText: keys > 0 ? TeamPage.keys(keys) : nil,
            error: error, canDelete: others == 0)
        return try await req.renderPage("team-delete", context, status: status)
    }
}
