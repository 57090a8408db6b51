import Foundation
import Vapor

/// An event as the API shows it (snake_case on the wire, RFC 3339 times).
struct EventDTO: Content {
    let id: UUID
    let name: String
    let description: String
    let startsAt: Date
    let endsAt: Date
    let timezone: String
    let venue: String?
    let capacity: Int?
    let status: String
    let createdAt: Date?
    let updatedAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, name, description, timezone, venue, capacity, status
        case startsAt = "starts_at", endsAt = "ends_at", createdAt = "created_at", updatedAt = "updated_at"
    }
}

extension Event {
    func toDTO() -> EventDTO {
        EventDTO(
            id: id!, name: name, description: description, startsAt: startsAt, endsAt: endsAt, timezone: timezone,
            venue: venue, capacity: capacity, status: status.rawValue, createdAt: createdAt, updatedAt: updatedAt ?? createdAt
        )
    }
}

/// `{"data": [...]}`: the envelope every list uses, so paging can be added without breaking clients.
struct ListResponse<Item: Content>: Content {
    let data: [Item]
}

/// What `GET /api/v1/organizer/key` tells an integration about its own credentials.
struct KeyInfoDTO: Content {
    struct TeamDTO: Content {
        let id: UUID
        let name: String
        let slug: String
    }
    let id: UUID
    let name: String
    let preview: String
    let createdAt: Date?
    let team: TeamDTO
    let permissions: [String]

    enum CodingKeys: String, CodingKey {
        case id, name, preview, team, permissions
        case createdAt = "created_at"
    }
}
