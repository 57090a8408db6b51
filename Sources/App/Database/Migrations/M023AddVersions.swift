import Fluent
import SQLKit

/// A version on every event and attendee, raised by each change to what the API shows of it:
/// their `ETag` (`"v3"`), so that `If-Match` can refuse an edit made from a stale copy. (Not the
/// update time: SQLite hands dates back rounded to the microsecond, so a time compared with
/// itself after a round trip may differ.) Rows from before start at 1.
struct M023AddVersions: AsyncMigration {
    var name: String { "023-add-versions" }

    func prepare(on database: any Database) async throws {
        for table in ["events", "attendees"] {
            try await database.schema(table)
                .field(.definition(name: .key("version"), dataType: .int, constraints: [.required, .sql(.default(1))]))
                .update()
        }
    }

    func revert(on database: any Database) async throws {
        for table in ["events", "attendees"] {
            try await database.schema(table).deleteField("version").update()
        }
    }
}
