import Fluent
import Foundation
import SQLKit

/// The hot read paths in SQLKit, reading columns one by one instead of building Fluent models
/// (reflection) or going through `Decodable` (keyed containers and dynamic casts): each measured
/// as the largest cost of an authenticated list in its turn (docs/performance.md). Writes keep
/// using Fluent models.
enum FastQueries {
    /// An API key with its team, as authentication needs it.
    struct KeyRow {
        let id: UUID
        let name: String
        let last_four: String
        let created_at: Date?
        let expires_at: Date?
        let team_id: UUID
        let team_name: String
        let team_slug: String
        let team_permissions: String

        init(_ row: some SQLRow) throws {
            id = try row.decode(column: "id", as: UUID.self)
            name = try row.decode(column: "name", as: String.self)
            last_four = try row.decode(column: "last_four", as: String.self)
            created_at = try row.decode(column: "created_at", as: Date?.self)
            expires_at = try row.decode(column: "expires_at", as: Date?.self)
            team_id = try row.decode(column: "team_id", as: UUID.self)
            team_name = try row.decode(column: "team_name", as: String.self)
            team_slug = try row.decode(column: "team_slug", as: String.self)
            team_permissions = try row.decode(column: "team_permissions", as: String.self)
        }
    }

    static func key(digest: String, on db: any Database) async throws -> KeyRow? {
        try await (db as! any SQLDatabase).raw("""
            SELECT k.id, k.name, k.last_four, k.created_at, k.expires_at,
                   t.id AS team_id, t.name AS team_name, t.slug AS team_slug, t.permissions AS team_permissions
            FROM api_keys k JOIN teams t ON t.id = k.team_id
            WHERE k.digest = \(bind: digest)
            LIMIT 1
            """).first().map { try KeyRow($0) }
    }

    /// Whether `digest` belongs to a deleted key (only asked after a failed lookup).
    static func isRevoked(digest: String, on db: any Database) async throws -> Bool {
        try await (db as! any SQLDatabase).raw("SELECT 1 AS found FROM revoked_api_keys WHERE digest = \(bind: digest) LIMIT 1")
            .first() != nil
    }

    struct EventRow {
        let id: UUID
        let name: String
        let description: String
        let starts_at: Date
        let ends_at: Date
        let timezone: String
        let venue: String?
        let capacity: Int?
        let status: String
        let created_at: Date?
        let updated_at: Date?

        init(_ row: some SQLRow) throws {
            id = try row.decode(column: "id", as: UUID.self)
            name = try row.decode(column: "name", as: String.self)
            description = try row.decode(column: "description", as: String.self)
            starts_at = try row.decode(column: "starts_at", as: Date.self)
            ends_at = try row.decode(column: "ends_at", as: Date.self)
            timezone = try row.decode(column: "timezone", as: String.self)
            venue = try row.decode(column: "venue", as: String?.self)
            capacity = try row.decode(column: "capacity", as: Int?.self)
            status = try row.decode(column: "status", as: String.self)
            created_at = try row.decode(column: "created_at", as: Date?.self)
            updated_at = try row.decode(column: "updated_at", as: Date?.self)
        }

        func toDTO() -> EventDTO {
            let created = created_at ?? Date()
            return EventDTO(
                id: id.lowercasedString, name: name, description: description, startsAt: starts_at, endsAt: ends_at,
                timezone: timezone, venue: venue, capacity: capacity, status: status, createdAt: created,
                updatedAt: updated_at ?? created)
        }
    }

    struct EventFilter {
        var status: EventStatus?
        var startsAfter: Date?
        var startsBefore: Date?
        var updatedSince: Date?
    }

    static func events(team: UUID, filter: EventFilter, after: UUID?, limit: Int, on db: any Database) async throws -> [EventRow] {
        let sql = db as! any SQLDatabase
        var query = sql.select()
            .columns("id", "name", "description", "starts_at", "ends_at", "timezone", "venue", "capacity", "status", "created_at", "updated_at")
            .from(Event.schema)
            .where("team_id", .equal, team)
        if let status = filter.status { query = query.where("status", .equal, status.rawValue) }
        if let date = filter.startsAfter { query = query.where("starts_at", .greaterThan, date) }
        if let date = filter.startsBefore { query = query.where("starts_at", .lessThan, date) }
        if let date = filter.updatedSince { query = query.where("updated_at", .greaterThanOrEqual, date) }
        if let after { query = query.where("id", .greaterThan, after) }
        return try await query.orderBy("id").limit(limit).all().map { try EventRow($0) }
    }
}
