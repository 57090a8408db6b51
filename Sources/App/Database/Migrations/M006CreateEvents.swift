import Fluent
import SQLKit

struct M006CreateEvents: AsyncMigration {
    var name: String { "006-create-events" }

    func prepare(on database: any Database) async throws {
        try await database.schema("events")
            .id()
            .field("team_id", .uuid, .required, .references(Team.schema, "id", onDelete: .cascade))
            .field("name", .string, .required)
            .field("description", .string, .required)
            .field("starts_at", .datetime, .required)
            .field("ends_at", .datetime, .required)
            .field("timezone", .string, .required)
            .field("venue", .string)
            .field("capacity", .int)
            .field("status", .string, .required)
            // Registered and checked-in attendees, kept by conditional UPDATEs so that capacity
            // holds under concurrent registrations on every database.
            .field("active_attendees", .int, .required, .sql(.default(0)))
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .create()
        // Every list is "this team's events", paged by id (time-ordered UUIDv7).
        try await database.sql
            .create(index: "events_team_id_idx").on("events").column("team_id").column("id")
            .run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("events").delete()
    }
}
