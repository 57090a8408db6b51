import Foundation
import Vapor

/// An event as the API shows it (snake_case on the wire, RFC 3339 times).
struct EventDTO: Content {
    let id: String
    let name: String
    let description: String
    let startsAt: Date
    let endsAt: Date
    let timezone: String
    let venue: String?
    let capacity: Int?
    let status: String
    let createdAt: Date
    let updatedAt: Date

    enum CodingKeys: String, CodingKey {
        case id, name, description, timezone, venue, capacity, status
        case startsAt = "starts_at", endsAt = "ends_at", createdAt = "created_at", updatedAt = "updated_at"
    }

    /// Always write `venue` and `capacity`, as null when unset, so clients see every field.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(name, forKey: .name)
        try container.encode(description, forKey: .description)
        try container.encode(startsAt, forKey: .startsAt)
        try container.encode(endsAt, forKey: .endsAt)
        try container.encode(timezone, forKey: .timezone)
        try container.encode(venue, forKey: .venue)
        try container.encode(capacity, forKey: .capacity)
        try container.encode(status, forKey: .status)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
    }
}

extension Event {
    func toDTO() -> EventDTO {
        let created = createdAt ?? Date()
        return EventDTO(
            id: id!.lowercasedString, name: name, description: description, startsAt: startsAt, endsAt: endsAt, timezone: timezone,
            venue: venue, capacity: capacity, status: status.rawValue, createdAt: created, updatedAt: updatedAt ?? created
        )
    }
}

/// `POST /events`.
struct CreateEventRequest: Decodable {
    let name: String
    let description: String?
    let startsAt: Date
    let endsAt: Date
    let timezone: String
    let venue: String?
    let capacity: Int?
    let status: EventStatus?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, description, timezone, venue, capacity, status
        case startsAt = "starts_at", endsAt = "ends_at"
    }

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(allowed: Set(CodingKeys.allCases.map(\.rawValue)))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        description = try container.decodeIfPresent(String.self, forKey: .description)
        startsAt = try container.decode(Date.self, forKey: .startsAt)
        endsAt = try container.decode(Date.self, forKey: .endsAt)
        timezone = try container.decode(String.self, forKey: .timezone)
        venue = try container.decodeIfPresent(String.self, forKey: .venue)
        capacity = try container.decodeIfPresent(Int.self, forKey: .capacity)
        status = try container.decodeStatus(EventStatus.self, forKey: .status, message: EventRules.statusMessage)
    }

    var draft: EventDraft {
        EventDraft(
            name: name.trimmingCharacters(in: .whitespacesAndNewlines), description: description ?? "", startsAt: startsAt,
            endsAt: endsAt, timezone: timezone, venue: venue.flatMap(FormInput.text), capacity: capacity, status: status ?? .draft
        )
    }
}

/// `PATCH /events/{id}`: only the fields present change; `venue` and `capacity` may be null.
struct UpdateEventRequest: Decodable {
    var name: String?
    var description: String?
    var startsAt: Date?
    var endsAt: Date?
    var timezone: String?
    var venue: String??
    var capacity: Int??
    var status: EventStatus?

    typealias CodingKeys = CreateEventRequest.CodingKeys

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(allowed: Set(CodingKeys.allCases.map(\.rawValue)))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decodePatchRequired(String.self, forKey: .name)
        description = try container.decodePatchRequired(String.self, forKey: .description)
        startsAt = try container.decodePatchRequired(Date.self, forKey: .startsAt)
        endsAt = try container.decodePatchRequired(Date.self, forKey: .endsAt)
        timezone = try container.decodePatchRequired(String.self, forKey: .timezone)
        venue = try container.decodePatch(String.self, forKey: .venue)
        capacity = try container.decodePatch(Int.self, forKey: .capacity)
        if container.contains(.status) {
            status = try container.decodeStatus(EventStatus.self, forKey: .status, message: EventRules.statusMessage)
            if status == nil { throw APIError.validation([.init(field: "status", message: "status cannot be null.")]) }
        }
    }

    func applied(to event: Event) -> EventDraft {
        EventDraft(
            name: name?.trimmingCharacters(in: .whitespacesAndNewlines) ?? event.name,
            description: description ?? event.description,
            startsAt: startsAt ?? event.startsAt, endsAt: endsAt ?? event.endsAt,
            timezone: timezone ?? event.timezone,
            venue: venue.map { $0.flatMap(FormInput.text) } ?? event.venue,
            capacity: capacity ?? event.capacity,
            status: status ?? event.status
        )
    }
}

extension KeyedDecodingContainer {
    /// An enum field whose bad value is a 422 naming the allowed values, not a type error.
    func decodeStatus<T: RawRepresentable>(_ type: T.Type, forKey key: Key, message: String) throws -> T? where T.RawValue == String {
        guard let raw = try decodeIfPresent(String.self, forKey: key) else { return nil }
        guard let value = T(rawValue: raw) else {
            throw APIError.validation([FieldProblem(field: key.stringValue, message: message)])
        }
        return value
    }
}

/// A page of a list: `next_cursor` is null on the last page.
struct Page<Item: Content>: Content {
    let data: [Item]
    let nextCursor: String?

    enum CodingKeys: String, CodingKey {
        case data
        case nextCursor = "next_cursor"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(data, forKey: .data)
        try container.encode(nextCursor, forKey: .nextCursor)
    }
}

/// What `GET /api/v1/organizer/key` tells an integration about its own credentials.
struct KeyInfoDTO: Content {
    struct TeamDTO: Content {
        let id: String
        let name: String
        let slug: String
    }
    let id: String
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
