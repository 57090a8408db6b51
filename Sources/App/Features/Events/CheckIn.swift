import Fluent
import Foundation
import KagibagSQL
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

    /// The place of a check-in as the request names it, before anything was read: the event in
    /// the path, the caller's team, and the key when it reaches only selected events.
    struct Door: Sendable {
        let event: UUID
        let team: UUID
        let scopedToKey: UUID?
    }

    enum CheckInStatement: PreparedStatementName { static let preparedName = "kagibag_check_in" }
    enum ScopedCheckInStatement: PreparedStatementName { static let preparedName = "kagibag_check_in_scoped" }

    /// Checks the attendee with `code` in at `door` in one statement, which also proves that the
    /// event is the team's, within the key's scope and not cancelled, and records it in Activity
    /// in the same transaction: the door's common case costs what creating an event does. Nil
    /// when nothing changed (`refusal` says why).
    static func checkIn(code: String, at door: Door, by actor: AuditActor, on db: any Database) async throws
        -> Attendee?
    {
        try await db.transaction { db in
            guard let attendee = try await update(code: code, at: door, on: db) else { return nil }
            try await record(attendee, at: door, by: actor, on: db)
            return attendee
        }
    }

    private static func update(code: String, at door: Door, on db: any Database) async throws -> Attendee? {
        let now = Date()
        var update: SQLQueryString = """
            UPDATE attendees SET status = 'checked_in', checked_in_at = \(bind: now), updated_at = \(bind: now),
              version = version + 1
            WHERE event_id = \(bind: door.event) AND ticket_code = \(bind: code) AND status = 'registered'
              AND EXISTS (SELECT 1 FROM events
                          WHERE id = \(bind: door.event) AND team_id = \(bind: door.team) AND status <> 'cancelled')
            """
        if let key = door.scopedToKey {
            update += """

                  AND EXISTS (SELECT 1 FROM api_key_events WHERE key_id = \(bind: key) AND event_id = \(bind: door.event))
                """
        }
        update += "\nRETURNING id, name, email, ticket_type, created_at, version"
        // The same plan for every door: planned once per connection on PostgreSQL.
        let name: any PreparedStatementName.Type =
            door.scopedToKey == nil ? CheckInStatement.self : ScopedCheckInStatement.self
        guard let row = try await db.sql.first(FixedPlan(update, preparedAs: name)) else { return nil }
        // The row as this statement left it: no second statement to read it back.
        let attendee = Attendee(
            id: try row.decode(column: "id", as: UUID.self), eventID: door.event, teamID: door.team,
            name: try row.decode(column: "name", as: String.self),
            email: try row.decode(column: "email", as: String.self),
            ticketType: try row.decode(column: "ticket_type", as: String.self), status: .checkedIn)
        attendee.ticketCode = code
        attendee.checkedInAt = now
        attendee.createdAt = try row.decode(column: "created_at", as: Date?.self)
        attendee.updatedAt = now
        attendee.version = try row.decode(column: "version", as: Int.self)
        return attendee
    }

    /// The Activity entry, its summary naming the event as it is now (read by the same statement:
    /// the door's request did not read the event).
    private static func record(_ attendee: Attendee, at door: Door, by actor: AuditActor, on db: any Database)
        async throws
    {
        // No ticket code: it is what gets its holder in, and Activity is no place for it.
        let summary = "checked in \(attendee.name) at “"
        try await db.sql.raw(
            """
            INSERT INTO audit_events
              (id, team_id, actor_id, actor, action, summary, created_at, key_id, key_last_four, client_address,
               request_id, event_id)
            SELECT \(bind: UUID.v7()), \(bind: door.team), \(bind: actor.user?.id), \(bind: actor.name),
                   \(bind: AuditEvent.Action.attendeeCheckedIn.rawValue), \(bind: summary) || e.name || '”',
                   \(bind: attendee.checkedInAt ?? Date()), \(bind: actor.keyID), \(bind: actor.keyLastFour),
                   \(bind: actor.address), \(bind: actor.requestID), e.id
            FROM events e WHERE e.id = \(bind: door.event)
            """
        ).run()
        try await WebhookOutbox.record(
            .attendeeCheckedIn, team: door.team, object: attendee.id, data: try attendee.webhookData, on: db)
    }

    /// Checks the attendee with `code` in at `event` (already read and within reach), or throws
    /// why not.
    static func checkIn(code: String, at event: EventRecord, by actor: AuditActor, on db: any Database) async throws
        -> Attendee
    {
        guard event.status != .cancelled else { throw Refusal.cancelledEvent }
        let door = Door(event: event.id, team: event.teamID, scopedToKey: nil)
        if let attendee = try await checkIn(code: code, at: door, by: actor, on: db) { return attendee }
        throw try await refusal(code: code, at: event, on: db)
    }

    /// Why `code` was not checked in at `event` (already read and within reach), from the rows as
    /// they are now.
    static func refusal(code: String, at event: EventRecord, on db: any Database) async throws -> Refusal {
        if event.status == .cancelled { return .cancelledEvent }
        if try await EventStore.isCancelled(event.id, on: db) { return .cancelledEvent }
        guard let attendee = try await attendee(code: code, at: event, on: db) else { return .unknownCode }
        switch attendee.status {
        case .checkedIn: return .alreadyCheckedIn(at: attendee.checkedInAt)
        case .cancelled: return .cancelledAttendee
        case .registered: return .unknownCode  // cannot be: the update would have matched
        }
    }

    /// Undoes a check-in (a mistake at the door): the attendee is registered again. False when
    /// they were not checked in.
    static func undo(_ attendee: Attendee, on db: any Database) async throws -> Bool {
        let now = Date()
        let changed = try await db.sql.raw(
            """
            UPDATE attendees SET status = 'registered', checked_in_at = NULL, updated_at = \(bind: now),
              version = version + 1
            WHERE id = \(bind: attendee.id!) AND status = 'checked_in'
            RETURNING version
            """
        ).all()
        guard let version = try changed.first?.decode(column: "version", as: Int.self) else { return false }
        attendee.version = version
        attendee.status = .registered
        attendee.checkedInAt = nil
        attendee.updatedAt = now
        return true
    }

    static func attendee(code: String, at event: EventRecord, on db: any Database) async throws -> Attendee? {
        try await Attendee.query(on: db).filter(\.$eventID == event.id).filter(\.$ticketCode == code).first()
    }
}
