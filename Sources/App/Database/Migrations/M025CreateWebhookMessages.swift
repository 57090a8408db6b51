import Fluent
import SQLKit

/// The outbox: one row per message and endpoint, written in the transaction of the change it
/// tells about, then delivered (and retried) by every instance's worker.
struct M025CreateWebhookMessages: AsyncMigration {
    var name: String { "025-create-webhook-messages" }

    func prepare(on database: any Database) async throws {
        try await database.schema("webhook_messages")
            // The message's id (`webhook-id`, the same for every endpoint it goes to).
            .field("id", .uuid, .required)
            .field("endpoint_id", .uuid, .required, .references("webhook_endpoints", "id", onDelete: .cascade))
            .field("team_id", .uuid, .required, .references("teams", "id", onDelete: .cascade))
            .field("type", .string, .required)
            // What it is about (an event, an attendee): messages about one object go out in order.
            .field("object_id", .uuid)
            .field("payload", .string, .required)
            .field("created_at", .datetime, .required)
            // "pending", "delivered" or "failed".
            .field("state", .string, .required)
            .field("attempts", .int, .required)
            .field("next_attempt_at", .datetime)
            .field("last_status", .int)
            .field("last_latency_ms", .double)
            .field("last_error", .string)
            .field("delivered_at", .datetime)
            .compositeIdentifier(over: "id", "endpoint_id")
            .create()
        // The workers' claim (due messages in order), an endpoint's deliveries page, the order per object.
        try await database.sql.create(index: "webhook_messages_due_idx").on("webhook_messages").column("state")
            .column("next_attempt_at").run()
        try await database.sql.create(index: "webhook_messages_endpoint_idx").on("webhook_messages")
            .column("endpoint_id").column("id").run()
        try await database.sql.create(index: "webhook_messages_object_idx").on("webhook_messages")
            .column("endpoint_id").column("object_id").column("id").run()
        try await database.sql.create(index: "webhook_messages_created_idx").on("webhook_messages")
            .column("created_at").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("webhook_messages").delete()
    }
}
