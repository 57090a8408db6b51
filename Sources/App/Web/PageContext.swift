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

    /// One step of the breadcrumb; the last one is the page itself and has no path.
    struct Crumb: Encodable {
        let label: String
        let path: String?

        init(_ label: String, _ path: String? = nil) {
            self.label = label
            self.path = path
        }
    }

    let title, section, csrf: String
    let signedIn, showSwitcher: Bool
    /// Admin of the current team: the navigation offers Activity (a member would only be told
    /// it is for admins).
    let isTeamAdmin: Bool
    /// Admin › Team › API Keys › …, on the Admin pages; empty elsewhere.
    let breadcrumb: [Crumb]
    let hasBreadcrumb: Bool
    let userName, currentTeam, notice: String?
    let teams: [TeamOption]
    let banners: [Banner]
    let invitations: [InvitationBanner]
    let paths = SitePaths.shared

    /// `trail`: the steps after the section's own (the last one being this page); by default
    /// the page's title, unless the page is the section's own.
    init(_ request: Request, title: String, section: String = "", trail: [Crumb]? = nil) {
        let user = request.currentUser
        let isWeb = request.state.audience == .web
        self.title = title
        self.section = section
        self.breadcrumb = Self.breadcrumb(section: section, title: title, trail: trail)
        self.hasBreadcrumb = !breadcrumb.isEmpty
        self.csrf = isWeb ? CSRFMiddleware.token(for: request) : ""
        self.signedIn = user != nil
        self.isTeamAdmin = user?.current?.role == .admin
        self.userName = user?.user.name
        self.currentTeam = user?.current?.team.name
        self.teams = (user?.memberships ?? []).map {
            TeamOption(id: $0.team.id!.uuidString, name: $0.team.name, selected: $0.team.id == user?.current?.team.id)
        }
        self.showSwitcher = teams.count > 1
        let now = Date()
        self.invitations = (user?.invitations ?? []).map {
            InvitationBanner(
                team: $0.team.name, role: $0.role.label, invitedByName: $0.invitedByName,
                invitedByEmail: $0.invitedByEmail,
                acceptPath: SitePath.invitationAccept(.value($0.id!)).path,
                declinePath: SitePath.invitationDecline(.value($0.id!)).path,
                expires: TimeView($0.expiresAt, now: now))
        }
        self.notice = isWeb ? Notice.take(from: request) : nil
        self.banners = request.state.banners
    }
}

extension PageContext {
    /// The steps down to each Admin section, as the navigation and the docs name them.
    private static func sectionCrumbs(_ section: String) -> [Crumb] {
        let admin = Crumb("Admin", SitePath.admin.path)
        let team = Crumb("Team", SitePath.team.path)
        switch section {
        case "admin": return [admin]
        case "team": return [admin, team]
        case "api-keys": return [admin, team, Crumb("API Keys", SitePath.apiKeys.path)]
        case "activity": return [admin, team, Crumb("Activity", SitePath.activity.path)]
        case "webhooks": return [admin, team, Crumb("Webhooks", SitePath.webhooks.path)]
        case "events": return [admin, Crumb("Events", SitePath.events.path)]
        default: return []
        }
    }

    static func breadcrumb(section: String, title: String, trail: [Crumb]?) -> [Crumb] {
        let sections = sectionCrumbs(section)
        guard let last = sections.last else { return [] }
        var crumbs = sections + (trail ?? (title == last.label ? [] : [Crumb(title)]))
        // The page itself is not a link.
        crumbs[crumbs.count - 1] = Crumb(crumbs[crumbs.count - 1].label)
        return crumbs
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
