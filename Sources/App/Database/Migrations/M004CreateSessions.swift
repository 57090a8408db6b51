import Fluent

struct M004CreateSessions: AsyncMigration {
    var name: String { "004-create-sessions" }

    func prepare(on database: any Database) async throws {
        try await database.schema(BrowserSession.schema)
            .id()
            .field("token_digest", .string, .required)
            .field("data", .string, .required)
            .field("expires_at", .datetime, .required)
            .unique(on: "token_digest")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(BrowserSession.schema).delete()
    }
}
