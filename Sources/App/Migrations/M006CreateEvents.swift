import Fluent
import SQLKit

struct M006CreateEvents: AsyncMigration {
    var name: String { "006-create-events" }

    func prepare(on database: any Database) async throws {
        try await database.schema(Event.schema)
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
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .create()
        // Every list is "this team's events", ordered by start.
        try await (database as! any SQLDatabase)
            .create(index: "events_team_starts_idx").on(Event.schema).column("team_id").column("starts_at").column("id")
            .run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(Event.schema).delete()
    }
}
