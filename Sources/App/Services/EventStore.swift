import Fluent
import Vapor

/// Every change to events and attendees, shared by the API and the web pages so that both
/// enforce the same rules with the same messages.
enum EventStore {
    static func createEvent(teamID: UUID, _ draft: EventDraft, on db: any Database) async throws -> Event {
        let problems = draft.problems()
        guard problems.isEmpty else { throw APIError.validation(problems) }
        let event = Event(
            teamID: teamID, name: draft.name, description: draft.description, startsAt: draft.startsAt, endsAt: draft.endsAt,
            timezone: draft.timezone, venue: draft.venue, capacity: draft.capacity, status: draft.status
        )
        try await event.create(on: db)
        return event
    }

    static func updateEvent(_ event: Event, _ draft: EventDraft, on db: any Database) async throws {
        let problems = draft.problems()
        guard problems.isEmpty else { throw APIError.validation(problems) }
        try await db.transaction { db in
            if draft.capacity != event.capacity, let capacity = draft.capacity {
                guard try await Capacity.setCapacity(capacity, eventID: event.id!, on: db) else {
                    throw APIError.conflict(
                        "capacity cannot be lower than the \(event.activeAttendees) places already taken.", field: "capacity")
                }
            }
            event.name = draft.name
            event.description = draft.description
            event.startsAt = draft.startsAt
            event.endsAt = draft.endsAt
            event.timezone = draft.timezone
            event.venue = draft.venue
            event.capacity = draft.capacity
            event.status = draft.status
            try await event.save(on: db)
        }
    }

    static func deleteEvent(_ event: Event, on db: any Database) async throws {
        try await db.transaction { db in
            try await Attendee.query(on: db).filter(\.$event.$id == event.id!).delete()
            try await event.delete(on: db)
        }
    }

    static func register(_ draft: AttendeeDraft, for event: Event, on db: any Database) async throws -> Attendee {
        let problems = draft.problems()
        guard problems.isEmpty else { throw APIError.validation(problems) }
        guard event.status != .cancelled else {
            throw APIError.conflict("This event is cancelled; it takes no registrations.")
        }
        let attendee = Attendee(
            eventID: event.id!, teamID: event.$team.id, name: draft.name, email: draft.email, ticketType: draft.ticketType,
            status: draft.status
        )
        do {
            try await db.transaction { db in
                // The write comes first, so the transaction holds the write lock from its start.
                if draft.status.holdsPlace, !(try await Capacity.reserve(eventID: event.id!, on: db)) {
                    throw APIError.conflict("This event is full: all \(event.capacity ?? 0) places are taken.", field: "capacity")
                }
                try await attendee.create(on: db)
            }
        } catch let error as any DatabaseError where error.isConstraintFailure {
            throw APIError.conflict("\(draft.email) is already registered for this event.", field: "email")
        }
        return attendee
    }

    static func updateAttendee(_ attendee: Attendee, _ draft: AttendeeDraft, event: Event, on db: any Database) async throws {
        let problems = draft.problems()
        guard problems.isEmpty else { throw APIError.validation(problems) }
        let before = attendee.status.holdsPlace, after = draft.status.holdsPlace
        do {
            try await db.transaction { db in
                if !before, after {
                    guard event.status != .cancelled else {
                        throw APIError.conflict("This event is cancelled; it takes no registrations.")
                    }
                    guard try await Capacity.reserve(eventID: event.id!, on: db) else {
                        throw APIError.conflict("This event is full: all \(event.capacity ?? 0) places are taken.", field: "status")
                    }
                } else if before, !after {
                    try await Capacity.release(eventID: event.id!, on: db)
                }
                attendee.name = draft.name
                attendee.email = draft.email
                attendee.ticketType = draft.ticketType
                attendee.status = draft.status
                try await attendee.save(on: db)
            }
        } catch let error as any DatabaseError where error.isConstraintFailure {
            throw APIError.conflict("\(draft.email) is already registered for this event.", field: "email")
        }
    }

    static func deleteAttendee(_ attendee: Attendee, on db: any Database) async throws {
        try await db.transaction { db in
            if attendee.status.holdsPlace { try await Capacity.release(eventID: attendee.$event.id, on: db) }
            try await attendee.delete(on: db)
        }
    }

    /// An event of `teamID`; another team's id answers exactly like a missing one.
    static func event(_ id: String?, teamID: UUID, on db: any Database) async throws -> Event {
        guard let id = id.flatMap(UUID.init(uuidString:)),
            let event = try await Event.query(on: db).filter(\.$id == id).filter(\.$team.$id == teamID).first()
        else { throw APIError.notFound }
        return event
    }

    static func attendee(_ id: String?, of event: Event, on db: any Database) async throws -> Attendee {
        guard let id = id.flatMap(UUID.init(uuidString:)),
            let attendee = try await Attendee.query(on: db).filter(\.$id == id).filter(\.$event.$id == event.id!).first()
        else { throw APIError.notFound }
        return attendee
    }
}
