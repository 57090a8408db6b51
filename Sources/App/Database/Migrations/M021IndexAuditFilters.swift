import Fluent
import SQLKit

/// Indexes for Activity's filters, each ending in `id` so that a filtered page is read newest
/// first by cursor without sorting: by the key that acted, by the person, by the event, and by
/// action (a kind is a few actions).
struct M021IndexAuditFilters: AsyncMigration {
    var name: String { "021-index-audit-filters" }

    static let indexes = [
        ("audit_events_team_key_idx", "key_id"), ("audit_events_team_actor_idx", "actor_id"),
        ("audit_events_team_event_idx", "event_id"), ("audit_events_team_action_idx", "action"),
    ]

    func prepare(on database: any Database) async throws {
        for (name, column) in Self.indexes {
            try await database.sql.create(index: name).on("audit_events").column("team_id").column(column)
                .column("id").run()
        }
    }

    func revert(on database: any Database) async throws {
        for (name, _) in Self.indexes { try await database.sql.drop(index: name).run() }
    }
}
