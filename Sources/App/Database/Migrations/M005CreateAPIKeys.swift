import Fluent

struct M005CreateAPIKeys: AsyncMigration {
    var name: String { "005-create-api-keys" }

    func prepare(on database: any Database) async throws {
        try await database.schema(APIKey.schema)
            .id()
            .field("team_id", .uuid, .required, .references(Team.schema, "id", onDelete: .cascade))
            .field("created_by_id", .uuid, .required, .references(User.schema, "id"))
            .field("name", .string, .required)
            .field("digest", .string, .required)
            .field("last_four", .string, .required)
            .field("created_at", .datetime)
            .field("last_used_at", .datetime)
            .field("expires_at", .datetime)
            // The digest is how every request finds its key: unique, and therefore indexed.
            .unique(on: "digest")
            .unique(on: "team_id", "name")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(APIKey.schema).delete()
    }
}
