import Fluent
import SQLKit

/// Who acted, from where, in which request, and what changed, for every Activity entry: the
/// API key that acted (`key_id`, `key_last_four`; no reference, so the entry outlives the key),
/// the client address, the request id its answer named, the changed fields (`changes`, JSON:
/// `[{"field","from","to"}]`), and the event the entry is about (`event_id`, also for an
/// attendee's). Entries from before have none of these.
struct M020AddAuditAttribution: AsyncMigration {
    var name: String { "020-add-audit-attribution" }

    static let columns: [(name: String, type: DatabaseSchema.DataType)] = [
        ("key_id", .uuid), ("key_last_four", .string), ("client_address", .string), ("request_id", .string),
        ("changes", .string), ("event_id", .uuid),
    ]

    func prepare(on database: any Database) async throws {
        // One column per ALTER: SQLite adds only one at a time.
        for column in Self.columns {
            try await database.schema("audit_events").field(.string(column.name), column.type).update()
        }
    }

    func revert(on database: any Database) async throws {
        for column in Self.columns.reversed() {
            try await database.schema("audit_events").deleteField(.string(column.name)).update()
        }
    }
}
