import Fluent
import SQLKit
import Vapor

/// Admin → Team → Activity: the team's audit trail, newest first, 50 a page.
struct ActivityController: RouteCollection {
    static let pageSize = 50

    func boot(routes: any RoutesBuilder) throws {
        routes.get(.activity, use: list)
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
            changes = row.changes.flatMap { try? JSONDecoder().decode([AuditChange].self, from: Data($0.utf8)) } ?? []
            hasChanges = !changes.isEmpty
            eventPath = row.eventID.flatMap { liveEvents.contains($0) ? SitePath.event(.value($0)).path : nil }
        }
    }

    struct Context: Encodable {
        let page: PageContext
        let entries: [Entry]
        let isAdmin, hasEntries, isFirstPage: Bool
        let olderPath: String?
        /// For members, who to ask instead.
        let admins: String
    }

    @Sendable func list(req: Request) async throws -> Response {
        let current = try req.requireTeam()
        let pageContext = PageContext(req, title: "Activity", section: "activity")
        guard current.role == .admin else {
            let admins = try await TeamStore.adminNames(of: current.team, on: req.db)
            let context = Context(
                page: pageContext, entries: [], isAdmin: false, hasEntries: false, isFirstPage: true, olderPath: nil,
                admins: admins)
            return try await req.renderPage("activity", context)
        }
        let before = (try? req.query.get(String.self, at: "before")).flatMap(PageRequest.decode)
        let rows = try await Audit.page(team: current.team.id!, before: before, limit: Self.pageSize + 1, on: req.db)
        let visible = rows.prefix(Self.pageSize)
        let now = Date()
        let team = current.team.id!
        let liveKeys = try await Self.existing("api_keys", among: visible.compactMap(\.keyID), team: team, on: req.db)
        let liveEvents = try await Self.existing("events", among: visible.compactMap(\.eventID), team: team, on: req.db)
        let entries = visible.map { Entry($0, liveKeys: liveKeys, liveEvents: liveEvents, now: now) }
        let older =
            rows.count > Self.pageSize
            ? visible.last.map { SitePath.activity.path + "?before=" + PageRequest.encode($0.id!) } : nil
        let context = Context(
            page: pageContext, entries: Array(entries), isAdmin: true, hasEntries: !entries.isEmpty,
            isFirstPage: before == nil,
            olderPath: older, admins: "")
        return try await req.renderPage("activity", context)
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
