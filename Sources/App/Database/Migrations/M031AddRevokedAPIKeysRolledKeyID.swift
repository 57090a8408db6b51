import Fluent

/// For a secret ended by a roll (End now, its grace period over, or the next roll), the key it
/// belonged to: its 401 then says the key was rolled and when the secret stopped working, as the
/// API reference promises, instead of "malformed, unknown or deleted". Null for a deleted key's
/// secrets (and cleared from the old ones when a rolled key is deleted).
struct M031AddRevokedAPIKeysRolledKeyID: AsyncMigration {
    var name: String { "031-add-revoked-api-keys-rolled-key-id" }

    func prepare(on database: any Database) async throws {
        try await database.schema(RevokedAPIKey.schema).field("rolled_key_id", .uuid).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(RevokedAPIKey.schema).deleteField("rolled_key_id").update()
    }
}
