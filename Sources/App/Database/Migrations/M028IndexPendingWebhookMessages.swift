import Fluent
import SQLKit

/// The worker's reads go through pending messages only: indexes of them alone. With the
/// full-table indexes, an endpoint's next batch was found by walking past every message already
/// delivered to it (the due index led with the state, the order came from the endpoint index),
/// so each batch of a long backlog cost more than the one before.
struct M028IndexPendingWebhookMessages: AsyncMigration {
    var name: String { "028-index-pending-webhook-messages" }

    func prepare(on database: any Database) async throws {
        // The new indexes first: the outbox is never without one for the worker's reads.
        // An endpoint's waiting messages in order (its next batch; whether it has any due). Not
        // with `next_attempt_at` as a third column: measured on SQLite, delivery then cost 900
        // µs of CPU per message against 300 (the plan on an empty table is the same either way;
        // why it differs with data was not found), docs/performance.md "Issue #26".
        try await database.sql.raw(
            "CREATE INDEX webhook_messages_pending_idx ON webhook_messages (endpoint_id, id) WHERE state = 'pending'"
        ).run()
        // An earlier waiting message about the same object (which holds the later ones back).
        try await database.sql.raw(
            """
            CREATE INDEX webhook_messages_pending_object_idx ON webhook_messages (endpoint_id, object_id, id)
            WHERE state = 'pending'
            """
        ).run()
        try await database.sql.drop(index: "webhook_messages_due_idx").run()
        try await database.sql.drop(index: "webhook_messages_object_idx").run()
    }

    func revert(on database: any Database) async throws {
        try await database.sql.drop(index: "webhook_messages_pending_idx").run()
        try await database.sql.drop(index: "webhook_messages_pending_object_idx").run()
        try await database.sql.create(index: "webhook_messages_due_idx").on("webhook_messages").column("state")
            .column("next_attempt_at").run()
        try await database.sql.create(index: "webhook_messages_object_idx").on("webhook_messages")
            .column("endpoint_id").column("object_id").column("id").run()
    }
}
