import Fluent
import SQLKit

/// What each key does, written in batches (never per request): requests per day by outcome and
/// by permission, the addresses it is used from, and the address and client of its last use.
/// No key, digest or request content is stored.
struct M012CreateAPIKeyUsage: AsyncMigration {
    var name: String { "012-create-api-key-usage" }

    /// The counters as they were when this migration was written (a literal, so that today's
    /// code changing its columns never changes an old migration; a new column is a new migration).
    static let counterColumns = [
        "ok", "client_errors", "rate_limited", "server_errors", "events_read", "events_write", "attendees_read",
        "attendees_write",
    ]

    func prepare(on database: any Database) async throws {
        var days = database.schema("api_key_usage_days")
            .field("key_id", .uuid, .required, .references(APIKey.schema, "id", onDelete: .cascade))
            // Days since 1970-01-01 (UTC): portable, and compared as a number.
            .field("day", .int, .required)
        for column in Self.counterColumns {
            days = days.field(
                .definition(name: .key(.string(column)), dataType: .int, constraints: [.required, .sql(.default(0))]))
        }
        try await days.unique(on: "key_id", "day").create()
        try await database.sql.create(index: "api_key_usage_days_day_idx").on("api_key_usage_days").column("day").run()

        try await database.schema("api_key_addresses")
            .field("key_id", .uuid, .required, .references(APIKey.schema, "id", onDelete: .cascade))
            .field("address", .string, .required)
            .field("first_seen", .datetime, .required)
            .field("last_seen", .datetime, .required)
            .unique(on: "key_id", "address")
            .create()

        // One column per ALTER: SQLite adds only one at a time.
        try await database.schema(APIKey.schema).field("last_used_address", .string).update()
        try await database.schema(APIKey.schema).field("last_used_user_agent", .string).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("api_key_addresses").delete()
        try await database.schema("api_key_usage_days").delete()
    }
}
