import Fluent
import Foundation
import SQLKit

/// Ticket codes and check-in: every attendee gets a `ticket_code` (unique per event; existing
/// attendees get one here) and a `checked_in_at`; the permission `attendees:check_in` is held by
/// every team that could already change attendees, and counted in key usage like the others.
struct M018AddTicketCodesAndCheckIn: AsyncMigration {
    var name: String { "018-add-ticket-codes-and-check-in" }

    /// The usage counter this adds to `api_key_usage_days` (a literal, like M012's).
    static let counterColumns = ["attendees_check_in"]

    func prepare(on database: any Database) async throws {
        try await database.schema("attendees").field("ticket_code", .string).update()
        try await database.schema("attendees").field("checked_in_at", .datetime).update()
        try await Self.giveTicketCodes(on: database)
        try await database.sql.create(index: "attendees_event_ticket_code_idx").unique().on("attendees")
            .column("event_id").column("ticket_code").run()
        try await database.schema("api_key_usage_days")
            .field(
                .definition(
                    name: .key(.string(Self.counterColumns[0])), dataType: .int,
                    constraints: [.required, .sql(.default(0))])
            )
            .update()
        try await Self.grantCheckIn(on: database)
    }

    /// A code for every attendee without one, and a time for those checked in before there
    /// were times (their last change is the best guess). One statement per attendee: a
    /// migration runs once.
    static func giveTicketCodes(on database: any Database) async throws {
        let rows = try await database.sql.raw("SELECT id FROM attendees WHERE ticket_code IS NULL").all()
        for row in rows {
            let id = try row.decode(column: "id", as: UUID.self)
            try await database.sql.raw(
                "UPDATE attendees SET ticket_code = \(bind: TicketCode.generate()) WHERE id = \(bind: id)"
            ).run()
        }
        try await database.sql.raw(
            "UPDATE attendees SET checked_in_at = updated_at WHERE status = 'checked_in' AND checked_in_at IS NULL"
        ).run()
    }

    /// A team that may read and change attendees may check them in (as a new team may). One that
    /// could only write them (a registration feed) does not: check-in also reads names.
    static func grantCheckIn(on database: any Database) async throws {
        try await database.sql.raw(
            """
            UPDATE teams SET permissions = permissions || ' attendees:check_in'
            WHERE (' ' || permissions || ' ') LIKE '% attendees:write %'
              AND (' ' || permissions || ' ') LIKE '% attendees:read %'
              AND (' ' || permissions || ' ') NOT LIKE '% attendees:check_in %'
            """
        ).run()
    }

    func revert(on database: any Database) async throws {
        try await database.sql.drop(index: "attendees_event_ticket_code_idx").run()
        try await database.schema("api_key_usage_days").deleteField(.key(.string(Self.counterColumns[0]))).update()
        try await database.schema("attendees").deleteField("checked_in_at").update()
        try await database.schema("attendees").deleteField("ticket_code").update()
    }
}
