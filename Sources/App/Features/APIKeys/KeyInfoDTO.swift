import Vapor

/// What `GET /api/v1/organizer/key` tells an integration about its own credentials.
struct KeyInfoDTO: Content {
    struct TeamDTO: Content {
        let id, name, slug: String
    }
    let id, name, preview: String
    let createdAt: Date?
    let team: TeamDTO
    let permissions: [String]

    enum CodingKeys: String, CodingKey {
        case id, name, preview, team, permissions
        case createdAt = "created_at"
    }
}
