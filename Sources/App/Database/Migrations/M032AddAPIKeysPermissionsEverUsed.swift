import Fluent
import SQLKit

/// A bit per permission a key has ever used (`Permission.allCases` order), so that "Restrict to
/// what it uses" never suggests taking away one that a monthly or yearly job needs, long after
/// its daily usage is gone. Existing keys start from the usage kept (90 days).
struct M032AddAPIKeysPermissionsEverUsed: AsyncMigration {
    var name: String { "032-add-api-keys-permissions-ever-used" }

    func prepare(on database: any Database) async throws {
        try await database.schema(APIKey.schema)
            .field("permissions_ever_used", .int, .required, .sql(.default(0))).update()
        // The usage columns as they were then, in `Permission.allCases` order (the order of the
        // bits: a permission may only ever be added at the end).
        let columns = ["events_read", "events_write", "attendees_read", "attendees_write", "attendees_check_in"]
        for (index, column) in columns.enumerated() {
            try await database.sql.raw(
                """
                UPDATE api_keys SET permissions_ever_used = permissions_ever_used | \(literal: 1 << index)
                WHERE id IN (SELECT key_id FROM api_key_usage_days WHERE \(ident: column) > 0)
                """
            ).run()
        }
    }

    func revert(on database: any Database) async throws {
        try await database.schema(APIKey.schema).deleteField("permissions_ever_used").update()
    }
}
