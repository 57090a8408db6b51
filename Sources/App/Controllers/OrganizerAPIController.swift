import Fluent
import Vapor

/// `/api/v1/organizer`: what integrations call with a team's API key.
struct OrganizerAPIController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let organizer = routes.grouped("organizer")
        organizer.get("key", use: keyInfo)
        try organizer.grouped("events").register(collection: EventsAPIController())
        try organizer.grouped("events", ":event", "attendees").register(collection: AttendeesAPIController())
    }

    /// Which key, team and permissions this request runs as. Never the key itself.
    @Sendable func keyInfo(req: Request) async throws -> KeyInfoDTO {
        let key = try req.requireAPIKey()
        return KeyInfoDTO(
            id: key.keyID.lowercasedString, name: key.keyName, preview: "…" + key.lastFour, createdAt: key.createdAt,
            team: .init(id: key.teamID.lowercasedString, name: key.teamName, slug: key.teamSlug),
            permissions: key.permissions.sorted().map(\.rawValue)
        )
    }
}

extension Content {
    /// A JSON response with the given status (and a Location for 201).
    func response(_ status: HTTPStatus, location: String? = nil, for req: Request) async throws -> Response {
        let response = try await encodeResponse(status: status, for: req)
        if let location { response.headers.replaceOrAdd(name: .location, value: location) }
        return response
    }
}
