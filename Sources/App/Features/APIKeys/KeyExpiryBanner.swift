import Fluent
import SQLKit
import Vapor

/// Tells a team's admins, on every Admin page, about keys that expire within 7 days or expired
/// in the last 7: one key by name, several in one line that opens the list filtered to them. A
/// key whose whole life is a week or less was made short on purpose: its page and the list say
/// when it expires, no notice does. Each admin may dismiss the notice; it comes back when
/// another key comes within the week, or expires, after that.
struct KeyExpiryBanner: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if let current = request.currentUser?.current, current.role == .admin {
            let now = Date()
            let window = KeyState.expiringWindow
            let keys = try await APIKeyStore.nearExpiry(
                team: current.team.id!, window: window, now: now, on: request.db
            )
            .filter { !Self.isShortByChoice($0, window: window) }
            let dismissed = current.membership.expiryNoticeDismissedAt
            if keys.contains(where: { Self.isNew($0, since: dismissed, window: window, now: now) }) {
                request.state.banners.append(Self.banner(for: keys, now: now, returnTo: request.url.path))
            }
        }
        return try await next.respond(to: request)
    }

    /// Made to live a week or less: its expiry is no news.
    static func isShortByChoice(_ key: APIKey, window: TimeInterval) -> Bool {
        guard let expires = key.expiresAt, let created = key.createdAt else { return false }
        return expires.timeIntervalSince(created) <= window
    }

    /// Whether the key came into the notice after it was dismissed: it came within the week, or
    /// expired, since.
    static func isNew(_ key: APIKey, since dismissed: Date?, window: TimeInterval, now: Date) -> Bool {
        guard let dismissed, let expires = key.expiresAt else { return true }
        return expires <= now ? expires > dismissed : expires.addingTimeInterval(-window) > dismissed
    }

    static func banner(for keys: [APIKey], now: Date, returnTo: String) -> Banner {
        let dismiss = SitePath.apiKeysDismissExpiryNotice.path
        if keys.count == 1, let key = keys.first, let expires = key.expiresAt {
            let when = TimeView(expires, now: now)
            let text =
                expires <= now
                ? "API key “\(key.name)” expired \(when.relative) (\(when.exact)). Integrations using it get 401."
                : "API key “\(key.name)” expires \(when.relative) (\(when.exact)). Roll it before then."
            return Banner(
                text: text, link: SitePath.apiKey(.value(key.id!)).path, linkText: "Open “\(key.name)”",
                dismissPath: dismiss, returnTo: returnTo)
        }
        let expiring = keys.filter { ($0.expiresAt ?? now) > now }.count
        let expired = keys.count - expiring
        var parts: [String] = []
        if expiring > 0 {
            parts.append(Plural.count(expiring, "API key expires", "API keys expire") + " within 7 days")
        }
        if expired > 0 {
            parts.append(
                (expiring > 0
                    ? Plural.count(expired, "expired", "expired")
                    : Plural.count(expired, "API key", "API keys") + " expired")
                    + " in the last 7 days (integrations using them get 401)")
        }
        let status = expiring > 0 ? "expiring" : "expired"
        return Banner(
            text: parts.joined(separator: "; ") + ".", link: APIKeyListQuery(search: "", status: status).path(),
            linkText: "See them", dismissPath: dismiss, returnTo: returnTo)
    }
}

/// `POST /admin/team/api-keys/dismiss-expiry-notice`: this person has seen the notice of
/// expiring keys; it stays away until another key comes within the week or expires.
struct KeyExpiryNoticeController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.post(.apiKeysDismissExpiryNotice, use: dismiss)
    }

    @Sendable func dismiss(req: Request) async throws -> Response {
        let current = try req.requireTeamAdmin(to: "dismiss the notice of expiring API keys")
        try await req.db.sql.raw(
            "UPDATE memberships SET expiry_notice_dismissed_at = \(bind: Date()) WHERE id = \(bind: current.membership.id!)"
        ).run()
        let form = try? req.content.decode(DismissForm.self)
        return req.redirect(to: ReturnPath.safe(form?.returnTo) ?? SitePath.apiKeys.path)
    }
}
