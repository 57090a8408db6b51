import Fluent
import Vapor

/// `/api/v1/organizer`: what integrations call with a team's API key.
struct OrganizerAPIController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let organizer = routes.grouped("organizer")
        organizer.get("key", use: keyInfo)
        organizer.grouped(RequirePermission(.eventsRead)).get("events", use: listEvents)
    }

    /// Which key, team and permissions this request runs as. Never the key itself.
    @Sendable func keyInfo(req: Request) async throws -> Response {
        let key = try req.requireAPIKey()
        let info = KeyInfoDTO(
            id: key.keyID, name: key.keyName, preview: "…" + key.lastFour, createdAt: key.createdAt,
            team: .init(id: key.teamID, name: key.teamName, slug: key.teamSlug),
            permissions: key.permissions.sorted().map(\.rawValue)
        )
        return try await info.encodeResponse(for: req)
    }

    /// The team's events, soonest first.
    @Sendable func listEvents(req: Request) async throws -> ListResponse<EventDTO> {
        let key = try req.requireAPIKey()
        let events = try await Event.query(on: req.db)
            .filter(\.$team.$id == key.teamID)
            .sort(\.$startsAt).sort(\.$id)
            .limit(100)
            .all()
        return ListResponse(data: events.map { $0.toDTO() })
    }
}
