import Fluent
import SQLKit
import Vapor

/// Places at an event, counted in `events.active_attendees` and changed only by conditional
/// single-statement UPDATEs. The database checks and counts in one step, so concurrent
/// registrations (on one instance or many) can never push an event past its capacity.
enum Capacity {
    /// Takes a place; false when the event is full.
    static func reserve(eventID: UUID, on db: any Database) async throws -> Bool {
        let rows = try await db.sql.raw(
            """
            UPDATE events SET active_attendees = active_attendees + 1
            WHERE id = \(bind: eventID) AND (capacity IS NULL OR active_attendees < capacity)
            RETURNING id
            """
        ).all()
        return !rows.isEmpty
    }

    static func release(eventID: UUID, on db: any Database) async throws {
        try await db.sql.raw(
            """
            UPDATE events SET active_attendees = active_attendees - 1
            WHERE id = \(bind: eventID) AND active_attendees > 0
            """
        ).run()
    }

    /// Sets a new capacity unless more places are already taken; false when they are.
    static func setCapacity(_ capacity: Int?, eventID: UUID, on db: any Database) async throws -> Bool {
        guard let capacity else { return true }
        let rows = try await db.sql.raw(
            """
            UPDATE events SET capacity = \(bind: capacity)
            WHERE id = \(bind: eventID) AND active_attendees <= \(bind: capacity)
            RETURNING id
            """
        ).all()
        return !rows.isEmpty
    }
}
