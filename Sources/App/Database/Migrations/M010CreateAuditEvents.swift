import Fluent
import SQLKit

struct M010CreateAuditEvents: AsyncMigration {
    var name: String { "010-create-audit-events" }

    func prepare(on database: any Database) async throws {
        try await database.schema(AuditEvent.schema)
            .id()
            .field("team_id", .uuid, .required, .references(Team.schema, "id", onDelete: .cascade))
            .field("actor_id", .uuid)
            .field("actor", .string, .required)
            .field("action", .string, .required)
            .field("summary", .string, .required)
            .field("created_at", .datetime)
            .create()
        try await database.sql
            .create(index: "audit_events_team_id_idx").on(AuditEvent.schema).column("team_id").column("id")
            .run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(AuditEvent.schema).delete()
    }
}
