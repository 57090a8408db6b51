import Fluent
import SQLKit

/// Who sent each invitation, by account, so that removing or demoting an admin can withdraw
/// the invitations they sent. Invitations from before have only the inviter's email, which
/// this fills the id from. No foreign key: an inviter whose account is gone matches nobody.
struct M016AddInvitationsInvitedBy: AsyncMigration {
    var name: String { "016-add-invitations-invited-by" }

    func prepare(on database: any Database) async throws {
        try await database.schema(Invitation.schema).field("invited_by_id", .uuid).update()
        try await database.sql.raw(
            """
            UPDATE invitations SET invited_by_id = (SELECT u.id FROM users u WHERE u.email = invitations.invited_by_email)
            """
        ).run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(Invitation.schema).deleteField("invited_by_id").update()
    }
}
