import Foundation

/// `POST /events`: unknown fields are refused, the rules are `EventDraft`'s.
struct CreateEventRequest: Decodable {
    let name, timezone: String
    let description, venue: String?
    let startsAt, endsAt: Date
    let capacity: Int?
    let status: EventStatus?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, description, timezone, venue, capacity, status
        case startsAt = "starts_at", endsAt = "ends_at"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.strictContainer(
            keyedBy: CodingKeys.self, requiring: [.name, .startsAt, .endsAt, .timezone])
        name = try container.decode(String.self, forKey: .name)
        description = try container.decodeIfPresent(String.self, forKey: .description)
        startsAt = try container.decode(Date.self, forKey: .startsAt)
        endsAt = try container.decode(Date.self, forKey: .endsAt)
        timezone = try container.decode(String.self, forKey: .timezone)
        venue = try container.decodeIfPresent(String.self, forKey: .venue)
        capacity = try container.decodeIfPresent(Int.self, forKey: .capacity)
        status = try container.decodeEnum(EventStatus.self, forKey: .status, message: EventDraft.statusMessage)
    }

    func draft() throws -> EventDraft {
        try EventDraft(
            name: name, description: description, startsAt: startsAt, endsAt: endsAt, timezone: timezone, venue: venue,
            capacity: capacity, status: status ?? .draft)
    }
}

/// `PATCH /events/{id}`: only the fields present change; `venue` and `capacity` may be null.
struct UpdateEventRequest: Decodable {
    var name, description, timezone: String?
    var startsAt, endsAt: Date?
    var venue: String??
    var capacity: Int??
    var status: EventStatus?

    typealias CodingKeys = CreateEventRequest.CodingKeys

    init(from decoder: any Decoder) throws {
        let container = try decoder.strictContainer(keyedBy: CodingKeys.self)
        name = try container.decodePatchRequired(String.self, forKey: .name)
        description = try container.decodePatchRequired(String.self, forKey: .description)
        startsAt = try container.decodePatchRequired(Date.self, forKey: .startsAt)
        endsAt = try container.decodePatchRequired(Date.self, forKey: .endsAt)
        timezone = try container.decodePatchRequired(String.self, forKey: .timezone)
        venue = try container.decodePatch(String.self, forKey: .venue)
        capacity = try container.decodePatch(Int.self, forKey: .capacity)
        status = try container.decodePatchEnum(EventStatus.self, forKey: .status, message: EventDraft.statusMessage)
    }

    func applied(to event: EventRecord) throws -> EventDraft {
        try EventDraft(
            name: name ?? event.name, description: description ?? event.description,
            startsAt: startsAt ?? event.startsAt, endsAt: endsAt ?? event.endsAt, timezone: timezone ?? event.timezone,
            venue: venue ?? event.venue, capacity: capacity ?? event.capacity, status: status ?? event.status)
    }
}
