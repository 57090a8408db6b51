import Fluent

/// The team each person worked in last, which login opens. No foreign key: a team that is gone
/// (or that they left) is simply not found, and login falls back to another of their teams.
struct M015AddUsersLastTeam: AsyncMigration {
    var name: String { "015-add-users-last-team" }

    func prepare(on database: any Database) async throws {
        try await database.schema(User.schema).field("last_team_id", .uuid).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(User.schema).deleteField("last_team_id").update()
    }
}
