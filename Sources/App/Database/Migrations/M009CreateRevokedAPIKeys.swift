import Fluent

struct M009CreateRevokedAPIKeys: AsyncMigration {
    var name: String { "009-create-revoked-api-keys" }

    func prepare(on database: any Database) async throws {
        try await database.schema(RevokedAPIKey.schema)
            .id()
            .field("digest", .string, .required)
            .field("team_id", .uuid, .required, .references(Team.schema, "id", onDelete: .cascade))
            .field("name", .string, .required)
            .field("revoked_at", .datetime)
            .unique(on: "digest")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(RevokedAPIKey.schema).delete()
    }
}
