import APIKeyCore
import Fluent
import SQLKit

/// Each invitation's link (`/join/<token>`), which an admin copies from the Team page and sends
/// through their own channels. Invitations made before it get one here.
struct M030AddInvitationsLinkToken: AsyncMigration {
    var name: String { "030-add-invitations-link-token" }

    func prepare(on database: any Database) async throws {
        try await database.schema(Invitation.schema).field("link_token", .string).update()
        for invitation in try await Invitation.query(on: database).all() {
            invitation.linkToken = Invitation.newLinkToken()
            try await invitation.save(on: database)
        }
        try await database.sql.create(index: "invitations_link_token_idx").unique().on(Invitation.schema)
            .column("link_token").run()
    }

    func revert(on database: any Database) async throws {
        try await database.sql.drop(index: "invitations_link_token_idx").run()
        try await database.schema(Invitation.schema).deleteField("link_token").update()
    }
}
