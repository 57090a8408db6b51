import Fluent
import Foundation
import SQLKit

/// Each invitation's link (`/join/<token>`), which an admin copies from the Team page and sends
/// through their own channels. Invitations made before it get one here.
struct M030AddInvitationsLinkToken: AsyncMigration {
    var name: String { "030-add-invitations-link-token" }

    func prepare(on database: any Database) async throws {
        try await database.schema("invitations").field("link_token", .string).update()
        // Raw SQL, not the model: a field added to `Invitation` later must not break this step.
        for row in try await database.sql.raw("SELECT id FROM invitations").all() {
            let id = try row.decode(column: "id", as: UUID.self)
            try await database.sql.raw(
                "UPDATE invitations SET link_token = \(bind: Invitation.newLinkToken()) WHERE id = \(bind: id)"
            ).run()
        }
        try await database.sql.create(index: "invitations_link_token_idx").unique().on("invitations")
            .column("link_token").run()
    }

    func revert(on database: any Database) async throws {
        try await database.sql.drop(index: "invitations_link_token_idx").run()
        try await database.schema("invitations").deleteField("link_token").update()
    }
}
