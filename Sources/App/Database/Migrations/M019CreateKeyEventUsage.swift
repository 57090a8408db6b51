import Fluent
import SQLKit

/// Which events each key used, per day (`api_key_usage_events`: at most 100 events per key per
/// day by id), and `api_key_usage_days.events_untracked` for requests about further ones.
struct M019CreateKeyEventUsage: AsyncMigration {
    var name: String { "019-create-key-event-usage" }

    /// The usage counter this adds to `api_key_usage_days` (a literal, like M012's).
    static let counterColumns = ["events_untracked"]

    func prepare(on database: any Database) async throws {
        try await database.schema("api_key_usage_events")
            .field("key_id", .uuid, .required, .references("api_keys", "id", onDelete: .cascade))
            .field("day", .int, .required)
            .field("event_id", .uuid, .required, .references("events", "id", onDelete: .cascade))
            .field("requests", .int, .required)
            .unique(on: "key_id", "day", "event_id")
            .create()
        try await database.sql.create(index: "api_key_usage_events_day_idx").on("api_key_usage_events").column("day")
            .run()
        try await database.schema("api_key_usage_days")
            .field(
                .definition(
                    name: .key(.string(Self.counterColumns[0])), dataType: .int,
                    constraints: [.required, .sql(.default(0))]
                )
            )
            .update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("api_key_usage_days").deleteField(.key(.string(Self.counterColumns[0]))).update()
        try await database.schema("api_key_usage_events").delete()
    }
}
