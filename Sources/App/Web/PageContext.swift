import Vapor

/// What the shared layout needs on every page: who is signed in, their teams, the CSRF token.
struct PageContext: Encodable {
    struct TeamOption: Encodable {
        let id, name: String
        let selected: Bool
    }

    /// An invitation waiting for the signed-in person's answer, shown above every page.
    struct InvitationBanner: Encodable {
        let team, role, invitedByName, invitedByEmail, acceptPath, declinePath: String
        let expires: TimeView
    }

    let title, section, csrf: String
    let signedIn, showSwitcher: Bool
    let userName, currentTeam, notice: String?
    let teams: [TeamOption]
    let banners: [Banner]
    let invitations: [InvitationBanner]

    init(_ request: Request, title: String, section: String = "") {
        let user = request.currentUser
        let isWeb = request.state.audience == .web
        self.title = title
        self.section = section
        self.csrf = isWeb ? CSRFMiddleware.token(for: request) : ""
        self.signedIn = user != nil
        self.userName = user?.user.name
        self.currentTeam = user?.current?.team.name
        self.teams = (user?.memberships ?? []).map {
            TeamOption(id: $0.team.id!.uuidString, name: $0.team.name, selected: $0.team.id == user?.current?.team.id)
        }
        self.showSwitcher = teams.count > 1
        let now = Date()
        self.invitations = (user?.invitations ?? []).map {
            InvitationBanner(
                team: $0.team.name, role: $0.role.label, invitedByName: $0.invitedByName, invitedByEmail: $0.invitedByEmail,
                acceptPath: SitePath.invitationAccept(.value($0.id!)).path, declinePath: SitePath.invitationDecline(.value($0.id!)).path,
                expires: TimeView($0.expiresAt, now: now))
        }
        self.notice = isWeb ? Notice.take(from: request) : nil
        self.banners = request.state.banners
    }
}

extension Request {
    /// Renders a Leaf template with the given status, marked as not to be stored by caches
    /// (pages show per-user data and CSRF tokens).
    func renderPage(_ template: String, _ context: some Encodable, status: HTTPStatus = .ok) async throws -> Response {
        let view = try await self.view.render(template, context)
        let response = try await view.encodeResponse(status: status, for: self)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }
}
