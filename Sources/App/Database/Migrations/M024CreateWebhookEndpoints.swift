import Fluent
import SQLKit

/// A team's webhook endpoints: where its changes are sent, signed with the endpoint's secret.
struct M024CreateWebhookEndpoints: AsyncMigration {
    var name: String { "024-create-webhook-endpoints" }

    func prepare(on database: any Database) async throws {
        try await database.schema("webhook_endpoints")
            .field("id", .uuid, .identifier(auto: false))
            .field("team_id", .uuid, .required, .references("teams", "id", onDelete: .cascade))
            .field("url", .string, .required)
            .field("description", .string)
            // "*" for every type, else the types separated by commas.
            .field("event_types", .string, .required)
            // Kept as written (`whsec_…`): a delivery must sign with it, so it cannot be a digest.
            .field("secret", .string, .required)
            .field("previous_secret", .string)
            .field("previous_secret_until", .datetime)
            .field("paused_at", .datetime)
            // "admin" or "failing".
            .field("paused_reason", .string)
            .field("failing_since", .datetime)
            // One instance at a time delivers to an endpoint (so messages about one object go out
            // in order): it holds the endpoint until then, renewed before each delivery; after a
            // crash another instance takes over once it has passed.
            .field("lane_until", .datetime)
            .field("created_by", .uuid, .references("users", "id", onDelete: .setNull))
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .create()
        try await database.sql.create(index: "webhook_endpoints_team_idx").on("webhook_endpoints").column("team_id")
            .run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("webhook_endpoints").delete()
    }
}
