import Fluent

struct M003CreateMemberships: AsyncMigration {
    var name: String { "003-create-memberships" }

    func prepare(on database: any Database) async throws {
        try await database.schema(Membership.schema)
            .id()
            .field("user_id", .uuid, .required, .references(User.schema, "id", onDelete: .cascade))
            .field("team_id", .uuid, .required, .references(Team.schema, "id", onDelete: .cascade))
            .field("role", .string, .required)
            .field("created_at", .datetime)
            .unique(on: "user_id", "team_id")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(Membership.schema).delete()
    }
}
