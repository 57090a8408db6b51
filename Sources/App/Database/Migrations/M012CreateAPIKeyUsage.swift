import Fluent
import SQLKit

/// What each key does, written in batches (never per request): requests per day by outcome and
/// by permission, the addresses it is used from, and the address and client of its last use.
/// No key, digest or request content is stored.
struct M012CreateAPIKeyUsage: AsyncMigration {
    var name: String { "012-create-api-key-usage" }

    func prepare(on database: any Database) async throws {
        var days = database.schema(APIKeyUsage.daysTable)
            .field("key_id", .uuid, .required, .references(APIKey.schema, "id", onDelete: .cascade))
            // Days since 1970-01-01 (UTC): portable, and compared as a number.
            .field("day", .int, .required)
        for column in APIKeyUsage.counterColumns {
            days = days.field(.definition(name: .key(.string(column)), dataType: .int, constraints: [.required, .sql(.default(0))]))
        }
        try await days.unique(on: "key_id", "day").create()
        try await database.sql.create(index: "api_key_usage_days_day_idx").on(APIKeyUsage.daysTable).column("day").run()

        try await database.schema(APIKeyUsage.addressesTable)
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
        try await database.schema(APIKeyUsage.addressesTable).delete()
        try await database.schema(APIKeyUsage.daysTable).delete()
    }
}
