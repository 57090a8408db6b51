import Fluent
import SQLKit

/// Keys that reach only selected events: `events_scoped` (false: every event of the team, as
/// before), the chosen events in `api_key_events`, and `event_window_hours` (a scoped key that
/// works only from that many hours before its first event starts until as many after its last
/// ends). Deleting an event or a key deletes its rows here.
struct M017AddAPIKeyEventScope: AsyncMigration {
    var name: String { "017-add-api-key-event-scope" }

    func prepare(on database: any Database) async throws {
        // One column per ALTER: SQLite adds only one at a time.
        try await database.schema("api_keys").field("events_scoped", .bool, .required, .sql(.default(false))).update()
        try await database.schema("api_keys").field("event_window_hours", .int).update()
        try await database.schema("api_key_events")
            .field("key_id", .uuid, .required, .references("api_keys", "id", onDelete: .cascade))
            .field("event_id", .uuid, .required, .references("events", "id", onDelete: .cascade))
            .unique(on: "key_id", "event_id")
            .create()
        // "Which keys reach this event": the event's page, and removing a deleted event from scopes.
        try await database.sql.create(index: "api_key_events_event_idx").on("api_key_events").column("event_id").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("api_key_events").delete()
        try await database.schema("api_keys").deleteField("event_window_hours").update()
        try await database.schema("api_keys").deleteField("events_scoped").update()
    }
}
