import Fluent
import SQLKit
import Foundation

/// Every read and write of attendees. Registrations take and give back places through the
/// conditional updates in `Capacity`, so no burst can overfill an event.
enum AttendeeStore {
    /// An event's attendees in registration order (ids are UUIDv7).
    static func list(event: UUID, updatedSince: Date? = nil, after: UUID? = nil, limit: Int, on db: any Database)
        async throws -> [Attendee]
    {
        let query = Attendee.query(on: db).filter(\.$eventID == event)
        if let updatedSince { query.filter(\.$updatedAt >= updatedSince) }
        if let after { query.filter(\.$id > after) }
        return try await query.sort(\.$id).limit(limit).all()
    }

    /// An attendee of `event`; any other id answers like a missing one.
    static func find(_ id: String?, of event: EventRecord, on db: any Database) async throws -> Attendee {
        guard let id = id.flatMap(UUID.init(uuidString:)),
            let attendee = try await Attendee.query(on: db).filter(\.$id == id).filter(\.$eventID == event.id).first()
        else { throw DomainError.notFound("There is no such attendee at this event.") }
        return attendee
    }

    /// Registers an attendee, with its Activity entry (the email among the changes, which only
    /// admins see), in one transaction.
    static func register(_ draft: AttendeeDraft, for event: EventRecord, by actor: AuditActor, on db: any Database)
        async throws -> Attendee
    {
        guard event.status != .cancelled else { throw cancelled }
        let attendee = Attendee(
            eventID: event.id, teamID: event.teamID, name: draft.name, email: draft.email, ticketType: draft.ticketType,
            status: draft.status)
        do {
            try await db.transaction { db in
                // The write comes first, so the transaction holds the write lock from its start.
                if draft.status.holdsPlace, !(try await Capacity.reserve(eventID: event.id, on: db)) {
                    throw full(event, field: "capacity")
                }
                try await attendee.create(on: db)
                try await Audit.record(
                    .attendeeRegistered, team: event.teamID, by: actor,
                    "registered \(attendee.name) for “\(event.name)”",
                    changes: AuditChange.between([
                        ("name", nil, attendee.name), ("email", nil, attendee.email),
                        ("ticket_type", nil, attendee.ticketType), ("status", nil, attendee.status.rawValue),
                    ]), event: event.id, on: db)
                try await WebhookOutbox.record(
                    .attendeeRegistered, team: event.teamID, object: attendee.id,
                    data: try attendee.webhookData, on: db)
            }
        } catch let error as any DatabaseError where error.isConstraintFailure {
            throw DomainError.conflict("\(draft.email) is already registered for this event.", field: "email")
        }
        return attendee
    }

    /// Applies `draft` and records what changed in Activity (nothing when nothing did);
    /// `precondition` may refuse the attendee's current version first (`If-Match`).
    static func update(
        _ attendee: Attendee, to draft: AttendeeDraft, event: EventRecord, by actor: AuditActor, on db: any Database,
        precondition: @escaping @Sendable (Int) throws -> Void = { _ in }
    ) async throws {
        let before = attendee.status.holdsPlace, after = draft.status.holdsPlace
        do {
            try await db.transaction { db in
                if !before, after {
                    guard event.status != .cancelled else { throw cancelled }
                    guard try await Capacity.reserve(eventID: event.id, on: db) else {
                        throw full(event, field: "status")
                    }
                } else if before, !after {
                    try await Capacity.release(eventID: event.id, on: db)
                }
                // Only if the status is still the one read: a door's check-in (or another change)
                // in between is not overwritten; the caller hears 409 and can read it again.
                let now = Date()
                let checkedInAt =
                    draft.status == .checkedIn
                    ? (attendee.status == .checkedIn ? attendee.checkedInAt ?? now : now) : nil
                var read: SQLQueryString =
                    "SELECT name, email, ticket_type, version FROM attendees WHERE id = \(bind: attendee.id!)"
                if db.sql.dialect.name == "postgresql" { read += " FOR UPDATE" }
                guard let row = try await db.sql.raw(read).first() else {
                    throw DomainError.notFound("There is no such attendee at this event.")
                }
                try precondition(try row.decode(column: "version", as: Int.self))
                let was = (
                    name: try row.decode(column: "name", as: String.self),
                    email: try row.decode(column: "email", as: String.self),
                    ticketType: try row.decode(column: "ticket_type", as: String.self)
                )
                let changed = try await db.sql.raw(
                    """
                    UPDATE attendees SET name = \(bind: draft.name), email = \(bind: draft.email),
                      ticket_type = \(bind: draft.ticketType), status = \(bind: draft.status.rawValue),
                      checked_in_at = \(bind: checkedInAt), updated_at = \(bind: now), version = version + 1
                    WHERE id = \(bind: attendee.id!) AND status = \(bind: attendee.status.rawValue)
                    RETURNING version
                    """
                ).all()
                guard let version = try changed.first?.decode(column: "version", as: Int.self) else {
                    throw DomainError.conflict(
                        "\(attendee.name)'s registration changed meanwhile (checked in or cancelled); read it again.")
                }
                // Against the row as it was: the status is checked by the update itself; the other
                // fields a concurrent change may have moved since this request read them.
                let changes = AuditChange.between([
                    ("name", was.name, draft.name), ("email", was.email, draft.email),
                    ("ticket_type", was.ticketType, draft.ticketType),
                    ("status", attendee.status.rawValue, draft.status.rawValue),
                ])
                if !changes.isEmpty {
                    let what =
                        draft.status == .cancelled && attendee.status != .cancelled
                        ? "cancelled the registration of \(draft.name) at “\(event.name)”"
                        : "changed the registration of \(draft.name) at “\(event.name)”"
                    try await Audit.record(
                        .attendeeUpdated, team: event.teamID, by: actor, what, changes: changes, event: event.id,
                        on: db)
                }
                let cancels = draft.status == .cancelled && attendee.status != .cancelled
                attendee.name = draft.name
                attendee.email = draft.email
                attendee.ticketType = draft.ticketType
                attendee.status = draft.status
                attendee.checkedInAt = checkedInAt
                attendee.updatedAt = now
                attendee.version = version
                if !changes.isEmpty {
                    try await WebhookOutbox.record(
                        cancels ? .attendeeCancelled : .attendeeUpdated, team: event.teamID, object: attendee.id,
                        data: try attendee.webhookData, on: db)
                }
            }
        } catch let error as any DatabaseError where error.isConstraintFailure {
            throw DomainError.conflict("\(draft.email) is already registered for this event.", field: "email")
        }
    }

    static func delete(
        _ attendee: Attendee, of event: EventRecord, by actor: AuditActor, on db: any Database,
        precondition: (@Sendable (Int) throws -> Void)? = nil
    ) async throws {
        try await db.transaction { db in
            if let precondition {
                var read: SQLQueryString = "SELECT version FROM attendees WHERE id = \(bind: attendee.id!)"
                if db.sql.dialect.name == "postgresql" { read += " FOR UPDATE" }
                guard let row = try await db.sql.raw(read).first() else {
                    throw DomainError.notFound("There is no such attendee at this event.")
                }
                try precondition(try row.decode(column: "version", as: Int.self))
            }
            // The delete first, and only what it removed counts: of two deletes at once, the
            // second frees no place and records nothing (404).
            guard
                let gone = try await db.sql.raw(
                    "DELETE FROM attendees WHERE id = \(bind: attendee.id!) RETURNING status"
                ).first()
            else { throw DomainError.notFound("There is no such attendee at this event.") }
            if AttendeeStatus(rawValue: try gone.decode(column: "status", as: String.self))?.holdsPlace ?? false {
                try await Capacity.release(eventID: attendee.eventID, on: db)
            }
            try await Audit.record(
                .attendeeDeleted, team: event.teamID, by: actor,
                "deleted the registration of \(attendee.name) at “\(event.name)”",
                changes: [AuditChange(field: "email", from: attendee.email, to: nil)], event: event.id, on: db)
            try await WebhookOutbox.record(
                .attendeeDeleted, team: event.teamID, object: attendee.id,
                data: WebhookOutbox.deleted(id: attendee.id!, event: attendee.eventID), on: db)
        }
    }

    private static let cancelled = DomainError.conflict("This event is cancelled; it takes no registrations.")

    private static func full(_ event: EventRecord, field: String) -> DomainError {
        .conflict("This event is full: all \(event.capacity ?? 0) places are taken.", field: field)
    }
}

extension Attendee {
    /// The attendee's current values as a draft, for changes that touch one field.
    var draft: AttendeeDraft { AttendeeDraft(valid: (name, email, ticketType, status)) }
}
