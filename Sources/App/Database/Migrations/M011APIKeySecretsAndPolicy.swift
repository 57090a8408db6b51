import Fluent
import Foundation
import SQLKit

/// Keys get their secrets in a table of their own (the current one, and a rolled key's old one
/// during its grace period), looked up by one unique index on the digest; and the per-key
/// policy: permissions, description, pause, address fence, self-roll. Teams get a maximum
/// key lifetime.
///
/// Dropping `api_keys.digest` is done by building the new table and renaming it, the one way
/// that works on both SQLite (which cannot drop a UNIQUE column) and PostgreSQL.
struct M011APIKeySecretsAndPolicy: AsyncMigration {
    var name: String { "011-api-key-secrets-and-policy" }

    private static let copied = "id, team_id, created_by_id, name, last_four, created_at, last_used_at, expires_at"

    func prepare(on database: any Database) async throws {
        try await database.schema("api_keys_v2")
            .id()
            .field("team_id", .uuid, .required, .references(Team.schema, "id", onDelete: .cascade))
            .field("created_by_id", .uuid, .required, .references(User.schema, "id"))
            .field("name", .string, .required)
            .field("last_four", .string, .required)
            .field("created_at", .datetime)
            .field("last_used_at", .datetime)
            .field("expires_at", .datetime)
            .field("description", .string)
            .field("permissions", .string)
            .field("paused_at", .datetime)
            .field("allowed_addresses", .string)
            .field("may_roll_itself", .bool, .required, .sql(.default(false)))
            .field("expiry_recorded_at", .datetime)
            .unique(on: "team_id", "name")
            .create()
        let sql = database.sql
        try await sql.raw(
            "INSERT INTO api_keys_v2 (\(unsafeRaw: Self.copied)) SELECT \(unsafeRaw: Self.copied) FROM api_keys"
        ).run()

        // Each existing key keeps its secret; the secret row takes the key's id.
        let secrets = try await sql.raw("SELECT id, digest, last_four, created_at, last_used_at FROM api_keys").all()
        try await database.schema("api_keys").delete()
        try await sql.raw("ALTER TABLE api_keys_v2 RENAME TO api_keys").run()
        try await database.schema(APIKeySecret.schema)
            .id()
            .field("key_id", .uuid, .required, .references(APIKey.schema, "id", onDelete: .cascade))
            .field("digest", .string, .required)
            .field("last_four", .string, .required)
            .field("created_at", .datetime)
            .field("ends_at", .datetime)
            .field("last_used_at", .datetime)
            .unique(on: "digest")
            .create()
        for row in secrets {
            let id = try row.decode(column: "id", as: UUID.self)
            try await sql.insert(into: APIKeySecret.schema)
                .columns("id", "key_id", "digest", "last_four", "created_at", "last_used_at")
                .values(
                    SQLBind(id), SQLBind(id), SQLBind(try row.decode(column: "digest", as: String.self)),
                    SQLBind(try row.decode(column: "last_four", as: String.self)),
                    SQLBind(try row.decode(column: "created_at", as: Date?.self)),
                    SQLBind(try row.decode(column: "last_used_at", as: Date?.self))
                )
                .run()
        }
        try await sql.create(index: "api_key_secrets_key_id_idx").on(APIKeySecret.schema).column("key_id").run()
        try await sql.create(index: "api_keys_expires_at_idx").on(APIKey.schema).column("expires_at").run()

        try await database.schema(Team.schema).field("max_key_lifetime_days", .int).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(Team.schema).deleteField("max_key_lifetime_days").update()
        try await database.schema(APIKeySecret.schema).delete()
    }
}
