import Fluent
import SQLKit

/// Requests-per-minute budgets set by admins: a key's own (nil: the server's default) and a
/// team's shared by all its keys (nil: none); and `rate_budgets`, where instances on one
/// PostgreSQL database lease slices of each budget (`SQLBudgetStore`). SQLite keeps budgets in
/// memory (one instance) and leaves the table empty.
struct M033AddRateBudgets: AsyncMigration {
    var name: String { "033-add-rate-budgets" }

    func prepare(on database: any Database) async throws {
        try await database.schema("api_keys").field("rate_limit_per_minute", .int).update()
        try await database.schema("teams").field("rate_limit_per_minute", .int).update()
        try await database.schema("rate_budgets")
            .field("scope", .string, .identifier(auto: false))
            .field("window_started_ms", .int64, .required)
            .field("taken", .int, .required)
            .field("granted", .int, .required)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("rate_budgets").delete()
        try await database.schema("teams").deleteField("rate_limit_per_minute").update()
        try await database.schema("api_keys").deleteField("rate_limit_per_minute").update()
    }
}
