import Fluent

struct M002CreateTeams: AsyncMigration {
    var name: String { "002-create-teams" }

    func prepare(on database: any Database) async throws {
        try await database.schema(Team.schema)
            .id()
            .field("name", .string, .required)
            .field("slug", .string, .required)
            .field("permissions", .string, .required)
            .field("created_at", .datetime)
            .unique(on: "slug")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(Team.schema).delete()
    }
}
