import Vapor

/// The invitee's answer to an invitation: the buttons of the banner every page shows them.
struct InvitationController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.post(.invitationAccept(.parameter), use: accept)
        routes.post(.invitationDecline(.parameter), use: decline)
    }

    /// Joins the team and opens it.
    @Sendable func accept(req: Request) async throws -> Response {
        let user = try req.requireUser().user
        let invitation = try await InvitationStore.find(req.parameters.get("invitation"), for: user.email, on: req.db)
        try await InvitationStore.accept(invitation, by: user, on: req.db)
        let team = invitation.team
        req.session.data[CurrentUserMiddleware.teamKey] = team.id!.uuidString
        try await TeamStore.setLastTeam(team.id!, of: user.id!, on: req.db)
        Notice.set("You joined \(team.name) as \(invitation.role.label).", on: req)
        return req.redirect(to: SitePath.team.path)
    }

    @Sendable func decline(req: Request) async throws -> Response {
        let user = try req.requireUser().user
        let invitation = try await InvitationStore.find(req.parameters.get("invitation"), for: user.email, on: req.db)
        try await InvitationStore.decline(invitation, by: user, on: req.db)
        Notice.set("You declined the invitation to \(invitation.team.name).", on: req)
        return req.redirect(to: SitePath.admin.path)
    }
}
