import Vapor

/// Tells a team's admins, on every Admin page, about keys that expire within 7 days or expired
/// in the last 7, with a link to each.
struct KeyExpiryBanner: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if let current = request.currentUser?.current, current.role == .admin {
            let now = Date()
            let keys = try await APIKeyStore.nearExpiry(
                team: current.team.id!, window: KeyState.expiringWindow, now: now, on: request.db)
            request.state.banners += keys.map { key in
                let when = TimeView(key.expiresAt!, now: now)
                let text =
                    key.expiresAt! <= now
                    ? "API key “\(key.name)” expired \(when.relative) (\(when.exact)). Integrations using it get 401."
                    : "API key “\(key.name)” expires \(when.relative) (\(when.exact)). Roll it before then."
                return Banner(text: text, link: SitePath.apiKey(.value(key.id!)).path, linkText: "Open “\(key.name)”")
            }
        }
        return try await next.respond(to: request)
    }
}
