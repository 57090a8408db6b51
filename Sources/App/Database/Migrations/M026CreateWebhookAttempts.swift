import Fluent
import SQLKit

/// Each delivery attempt of a message to an endpoint: when, the answer's status, how long it
/// took, what went wrong, and the first 64 KB of the answer's body.
struct M026CreateWebhookAttempts: AsyncMigration {
    var name: String { "026-create-webhook-attempts" }

    func prepare(on database: any Database) async throws {
        try await database.schema("webhook_attempts")
            .field("id", .uuid, .identifier(auto: false))
            .field("message_id", .uuid, .required)
            .field("endpoint_id", .uuid, .required, .references("webhook_endpoints", "id", onDelete: .cascade))
            .field("at", .datetime, .required)
            .field("status", .int)
            .field("latency_ms", .double, .required)
            .field("error", .string)
            .field("response", .string)
            .create()
        try await database.sql.create(index: "webhook_attempts_message_idx").on("webhook_attempts")
            .column("endpoint_id").column("message_id").column("id").run()
        try await database.sql.create(index: "webhook_attempts_at_idx").on("webhook_attempts").column("at").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("webhook_attempts").delete()
    }
}
