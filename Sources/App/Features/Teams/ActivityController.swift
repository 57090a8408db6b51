import Fluent
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
        let entries = visible.map {
            Entry(
                time: TimeView($0.createdAt ?? now, now: now), actor: $0.actor, action: $0.action, summary: $0.summary)
        }
        let older =
            rows.count > Self.pageSize
            ? visible.last.map { SitePath.activity.path + "?before=" + PageRequest.encode($0.id!) } : nil
        let context = Context(
            page: pageContext, entries: Array(entries), isAdmin: true, hasEntries: !entries.isEmpty,
            isFirstPage: before == nil,
            olderPath: older, admins: "")
        return try await req.renderPage("activity", context)
    }
}
