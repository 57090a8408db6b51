import Vapor

/// Tells a team's admins, on every Admin page, about each key revoked because it was reported
/// as leaked, until one of them dismisses the notice (or rolls or deletes the key).
struct LeakNoticeBanner: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if let current = request.currentUser?.current, current.role == .admin {
            let now = Date()
            let keys = try await KeyLeakStore.undismissed(team: current.team.id!, on: request.db)
            request.state.banners += keys.compactMap { key in
                LeakView.notice(for: key, now: now).map { text in
                    Banner(
                        text: text, link: SitePath.apiKey(.value(key.id!)).path, linkText: "Open “\(key.name)”",
                        dismissPath: SitePath.apiKeyDismissLeak(.value(key.id!)).path, returnTo: request.url.path)
                }
            }
        }
        return try await next.respond(to: request)
    }
}

/// `POST …/api-keys/:key/dismiss-leak-notice`: an admin has seen the notice; recorded in
/// Activity, and the notice goes away for every admin. The key stays revoked.
struct LeakNoticeController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.post(.apiKeyDismissLeak(.parameter), use: dismiss)
    }

    @Sendable func dismiss(req: Request) async throws -> Response {
        let current = try req.requireTeamAdmin(to: "dismiss notices about leaked API keys")
        let key = try await APIKeyStore.find(req.parameters.get("key"), team: current.team.id!, on: req.db)
        let actor = try req.requireUser().user
        try await APIKeysController.asAdmin(req) { db, _, _ in
            try await KeyLeakStore.dismissNotice(of: key, by: actor, on: db)
        }
        Notice.set("Dismissed the notice about “\(key.name)”. It stays revoked until you roll or delete it.", on: req)
        let form = try? req.content.decode(DismissForm.self)
        return req.redirect(to: Self.safeReturn(form?.returnTo) ?? SitePath.apiKey(.value(key.id!)).path)
    }

    /// A path of this site's Admin pages to go back to, or nil (never another site).
    static func safeReturn(_ path: String?) -> String? { ReturnPath.safe(path) }
}
