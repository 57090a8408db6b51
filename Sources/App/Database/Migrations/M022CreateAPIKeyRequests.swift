import Fluent
import SQLKit

/// Each key's recent requests (`RequestLog`): at most 200 per key and 20,000 per team, for 7
/// days, written in batches.
struct M022CreateAPIKeyRequests: AsyncMigration {
    var name: String { "022-create-api-key-requests" }

    func prepare(on database: any Database) async throws {
        try await database.schema("api_key_requests")
            .field("id", .uuid, .identifier(auto: false))
            .field("key_id", .uuid, .required, .references("api_keys", "id", onDelete: .cascade))
            .field("team_id", .uuid, .required, .references("teams", "id", onDelete: .cascade))
            .field("at", .datetime, .required)
            .field("method", .string, .required)
            .field("route", .string, .required)
            .field("path", .string, .required)
            .field("status", .int, .required)
            .field("latency_ms", .double, .required)
            .field("client_address", .string, .required)
            .field("user_agent", .string)
            .field("request_id", .string, .required)
            .field("problem_title", .string)
            .field("problem_detail", .string)
            .create()
        // A key's page (newest first, by cursor), the team's cap, a search by request id, the
        // daily pruning.
        try await database.sql.create(index: "api_key_requests_key_idx").on("api_key_requests").column("key_id")
            .column("id").run()
        try await database.sql.create(index: "api_key_requests_team_idx").on("api_key_requests").column("team_id")
            .column("id").run()
        try await database.sql.create(index: "api_key_requests_request_id_idx").on("api_key_requests")
            .column("team_id").column("request_id").run()
        try await database.sql.create(index: "api_key_requests_at_idx").on("api_key_requests").column("at").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("api_key_requests").delete()
    }
}
