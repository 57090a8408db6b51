import Fluent
import Foundation
import SQLKit

/// Reads and writes keys' event scopes. The events themselves belong to the Events feature;
/// this reads only their ids, names and times, by SQL, so that keys know nothing of its types.
enum EventScopeStore {
    /// An event as the key forms and pages name it.
    struct EventChoice: Sendable, Equatable {
        let id: UUID
        let name: String
        let startsAt, endsAt: Date
        let timezone: String
        let cancelled: Bool
    }

    /// The key's scope as stored.
    static func scope(of key: APIKey, on db: any Database) async throws -> EventScope {
        guard key.eventsScoped else { return .all }
        return EventScope(
            events: Set(try await eventIDs(of: key.requireID(), on: db)), windowHours: key.eventWindowHours)
    }

    /// The events a scoped key reaches.
    static func eventIDs(of key: UUID, on db: any Database) async throws -> [UUID] {
        try await db.sql.raw("SELECT event_id FROM api_key_events WHERE key_id = \(bind: key)").all()
            .map { try $0.decode(column: "event_id", as: UUID.self) }
    }

    /// Stores `scope` for the key (inside the caller's transaction, after the key's row exists).
    static func write(_ scope: EventScope, for key: APIKey, on db: any Database) async throws {
        let id = try key.requireID()
        try await db.sql.raw(
            """
            UPDATE api_keys SET events_scoped = \(bind: scope.isScoped), event_window_hours = \(bind: scope.windowHours)
            WHERE id = \(bind: id)
            """
        ).run()
        key.eventsScoped = scope.isScoped
        key.eventWindowHours = scope.windowHours
        try await db.sql.raw("DELETE FROM api_key_events WHERE key_id = \(bind: id)").run()
        for event in (scope.events ?? []).sorted(by: { $0.uuidString < $1.uuidString }) {
            try await db.sql.raw("INSERT INTO api_key_events (key_id, event_id) VALUES (\(bind: id), \(bind: event))")
                .run()
        }
    }

    /// Those of `ids` that are events of `team`.
    static func teamEvents(among ids: [String], team: UUID, on db: any Database) async throws -> Set<UUID> {
        let parsed = Array(Set(ids.prefix(EventScope.maximumEvents + 1).compactMap(UUID.init(uuidString:))))
        guard !parsed.isEmpty else { return [] }
        let list = SQLList(parsed.map { SQLBind($0) })
        return Set(
            try await db.sql.raw("SELECT id FROM events WHERE team_id = \(bind: team) AND id IN (\(list))").all().map {
                try $0.decode(column: "id", as: UUID.self)
            })
    }

    /// The team's events the forms offer: the `limit` starting soonest from a day ago (then the
    /// latest past ones), plus every one in `selected` — a team with 10,000 events gets a list
    /// its search box can filter, and a key's events are always among it.
    static func choices(team: UUID, selected: Set<UUID>, limit: Int = 500, on db: any Database) async throws
        -> [EventChoice]
    {
        let since = Date().addingTimeInterval(-86400)
        func read(_ query: SQLQueryString) async throws -> [EventChoice] { try await Self.read(query, on: db) }
        var found = try await read(
            """
            SELECT id, name, starts_at, ends_at, timezone, status FROM events WHERE team_id = \(bind: team) AND starts_at >= \(bind: since)
            ORDER BY starts_at, id LIMIT \(literal: limit)
            """)
        if found.count < limit {
            found += try await read(
                """
                SELECT id, name, starts_at, ends_at, timezone, status FROM events WHERE team_id = \(bind: team) AND starts_at < \(bind: since)
                ORDER BY starts_at DESC, id LIMIT \(literal: limit - found.count)
                """)
        }
        let missing = selected.subtracting(found.map(\.id))
        if !missing.isEmpty {
            found += try await read(
                """
                SELECT id, name, starts_at, ends_at, timezone, status FROM events
                WHERE team_id = \(bind: team) AND id IN (\(SQLList(missing.map { SQLBind($0) })))
                """)
        }
        return found
    }

    /// The named events of a scoped key (for its page), by start.
    static func events(of key: APIKey, on db: any Database) async throws -> [EventChoice] {
        guard key.eventsScoped else { return [] }
        return try await read(
            """
            SELECT e.id, e.name, e.starts_at, e.ends_at, e.timezone, e.status FROM api_key_events ke JOIN events e ON e.id = ke.event_id
            WHERE ke.key_id = \(bind: key.id!) ORDER BY e.starts_at, e.id
            """, on: db)
    }

    private static func read(_ query: SQLQueryString, on db: any Database) async throws -> [EventChoice] {
        try await db.sql.raw(query).all().map {
            EventChoice(
                id: try $0.decode(column: "id", as: UUID.self), name: try $0.decode(column: "name", as: String.self),
                startsAt: try $0.decode(column: "starts_at", as: Date.self),
                endsAt: try $0.decode(column: "ends_at", as: Date.self),
                timezone: try $0.decode(column: "timezone", as: String.self),
                cancelled: try $0.decode(column: "status", as: String.self) == "cancelled")
        }
    }

    /// The names of those of `ids` that are events of `team`.
    static func names(of ids: [UUID], team: UUID, on db: any Database) async throws -> [UUID: String] {
        guard !ids.isEmpty else { return [:] }
        var names: [UUID: String] = [:]
        for row in try await db.sql.raw(
            "SELECT id, name FROM events WHERE team_id = \(bind: team) AND id IN (\(SQLList(ids.map { SQLBind($0) })))"
        ).all() {
            names[try row.decode(column: "id", as: UUID.self)] = try row.decode(column: "name", as: String.self)
        }
        return names
    }

    /// How many events each scoped key of the team reaches, and when (for the list's rows).
    static func reach(team: UUID, on db: any Database) async throws -> [UUID: Reach] {
        var reach: [UUID: Reach] = [:]
        for row in try await db.sql.raw(
            """
            SELECT ke.key_id, COUNT(*) AS n,
                   MIN(CASE WHEN e.status <> 'cancelled' THEN e.starts_at END) AS first_start,
                   MAX(CASE WHEN e.status <> 'cancelled' THEN e.ends_at END) AS last_end
            FROM api_key_events ke JOIN api_keys k ON k.id = ke.key_id JOIN events e ON e.id = ke.event_id
            WHERE k.team_id = \(bind: team) GROUP BY ke.key_id
            """
        ).all() {
            reach[try row.decode(column: "key_id", as: UUID.self)] = Reach(
                count: try row.decode(column: "n", as: Int.self),
                firstStart: try row.decode(column: "first_start", as: Date?.self),
                lastEnd: try row.decode(column: "last_end", as: Date?.self))
        }
        return reach
    }

    /// How many events a scoped key reaches, and the span of those not cancelled (its window's base).
    struct Reach: Sendable {
        var count = 0
        var firstStart, lastEnd: Date?

        init(count: Int = 0, firstStart: Date? = nil, lastEnd: Date? = nil) {
            (self.count, self.firstStart, self.lastEnd) = (count, firstStart, lastEnd)
        }

        /// A key's reach from its events as read for its page.
        init(_ events: [EventChoice]) {
            let live = events.filter { !$0.cancelled }
            self.init(
                count: events.count, firstStart: live.map(\.startsAt).min(), lastEnd: live.map(\.endsAt).max())
        }

        /// The key's window, when it works only around its events.
        func window(hours: Int?) -> EventWindow? {
            hours.map { EventWindow(hours: $0, self) }
        }
    }

    /// The team's keys that reach `event`, by name: those for all events and those scoped to it
    /// (keys revoked as leaked reach nothing and are left out).
    static func keys(reaching event: UUID, team: UUID, on db: any Database) async throws -> [(
        id: UUID, name: String, scoped: Bool
    )] {
        try await db.sql.raw(
            """
            SELECT id, name, events_scoped FROM api_keys
            WHERE team_id = \(bind: team) AND revoked_at IS NULL
              AND (events_scoped = \(bind: false)
                   OR id IN (SELECT key_id FROM api_key_events WHERE event_id = \(bind: event)))
            ORDER BY name
            """
        ).all().map {
            (
                try $0.decode(column: "id", as: UUID.self), try $0.decode(column: "name", as: String.self),
                try $0.decode(column: "events_scoped", as: Bool.self)
            )
        }
    }
}
