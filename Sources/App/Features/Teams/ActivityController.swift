import Fluent
import SQLKit
import Vapor

/// Admin → Team → Activity: the team's audit trail, newest first, 50 a page.
struct ActivityController: RouteCollection {
    static let pageSize = 50

    func boot(routes: any RoutesBuilder) throws {
        routes.get(.activity, use: list)
        routes.get(.activityExport, use: export)
    }

    struct Entry: Encodable {
        let time: TimeView
        let actor, action, summary: String
        /// For a change made with an API key: its page (nil once the key is deleted) and "…a1b2".
        let keyPath, keyPreview: String?
        let address, requestID: String?
        let changes: [AuditChange]
        let hasChanges: Bool
        /// The event the entry is about, while it exists.
        let eventPath: String?

        init(_ row: AuditEvent, liveKeys: Set<UUID>, liveEvents: Set<UUID>, now: Date) {
            time = TimeView(row.createdAt ?? now, now: now)
            (actor, action, summary) = (row.actor, row.action, row.summary)
            keyPath = row.keyID.flatMap { liveKeys.contains($0) ? SitePath.apiKey(.value($0)).path : nil }
            keyPreview = row.keyLastFour.map { "…" + $0 }
            (address, requestID) = (row.clientAddress, row.requestID)
            changes = row.changeList
            hasChanges = !changes.isEmpty
            eventPath = row.eventID.flatMap { liveEvents.contains($0) ? SitePath.event(.value($0)).path : nil }
        }
    }

    struct Context: Encodable {
        let page: PageContext
        let entries: [Entry]
        let hasEntries, isFirstPage: Bool
        let olderPath: String?
        /// For members, who to ask instead.
        let admins: String
        var filter: FilterView? = nil
    }

    /// The filter form: its choices, what is chosen, and the event it is narrowed to.
    struct FilterView: Encodable {
        struct Option: Encodable {
            let value, label: String
            let selected: Bool
        }
        let who, kinds: [Option]
        let from, until: String
        let requestID: String
        /// "Spring meetup", when the page shows one event's entries (nil: all), and its id.
        let eventName: String?
        let eventID: String?
        let filtered: Bool
        /// This page without the event (the other filters kept), without any filter, and its
        /// first page (the filters kept, no cursor).
        let allEventsPath, clearPath, firstPath: String
        /// The CSV of what the filters show (every page).
        let exportPath: String
    }

    @Sendable func list(req: Request) async throws -> Response {
        let current = try req.requireTeam()
        let pageContext = PageContext(req, title: "Activity", section: "activity")
        guard current.role == .admin else {
            let admins = try await TeamStore.adminNames(of: current.team, on: req.db)
            let context = Context(
                page: pageContext, entries: [], hasEntries: false, isFirstPage: true, olderPath: nil,
                admins: admins)
            return try await req.renderPage("activity", context)
        }
        let before = (try? req.query.get(String.self, at: "before")).flatMap(PageRequest.decode)
        let filter = ActivityFilter(req)
        // An id an integrator quoted jumps to that API request when a key of the team made it
        // (its changes, if any, are a link away there); otherwise the entries it left.
        if let requestID = filter.requestID, before == nil,
            let found = try await req.application.requestFinder.path(requestID, current.team.id!, req.db)
        {
            return req.redirect(to: found)
        }
        let rows = try await Self.page(
            team: current.team.id!, filter: filter, before: before, limit: Self.pageSize + 1, on: req.db)
        let visible = rows.prefix(Self.pageSize)
        let now = Date()
        let team = current.team.id!
        let liveKeys = try await Self.existing("api_keys", among: visible.compactMap(\.keyID), team: team, on: req.db)
        let liveEvents = try await Self.existing("events", among: visible.compactMap(\.eventID), team: team, on: req.db)
        let entries = visible.map { Entry($0, liveKeys: liveKeys, liveEvents: liveEvents, now: now) }
        let older =
            rows.count > Self.pageSize
            ? visible.last.map { Self.path(filter.query + [("before", PageRequest.encode($0.id!))]) } : nil
        let context = Context(
            page: pageContext, entries: Array(entries), hasEntries: !entries.isEmpty,
            isFirstPage: before == nil,
            olderPath: older, admins: "",
            filter: try await Self.filterView(filter, team: team, on: req.db))
        return try await req.renderPage("activity", context)
    }

    /// A page of the team's entries that `filter` lets through, newest first, older than `before`.
    static func page(team: UUID, filter: ActivityFilter, before: UUID?, limit: Int, on db: any Database)
        async throws -> [AuditEvent]
    {
        let query = AuditEvent.query(on: db).filter(\.$teamID == team)
        if let key = filter.key { query.filter(\.$keyID == key) }
        if let person = filter.person { query.filter(\.$actorID == person) }
        if let kind = filter.kind { query.filter(\.$action ~~ kind.actions) }
        if let event = filter.event { query.filter(\.$eventID == event) }
        if let from = filter.from { query.filter(\.$createdAt >= from) }
        if let until = filter.until { query.filter(\.$createdAt < until.addingTimeInterval(86400)) }
        if let requestID = filter.requestID { query.filter(\.$requestID == requestID) }
        if let before { query.filter(\.$id < before) }
        return try await query.sort(\.$id, .descending).limit(limit).all()
    }

    static func path(_ query: [(String, String)], at page: SitePath = .activity) -> String {
        guard !query.isEmpty else { return page.path }
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
        return page.path + "?"
            + query.map {
                "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")"
            }.joined(separator: "&")
    }

    /// The form's choices: the team's keys and members by name (read by SQL: Teams sits below
    /// the key feature), the kinds, and the event the page is narrowed to.
    private static func filterView(_ filter: ActivityFilter, team: UUID, on db: any Database) async throws
        -> FilterView
    {
        let keys = try await db.sql.raw(
            "SELECT id, name FROM api_keys WHERE team_id = \(bind: team) ORDER BY name"
        ).all().map {
            (
                "key:" + (try $0.decode(column: "id", as: UUID.self)).lowercasedString,
                "API key “" + (try $0.decode(column: "name", as: String.self)) + "”"
            )
        }
        let people = try await db.sql.raw(
            """
            SELECT u.id, u.name FROM memberships m JOIN users u ON u.id = m.user_id
            WHERE m.team_id = \(bind: team) ORDER BY u.name
            """
        ).all().map {
            (
                "person:" + (try $0.decode(column: "id", as: UUID.self)).lowercasedString,
                try $0.decode(column: "name", as: String.self)
            )
        }
        let chosen = filter.who
        let who =
            [FilterView.Option(value: "", label: "Anyone", selected: chosen.isEmpty)]
            + (people + keys).map { FilterView.Option(value: $0.0, label: $0.1, selected: $0.0 == chosen) }
        let kinds =
            [FilterView.Option(value: "", label: "Everything", selected: filter.kind == nil)]
            + ActivityFilter.Kind.allCases.map {
                FilterView.Option(value: $0.rawValue, label: $0.label, selected: $0 == filter.kind)
            }
        var eventName: String?
        if let event = filter.event {
            eventName =
                try await db.sql.raw(
                    "SELECT name FROM events WHERE id = \(bind: event) AND team_id = \(bind: team)"
                ).first()?.decode(column: "name", as: String.self) ?? "a deleted event"
        }
        var withoutEvent = filter
        withoutEvent.event = nil
        return FilterView(
            who: who, kinds: kinds, from: filter.from.map(ActivityFilter.dayText) ?? "",
            until: filter.until.map(ActivityFilter.dayText) ?? "", requestID: filter.requestID ?? "",
            eventName: eventName,
            eventID: filter.event?.lowercasedString, filtered: !filter.isEmpty,
            allEventsPath: path(withoutEvent.query), clearPath: SitePath.activity.path, firstPath: path(filter.query),
            exportPath: path(filter.query, at: .activityExport))
    }

    /// Which of `ids` are rows of `table` in the team still (entries outlive their keys and events).
    private static func existing(_ table: String, among ids: [UUID], team: UUID, on db: any Database) async throws
        -> Set<UUID>
    {
        guard !ids.isEmpty else { return [] }
        let rows = try await db.sql.select().column("id").from(table)
            .where("team_id", .equal, team).where("id", .in, Array(Set(ids)))
            .all()
        return Set(try rows.map { try $0.decode(column: "id", as: UUID.self) })
    }
}
