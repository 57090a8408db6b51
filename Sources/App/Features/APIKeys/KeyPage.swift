import Vapor

/// Admin → Team → API Keys → a key: its settings, what it does, and (for admins) what can be
/// done to it. The page a roll answers with, too, holding the new secret once.
enum KeyPage {
    /// The newest requests the page itself shows (the rest are a click away).
    static let recentShown = 5

    static func render(_ req: Request, key: APIKey, created: APIKeyPages.CreatedKey? = nil, status: HTTPStatus = .ok)
        async throws -> Response
    {
        let current = try req.requireTeam()
        let creators = try await AccountStore.userNames([key.$createdBy.id], on: req.db)
        let old = try await APIKeyStore.oldSecrets(of: [key.id!], on: req.db)[key.id!]
        let days = try await APIKeyUsage.days(of: key.id!, count: KeyUsageView.period, on: req.db)
        let addresses = try await APIKeyUsage.addresses(of: key.id!, on: req.db)
        let effective = KeyState(key, teamPermissions: current.team.permissions).permissions
        let firstDay = UsageRecorder.day(of: Date()) - KeyUsageView.period + 1
        let used = try await KeyEventUsage.used(by: key.id!, since: firstDay, on: req.db)
        let scoped = try await EventScopeStore.events(of: key, on: req.db)
        let names = try await EventScopeStore.names(of: used.events.map(\.event), team: current.team.id!, on: req.db)
        var context = APIKeyPages.KeyContext(
            page: PageContext(req, title: key.name, section: "api-keys"),
            key: .init(key, creators: creators, old: old, reach: .init(scoped)),
            admins: try await TeamStore.adminNames(of: current.team, on: req.db),
            nonce: CreationNonce.issue(), created: created, graces: APIKeyPages.graces,
            // The roll form's lifetime: a key without an expiry keeps none unless chosen.
            form: APIKeyFormValues(team: current.team, key: key),
            usage: KeyUsageView(
                key: key, effective: effective, days: days, addresses: addresses,
                everUsed: try await APIKeyUsage.permissionsEverUsed(by: key.id!, on: req.db)),
            scope: EventScopeView(key: key, events: scoped),
            eventsUsed: EventsUsedView(
                used.events, many: used.many, names: names, reached: key.eventsScoped ? scoped.count : nil))
        context.budget = budget(of: key, team: current.team, settings: req.application.services.settings)
        if current.role == .admin {
            let log = req.application.requestLog
            let newest = try await RequestLogStore.recent(
                of: key.id!, limit: recentShown, pending: log.pending(for: key.id!), on: req.db)
            let all = SitePath.apiKeyRequests(.value(key.id!)).path
            context.recent = .init(
                requests: newest.map { KeyRequestView($0) }, hasRequests: !newest.isEmpty, path: all,
                failuresPath: all + "?status=failures", isOn: log.isOn)
        }
        return try await req.renderPage("api-key", context, status: status)
    }

    /// The budgets the key spends from, as its page states them.
    static func budget(of key: APIKey, team: Team, settings: Settings) -> String? {
        guard settings.apiRateLimitPerMinute > 0 else { return nil }
        let own = RequestsPerMinuteRule.format(settings.keyRateLimit(key.rateLimitPerMinute))
        var text = own + (key.rateLimitPerMinute == nil ? " (the server’s default)" : " (set for this key)")
        if let shared = team.rateLimitPerMinute.map({ min($0, settings.rateCeiling) }) {
            text += ", within the team’s \(RequestsPerMinuteRule.format(shared)) shared by all its keys"
        }
        return text
    }
}
