import Fluent
import Foundation
import SQLKit

/// Checking attendees in at the door by ticket code. The check-in is one conditional UPDATE
/// (only a registered attendee changes), so of two doors scanning the same ticket at the same
/// moment, on any instances, exactly one checks it in and the other hears when it was.
enum CheckIn {
    /// Why a code was not checked in; the door shows it.
    enum Refusal: Error, Equatable {
        /// No attendee of this event has the code (or it is another event's).
        case unknownCode
        case alreadyCheckedIn(at: Date?)
        case cancelledAttendee
        case cancelledEvent
    }

    /// Checks the attendee with `code` in at `event`.
    static func checkIn(code: String, at event: EventRecord, on db: any Database) async throws -> Attendee {
        guard event.status != .cancelled else { throw Refusal.cancelledEvent }
        let now = Date()
        let changed = try await db.sql.raw(
            """
            UPDATE attendees SET status = 'checked_in', checked_in_at = \(bind: now), updated_at = \(bind: now)
            WHERE event_id = \(bind: event.id) AND ticket_code = \(bind: code) AND status = 'registered'
              AND EXISTS (SELECT 1 FROM events WHERE id = \(bind: event.id) AND status <> 'cancelled')
            RETURNING id, name, email, ticket_type, created_at
            """
        ).all()
        guard let row = changed.first else {
            // Not checked in by this request: say why, from the rows as they are now.
            if try await EventStore.isCancelled(event.id, on: db) { throw Refusal.cancelledEvent }
            guard let attendee = try await attendee(code: code, at: event, on: db) else { throw Refusal.unknownCode }
            switch attendee.status {
            case .checkedIn: throw Refusal.alreadyCheckedIn(at: attendee.checkedInAt)
            case .cancelled: throw Refusal.cancelledAttendee
            case .registered: throw Refusal.unknownCode  // cannot be: the update would have matched
            }
        }
        // The row as this statement left it: no second statement to read it back.
        let attendee = Attendee(
            id: try row.decode(column: "id", as: UUID.self), eventID: event.id, teamID: event.teamID,
            name: try row.decode(column: "name", as: String.self),
            email: try row.decode(column: "email", as: String.self),
            ticketType: try row.decode(column: "ticket_type", as: String.self), status: .checkedIn)
        attendee.ticketCode = code
        attendee.checkedInAt = now
        attendee.createdAt = try row.decode(column: "created_at", as: Date?.self)
        attendee.updatedAt = now
        return attendee
    }

    /// Undoes a check-in (a mistake at the door): the attendee is registered again. False when
    /// they were not checked in.
    static func undo(_ attendee: Attendee, on db: any Database) async throws -> Bool {
        let now = Date()
        let changed = try await db.sql.raw(
            """
            UPDATE attendees SET status = 'registered', checked_in_at = NULL, updated_at = \(bind: now)
            WHERE id = \(bind: attendee.id!) AND status = 'checked_in'
            RETURNING id
            """
        ).all()
        guard !changed.isEmpty else { return false }
        attendee.status = .registered
        attendee.checkedInAt = nil
        attendee.updatedAt = now
        return true
    }

    static func attendee(code: String, at event: EventRecord, on db: any Database) async throws -> Attendee? {
        try await Attendee.query(on: db).filter(\.$eventID == event.id).filter(\.$ticketCode == code).first()
    }
}
