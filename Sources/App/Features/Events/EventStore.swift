import KagibagSQL
import Fluent
import Foundation
import SQLKit

/// Every read and write of events. Reads are hand-written SQLKit statements decoded column by
/// column (`EventRecord`), because the API's event list is the hottest path after key checks;
/// places are counted by the conditional updates in `Capacity`.
enum EventStore {
    struct Filter: Sendable {
        var status: EventStatus?
        var startsAfter: Date?
        var startsBefore: Date?
        var updatedSince: Date?
        /// A key that reaches only its chosen events: only those.
        var scopedToKey: UUID?
    }

    enum Order: Sendable {
        /// Creation order (ids are UUIDv7): what cursors page by.
        case id
        /// When the events start, for people reading a list.
        case startsAt
    }

    static func list(
        team: UUID, filter: Filter = Filter(), order: Order = .id, after: UUID? = nil, limit: Int,
        on db: any SQLDatabase
    ) async throws -> [EventRecord] {
        // Written out rather than built with SQLKit's query builder, whose identifier quoting
        // and expression tree were ~10 % of an API list's CPU; the same text every time, so the
        // SQLite reader's prepared statement is reused.
        var query: SQLQueryString =
            "SELECT \(unsafeRaw: selectColumns) FROM \(unsafeRaw: EventRecord.table) WHERE team_id = \(bind: team)"
        if let status = filter.status { query += " AND status = \(bind: status.rawValue)" }
        if let date = filter.startsAfter { query += " AND starts_at > \(bind: date)" }
        if let date = filter.startsBefore { query += " AND starts_at < \(bind: date)" }
        if let date = filter.updatedSince { query += " AND updated_at >= \(bind: date)" }
        if let key = filter.scopedToKey { query += " AND id IN (\(scopeIDs(of: key)))" }
        if let after { query += " AND id > \(bind: after)" }
        query += order == .startsAt ? " ORDER BY starts_at, id" : " ORDER BY id"
        query += " LIMIT \(literal: limit)"
        return try await db.raw(query).all().map { try EventRecord($0) }
    }

    private static let selectColumns = EventRecord.columns.names.map { "\"\($0)\"" }.joined(separator: ", ")

    /// An event of `team`; another team's id answers exactly like a missing one.
    static func find(_ id: String?, team: UUID, scopedToKey key: UUID? = nil, on db: any Database) async throws
        -> EventRecord
    {
        try await find(id, team: team, scopedToKey: key, reading: db.sql)
    }

    /// `find` through `reads` (for the API: SQLite's read-only connections, so a lookup does not
    /// queue behind the writer).
    static func find(_ id: String?, team: UUID, scopedToKey key: UUID? = nil, reading sql: any SQLDatabase)
        async throws -> EventRecord
    {
        guard let id = id.flatMap(UUID.init(uuidString:)) else { throw notFound }
        var query: SQLQueryString =
            "SELECT \(unsafeRaw: selectColumns) FROM \(unsafeRaw: EventRecord.table) WHERE id = \(bind: id) AND team_id = \(bind: team)"
        // Out of a scoped key's reach answers exactly like a missing event: no hint that it exists.
        if let key { query += " AND id IN (\(scopeIDs(of: key)))" }
        guard let row = try await sql.raw(query).first() else { throw notFound }
        return try EventRecord(row)
    }

    /// Whether the event is cancelled now (false when it is gone).
    static func isCancelled(_ id: UUID, on db: any Database) async throws -> Bool {
        try await db.sql.raw("SELECT status FROM events WHERE id = \(bind: id)").first()?
            .decode(column: "status", as: String.self) == EventStatus.cancelled.rawValue
    }

    static let notFound = DomainError.notFound("There is no such event in this team.")

    /// The events a scoped key reaches (an indexed read of `api_key_events`).
    private static func scopeIDs(of key: UUID) -> SQLQueryString {
        "SELECT event_id FROM api_key_events WHERE key_id = \(bind: key)"
    }

    /// Creates the event and its Activity entry, committed together (`Database.together`: one
    /// statement on PostgreSQL, one hand-off to `sqlite`'s writer on SQLite).
    static func create(
        team: UUID, _ draft: EventDraft, by actor: AuditActor, on db: any Database, sqlite: SQLiteWriter?
    ) async throws -> EventRecord {
        let event = EventRecord(id: UUID.v7(), teamID: team, draft: draft, at: Date())
        let insert = db.sql.insert(into: EventRecord.table)
            .columns(EventRecord.columns.names)
            .values(
                SQLBind(event.id), SQLBind(event.teamID), SQLBind(event.name), SQLBind(event.description),
                SQLBind(event.startsAt),
                SQLBind(event.endsAt), SQLBind(event.timezone), SQLBind(event.venue), SQLBind(event.capacity),
                SQLBind(event.status.rawValue), SQLBind(event.activeAttendees), SQLBind(event.createdAt),
                SQLBind(event.updatedAt), SQLBind(event.version)
            )
        let entry = try Audit.insert(
            .eventCreated, team: team, by: actor, "created event “\(event.name)”", event: event.id)
        // Its plan is the same for every event: planned once per connection on PostgreSQL.
        let message = WebhookOutbox.enqueue(
            .eventCreated, team: team, object: event.id, data: event.webhookData)
        try await db.together(
            [insert.insert, entry, message], preparedAs: EventRecord.CreateStatement.self, sqlite: sqlite)
        return event
    }

    /// Applies `change` to the event as it is now (read and locked in the transaction, so that a
    /// PATCH of one field keeps what a concurrent change did to the others) and records what
    /// changed in Activity (nothing when nothing did); `precondition` may refuse the current row
    /// first (`If-Match`). A capacity below the places already taken is refused (409).
    static func update(
        _ event: EventRecord, by actor: AuditActor, on db: any Database,
        precondition: @escaping @Sendable (EventRecord) throws -> Void = { _ in },
        applying change: @escaping @Sendable (EventRecord) throws -> EventDraft
    ) async throws -> EventRecord {
        try await db.transaction { db in
            // What this change overwrites, for Activity: the row as it is now, locked on
            // PostgreSQL (SQLite's one writer already holds the database for this transaction).
            guard let current = try await lockedRow(event.id, on: db) else { throw notFound }
            try precondition(current)
            let draft = try change(current)
            var changed = current
            changed.name = draft.name
            changed.description = draft.description
            changed.startsAt = draft.startsAt
            changed.endsAt = draft.endsAt
            changed.timezone = draft.timezone
            changed.venue = draft.venue
            changed.capacity = draft.capacity
            changed.status = draft.status
            changed.updatedAt = Date()
            changed.version = current.version + 1
            if draft.capacity != current.capacity, let capacity = draft.capacity {
                guard try await Capacity.setCapacity(capacity, eventID: event.id, on: db) else {
                    throw DomainError.conflict(
                        "capacity cannot be lower than the \(current.activeAttendees) places already taken.",
                        field: "capacity")
                }
            }
            try await db.sql.update(EventRecord.table)
                .set("name", to: changed.name).set("description", to: changed.description)
                .set("starts_at", to: changed.startsAt).set("ends_at", to: changed.endsAt).set(
                    "timezone", to: changed.timezone
                )
                .set("venue", to: changed.venue).set("capacity", to: changed.capacity).set(
                    "status", to: changed.status.rawValue
                )
                .set("updated_at", to: changed.updatedAt).set("version", to: changed.version)
                .where("id", .equal, changed.id)
                .run()
            let changes = Self.changes(from: current, to: changed)
            guard !changes.isEmpty else { return changed }
            let what =
                changed.status == .cancelled && current.status != .cancelled
                ? "cancelled event “\(changed.name)”" : "changed event “\(changed.name)”"
            try await Audit.record(
                .eventUpdated, team: event.teamID, by: actor, what, changes: changes, event: event.id, on: db)
            try await WebhookOutbox.record(
                .eventUpdated, team: event.teamID, object: event.id, data: changed.webhookData, on: db)
            return changed
        }
    }

    /// The event's row read inside the caller's transaction, locked against other writers.
    static func lockedRow(_ id: UUID, on db: any Database) async throws -> EventRecord? {
        var select: SQLQueryString =
            "SELECT \(unsafeRaw: selectColumns) FROM \(unsafeRaw: EventRecord.table) WHERE id = \(bind: id)"
        if db.sql.dialect.name == "postgresql" { select += " FOR UPDATE" }
        guard let row = try await db.sql.raw(select).first() else { return nil }
        return try EventRecord(row)
    }

    /// What an update changed, as Activity shows it.
    static func changes(from old: EventRecord, to new: EventRecord) -> [AuditChange] {
        AuditChange.between([
            ("name", old.name, new.name), ("description", old.description, new.description),
            ("starts_at", RFC3339.format(old.startsAt), RFC3339.format(new.startsAt)),
            ("ends_at", RFC3339.format(old.endsAt), RFC3339.format(new.endsAt)),
            ("timezone", old.timezone, new.timezone), ("venue", old.venue, new.venue),
            ("capacity", old.capacity.map(String.init), new.capacity.map(String.init)),
            ("status", old.status.rawValue, new.status.rawValue),
        ])
    }

    static func delete(
        _ event: EventRecord, by actor: AuditActor, on db: any Database,
        precondition: (@Sendable (EventRecord) throws -> Void)? = nil
    ) async throws {
        try await db.transaction { db in
            if let precondition {
                guard let current = try await lockedRow(event.id, on: db) else { throw notFound }
                try precondition(current)
            }
            try await db.sql.delete(from: Attendee.schema).where("event_id", .equal, event.id).run()
            // Out of every key's scope (a key left with none keeps working and reaches nothing).
            try await db.sql.delete(from: "api_key_events").where("event_id", .equal, event.id).run()
            // Of two deletes at once, the second deletes nothing, records nothing and answers 404.
            guard
                try await db.sql.raw("DELETE FROM events WHERE id = \(bind: event.id) RETURNING id").first() != nil
            else { throw notFound }
            try await Audit.record(
                .eventDeleted, team: event.teamID, by: actor, "deleted event “\(event.name)” and its attendees",
                event: event.id, on: db)
            // Its attendees went with it: this one message stands for them.
            try await WebhookOutbox.record(
                .eventDeleted, team: event.teamID, object: event.id, data: WebhookOutbox.deleted(id: event.id), on: db)
        }
    }
}
