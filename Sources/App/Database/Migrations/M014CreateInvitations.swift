import Fluent
import SQLKit

struct M014CreateInvitations: AsyncMigration {
    var name: String { "014-create-invitations" }

    func prepare(on database: any Database) async throws {
        try await database.schema(Invitation.schema)
            .id()
            .field("team_id", .uuid, .required, .references(Team.schema, "id", onDelete: .cascade))
            .field("email", .string, .required)
            .field("role", .string, .required)
            .field("invited_by_name", .string, .required)
            .field("invited_by_email", .string, .required)
            .field("created_at", .datetime)
            .field("expires_at", .datetime, .required)
            // One pending invitation per address and team: inviting again renews it.
            .unique(on: "team_id", "email")
            .create()
        // Every page view of a signed-in user looks up the invitations for their email.
        try await database.sql.create(index: "invitations_email_idx").on(Invitation.schema).column("email").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(Invitation.schema).delete()
    }
}
