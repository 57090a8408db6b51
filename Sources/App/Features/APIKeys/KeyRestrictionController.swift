import Fluent
import Vapor

/// "Restrict to what it uses": narrows a key to the permissions it used in the usage period and,
/// when it used few enough events to name them all, to those events.
struct KeyRestrictionController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get(.apiKeyRestrict(.parameter), use: restrictPage)
        routes.post(.apiKeyRestrict(.parameter), use: restrict)
    }

    /// What restricting would take away; a conflict when there is nothing to take.
    struct Restriction {
        let usedPermissions, unusedPermissions: Set<Permission>
        /// The events to keep, when the key reaches more than it used; nil: its events stay.
        let usedEvents: Set<UUID>?
        /// How many events it reaches now (nil: all of the team's).
        let reachedEvents: Int?

        static func of(_ key: APIKey, team: Team, now: Date = Date(), on db: any Database) async throws
            -> Restriction
        {
            let age = now.timeIntervalSince(key.createdAt ?? now)
            guard age >= TimeInterval(KeyUsageView.minimumObservation) * 86400 else {
                throw DomainError.conflict(
                    "Too early to tell what this key needs: it is watched for \(KeyUsageView.minimumObservation) days before Kagibag suggests taking anything away (a weekly job would lose what it has not needed yet). To narrow it now, edit it."
                )
            }
            let days = try await APIKeyUsage.days(of: key.id!, count: KeyUsageView.period, on: db)
            let used = APIKeyUsage.permissionsUsed(in: days)
            let held = KeyState(key, teamPermissions: team.permissions).permissions
            let everUsed = try await APIKeyUsage.permissionsEverUsed(by: key.id!, on: db)
            let unused = used.isEmpty ? [] : held.subtracting(used).subtracting(everUsed)
            let firstDay = UsageRecorder.day(of: Date()) - KeyUsageView.period + 1
            let events = try await KeyEventUsage.used(by: key.id!, since: firstDay, on: db)
            let scope = try await EventScopeStore.scope(of: key, on: db)
            var usedEvents: Set<UUID>? = Set(events.events.map(\.event))
            // Only when every event it used is known by id, and fewer than it reaches.
            if events.many || usedEvents!.isEmpty || usedEvents!.count > EventScope.maximumEvents {
                usedEvents = nil
            } else if let reached = scope.events, usedEvents!.isSuperset(of: reached) {
                usedEvents = nil
            }
            if let kept = usedEvents, let reached = scope.events {
                let narrowed = kept.intersection(reached)
                usedEvents = narrowed.isEmpty || narrowed == reached ? nil : narrowed
            }
            guard !unused.isEmpty || usedEvents != nil else {
                throw DomainError.conflict(
                    "This key used every permission it holds and every event it reaches in the last 30 days (or nothing at all), so there is nothing to take away."
                )
            }
            return Restriction(
                usedPermissions: used.union(everUsed).intersection(held), unusedPermissions: unused,
                usedEvents: usedEvents,
                reachedEvents: scope.events?.count)
        }
    }

    struct RestrictContext: Encodable {
        let page: PageContext
        let key: APIKeyPages.KeyRow
        let used, unused: String
        let narrowsPermissions: Bool
        /// "the 2 events it used (of all the team's)", when the events narrow too.
        let events: String?
    }

    @Sendable func restrictPage(req: Request) async throws -> Response {
        let current = try req.requireTeamAdmin(to: APIKeysController.adminAction)
        let key = try await APIKeyStore.find(req.parameters.get("key"), team: current.team.id!, on: req.db)
        let restriction = try await Restriction.of(key, team: current.team, on: req.db)
        let creators = try await AccountStore.userNames([key.$createdBy.id], on: req.db)
        let context = RestrictContext(
            page: PageContext(
                req, title: "Restrict \(key.name)", section: "api-keys",
                trail: [.init(key.name, SitePath.apiKey(.value(key.id!)).path), .init("Restrict")]),
            key: .init(key, creators: creators),
            used: APIKeyChanges.permissions(restriction.usedPermissions),
            unused: APIKeyChanges.permissions(restriction.unusedPermissions),
            narrowsPermissions: !restriction.unusedPermissions.isEmpty,
            events: restriction.usedEvents.map {
                "the \(APIKeyChanges.events($0.count)) it used, of "
                    + (restriction.reachedEvents.map { APIKeyChanges.events($0) } ?? "all of the team’s")
            })
        return try await req.renderPage("api-key-restrict", context)
    }

    /// Narrows the key to the permissions and events it used in the last 30 days.
    @Sendable func restrict(req: Request) async throws -> Response {
        let current = try req.requireTeamAdmin(to: APIKeysController.adminAction)
        let key = try await APIKeyStore.find(req.parameters.get("key"), team: current.team.id!, on: req.db)
        let restriction = try await Restriction.of(key, team: current.team, on: req.db)
        var changes: [String] = []
        if !restriction.unusedPermissions.isEmpty {
            changes.append(
                "permissions \(APIKeyChanges.permissions(key.granted)) → "
                    + "\(APIKeyChanges.permissions(restriction.usedPermissions)) "
                    + "(unused: \(APIKeyChanges.permissions(restriction.unusedPermissions)))")
            key.granted = restriction.usedPermissions
        }
        let before = try await EventScopeStore.scope(of: key, on: req.db)
        let scope = restriction.usedEvents.map { EventScope(events: $0, windowHours: before.windowHours) }
        if let scope { changes.append("events \(APIKeyChanges.scope(before)) → \(APIKeyChanges.scope(scope))") }
        let actor = try req.requireUser().user
        let summary =
            "restricted API key “\(key.name)” (…\(key.lastFour)) to what it used in 30 days: "
            + changes.joined(separator: "; ")
        try await APIKeysController.asAdmin(req) { db, _, _ in
            try await APIKeyStore.save(
                key, scope: scope, audit: Audit.entry(.keyChanged, team: key.$team.id, by: actor, summary), on: db)
        }
        Notice.set(
            "Restricted “\(key.name)” to what it used. The change applies to its next request.", on: req)
        return req.redirect(to: SitePath.apiKey(.value(key.id!)).path)
    }
}
