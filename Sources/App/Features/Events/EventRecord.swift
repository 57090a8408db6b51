import Foundation
import KagibagSQL
import SQLKit

/// An event as the store reads it: the one shape every page and API route works from.
struct EventRecord: Sendable {
    let id, teamID: UUID
    var name, description, timezone: String
    var startsAt, endsAt: Date
    var venue: String?
    var capacity: Int?
    var status: EventStatus
    /// Places taken, counted by the conditional updates in `Capacity`.
    var activeAttendees: Int
    let createdAt: Date
    var updatedAt: Date
    /// Raised by every change to what the API shows (M023): the event's `ETag`.
    var version: Int

    /// The events table: described here, the one shape pages and API share (its schema is M006).
    static let table = "events"
    /// Names the one-row insert among the statements PostgreSQL keeps prepared (`FixedPlan`).
    /// The event's insert with its Activity entry, as one statement on PostgreSQL.
    enum CreateStatement: PreparedStatementName { static let preparedName = "kagibag_event_create" }
    static let columns = [
        "id", "team_id", "name", "description", "starts_at", "ends_at", "timezone", "venue", "capacity", "status",
        "active_attendees", "created_at", "updated_at", "version",
    ]

    /// Read column by column: building Fluent models (reflection) or going through `Decodable`
    /// each measured as the largest cost of an authenticated list in its turn.
    init(_ row: some SQLRow) throws {
        id = try row.decode(column: "id", as: UUID.self)
        teamID = try row.decode(column: "team_id", as: UUID.self)
        name = try row.decode(column: "name", as: String.self)
        description = try row.decode(column: "description", as: String.self)
        startsAt = try row.decode(column: "starts_at", as: Date.self)
        endsAt = try row.decode(column: "ends_at", as: Date.self)
        timezone = try row.decode(column: "timezone", as: String.self)
        venue = try row.decode(column: "venue", as: String?.self)
        capacity = try row.decode(column: "capacity", as: Int?.self)
        status = EventStatus(rawValue: try row.decode(column: "status", as: String.self)) ?? .draft
        activeAttendees = try row.decode(column: "active_attendees", as: Int.self)
        let created = try row.decode(column: "created_at", as: Date?.self) ?? Date(timeIntervalSince1970: 0)
        createdAt = created
        updatedAt = try row.decode(column: "updated_at", as: Date?.self) ?? created
        version = try row.decode(column: "version", as: Int.self)
    }

    init(id: UUID, teamID: UUID, draft: EventDraft, at now: Date) {
        self.id = id
        self.teamID = teamID
        name = draft.name
        description = draft.description
        startsAt = draft.startsAt
        endsAt = draft.endsAt
        timezone = draft.timezone
        venue = draft.venue
        capacity = draft.capacity
        status = draft.status
        activeAttendees = 0
        createdAt = now
        updatedAt = now
        version = 1
    }

    /// The event's entity tag (RFC 9110 §8.8.3), strong: it changes with every change the API shows.
    var entityTag: String { EntityTag.version(version) }

    /// The event's current values as a draft, for changes that touch one field.
    var draft: EventDraft {
        EventDraft(
            valid: (
                name: name, description: description, startsAt: startsAt, endsAt: endsAt, timezone: timezone,
                venue: venue,
                capacity: capacity, status: status
            ))
    }
}
