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
    /// The columns, in the order `init(_:)` reads them (and the stores select them).
    static let columns: ColumnList = [
        "id", "team_id", "name", "description", "starts_at", "ends_at", "timezone", "venue", "capacity", "status",
        "active_attendees", "created_at", "updated_at", "version",
    ]

    /// Read column by column, in `columns`' order: building Fluent models (reflection), going
    /// through `Decodable`, then finding each cell by name each measured as the largest cost of
    /// an authenticated list in its turn.
    init(_ row: some SQLRow) throws {
        var cell = ColumnCursor(row, Self.columns)
        id = try cell.uuid()
        teamID = try cell.uuid()
        name = try cell.string()
        description = try cell.string()
        startsAt = try cell.date()
        endsAt = try cell.date()
        timezone = try cell.string()
        venue = try cell.optionalString()
        capacity = try cell.optionalInt()
        status = EventStatus(rawValue: try cell.string()) ?? .draft
        activeAttendees = try cell.int()
        let created = try cell.optionalDate() ?? Date(timeIntervalSince1970: 0)
        createdAt = created
        updatedAt = try cell.optionalDate() ?? created
        version = try cell.int()
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
