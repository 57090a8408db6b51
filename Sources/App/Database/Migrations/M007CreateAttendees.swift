import Fluent
import SQLKit

struct M007CreateAttendees: AsyncMigration {
    var name: String { "007-create-attendees" }

    func prepare(on database: any Database) async throws {
        try await database.schema(Attendee.schema)
            .id()
            .field("event_id", .uuid, .required, .references("events", "id", onDelete: .cascade))
            .field("team_id", .uuid, .required, .references(Team.schema, "id", onDelete: .cascade))
            .field("name", .string, .required)
            .field("email", .string, .required)
            .field("ticket_type", .string, .required)
            .field("status", .string, .required)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .unique(on: "event_id", "email")
            .create()
        try await database.sql
            .create(index: "attendees_event_id_idx").on(Attendee.schema).column("event_id").column("id")
            .run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(Attendee.schema).delete()
    }
}
