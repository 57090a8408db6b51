import Vapor

/// `GET /api/v1/organizer/key`: which key, team and permissions a request runs as.
struct KeyInfoController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("key", use: keyInfo)
    }

    /// Never the key itself: its name and last four characters.
    @Sendable func keyInfo(req: Request) async throws -> KeyInfoDTO {
        let key = try req.requireAPIKey()
        return KeyInfoDTO(
            id: key.id.lowercasedString, name: key.name, preview: "…" + key.lastFour, createdAt: key.createdAt,
            team: .init(id: key.teamID.lowercasedString, name: key.teamName, slug: key.teamSlug),
            permissions: key.permissions.sorted().map(\.rawValue)
        )
    }
}
