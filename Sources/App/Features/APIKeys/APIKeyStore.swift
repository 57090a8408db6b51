import Fluent
import Foundation
import SQLKit

/// An API key as verified for one request: the key and its team, read together by one
/// indexed query. Never holds the key or its digest.
struct VerifiedKey: Sendable {
    let id, teamID: UUID
    let name, lastFour, teamName, teamSlug: String
    let createdAt, expiresAt: Date?
    /// The team's permissions as they are now.
    let permissions: Set<Permission>

    /// Read column by column: Fluent models (reflection) and `Decodable` rows (keyed containers)
    /// each measured as the largest cost of an authenticated request in their turn.
    init(_ row: some SQLRow) throws {
        id = try row.decode(column: "id", as: UUID.self)
        name = try row.decode(column: "name", as: String.self)
        lastFour = try row.decode(column: "last_four", as: String.self)
        createdAt = try row.decode(column: "created_at", as: Date?.self)
        expiresAt = try row.decode(column: "expires_at", as: Date?.self)
        teamID = try row.decode(column: "team_id", as: UUID.self)
        teamName = try row.decode(column: "team_name", as: String.self)
        teamSlug = try row.decode(column: "team_slug", as: String.self)
        permissions = Permission.decode(try row.decode(column: "team_permissions", as: String.self))
    }
}

/// Every read and write of API keys. Nothing is cached between requests: a deleted key or a
/// revoked permission takes effect on the next request on every instance.
enum APIKeyStore {
    /// The key with this digest and its team, or nil.
    static func verify(digest: String, on db: any Database) async throws -> VerifiedKey? {
        try await db.sql.raw("""
            SELECT k.id, k.name, k.last_four, k.created_at, k.expires_at,
                   t.id AS team_id, t.name AS team_name, t.slug AS team_slug, t.permissions AS team_permissions
            FROM api_keys k JOIN teams t ON t.id = k.team_id
            WHERE k.digest = \(bind: digest)
            LIMIT 1
            """).first().map { try VerifiedKey($0) }
    }

    /// Whether `digest` belongs to a deleted key (only asked after a failed lookup).
    static func isRevoked(digest: String, on db: any Database) async throws -> Bool {
        try await db.sql.raw("SELECT 1 AS found FROM revoked_api_keys WHERE digest = \(bind: digest) LIMIT 1").first() != nil
    }

    /// The team's keys, newest first.
    static func list(team: UUID, on db: any Database) async throws -> [APIKey] {
        try await APIKey.query(on: db).filter(\.$team.$id == team)
            .sort(\.$createdAt, .descending).sort(\.$id, .descending)
            .all()
    }

    /// A key of `team`; another team's key id answers exactly like a missing one.
    static func find(_ id: String?, team: UUID, on db: any Database) async throws -> APIKey {
        guard let id = id.flatMap(UUID.init(uuidString:)),
            let key = try await APIKey.query(on: db).filter(\.$id == id).filter(\.$team.$id == team).first()
        else { throw DomainError.notFound("There is no such API key in this team. It may have been deleted already.") }
        return key
    }

    /// Stores a new key under the team's limit and with a name no other key of the team has
    /// (names compare case-insensitively), with its audit entry.
    static func create(_ key: APIKey, limit: Int, audit: @escaping @Sendable (any Database) async throws -> Void, on db: any Database) async throws {
        let taken = DomainError.conflict("This team already has a key named “\(key.name)”. Choose another name.", field: "name")
        let existing = try await APIKey.query(on: db).filter(\.$team.$id == key.$team.id).all(\.$name)
        if existing.count >= limit {
            throw DomainError.conflict(
                "This team already has \(limit) API keys, the most it can hold. Delete keys you no longer use, then try again.")
        }
        if existing.contains(where: { $0.caseInsensitiveCompare(key.name) == .orderedSame }) { throw taken }
        do {
            try await db.transaction { db in
                try await key.create(on: db)
                try await audit(db)
            }
        } catch let error as any DatabaseError where error.isConstraintFailure {
            throw taken
        }
    }

    /// Deletes the key and keeps its digest as a tombstone, with its audit entry.
    static func delete(_ key: APIKey, audit: @escaping @Sendable (any Database) async throws -> Void, on db: any Database) async throws {
        try await db.transaction { db in
            try await RevokedAPIKey(digest: key.digest, teamID: key.$team.id, name: key.name).create(on: db)
            try await key.delete(on: db)
            try await audit(db)
        }
    }

    /// Writes a batch of last-used times in one transaction; each keeps the newer of the stored
    /// and the new time, so batches from several instances merge.
    static func recordLastUsed(_ batch: [UUID: Date], on db: any Database) async throws {
        try await db.transaction { db in
            for (keyID, date) in batch {
                try await APIKey.query(on: db)
                    .filter(\.$id == keyID)
                    .group(.or) { $0.filter(\.$lastUsedAt == nil).filter(\.$lastUsedAt < date) }
                    .set(\.$lastUsedAt, to: date)
                    .update()
            }
        }
    }
}
