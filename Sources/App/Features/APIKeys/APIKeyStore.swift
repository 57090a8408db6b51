import KagibagSQL
import APIKeyCore
import Fluent
import Foundation
import SQLKit

/// Every read and write of API keys and their secrets. Nothing is cached between requests: a
/// deletion, a pause, a narrower permission or a fence takes effect on the next request on
/// every instance.
enum APIKeyStore {
    /// What a presented key's digest stands for.
    enum Lookup: Sendable {
        case found(VerifiedKey)
        /// A deleted key's secret, or (`rolledAt`) one that a roll ended then.
        case revoked(rolledAt: Date?)
        case unknown
    }

    /// The key whose current or old secret has this digest, with its team; or, when there is
    /// none, whether the digest was revoked (for the metrics). One statement either way: an
    /// invented key costs what a valid one does, and the revoked table is read only on a miss.
    static func verify(digest: String, on db: any SQLDatabase) async throws -> Lookup {
        guard
            let row = try await db.first(
                FixedPlan(VerifiedKey.lookup(digest: digest), preparedAs: VerifiedKey.LookupStatement.self))
        else { return .unknown }
        if try !row.decodeNil(column: "id") { return .found(try VerifiedKey(row)) }
        guard try row.decode(column: "revoked", as: Int.self) == 1 else { return .unknown }
        return .revoked(rolledAt: try row.decode(column: "rolled_at", as: Date?.self))
    }

    /// The SQL mirror of `KeyState.Status`: the keys whose status is `status` at `now`, for the
    /// list's filter (a test checks the two agree on every combination).
    static func condition(for status: KeyState.Status, now: Date) -> SQLQueryString {
        let soon = now.addingTimeInterval(KeyState.expiringWindow)
        let notExpired: SQLQueryString = "(expires_at IS NULL OR expires_at > \(bind: now))"
        switch status {
        case .leaked: return "revoked_at IS NOT NULL"
        case .expired: return "revoked_at IS NULL AND expires_at <= \(bind: now)"
        case .paused: return "revoked_at IS NULL AND " + notExpired + " AND paused_at IS NOT NULL"
        case .expiring:
            return
                "revoked_at IS NULL AND paused_at IS NULL AND expires_at > \(bind: now) AND expires_at <= \(bind: soon)"
        case .active:
            return "revoked_at IS NULL AND paused_at IS NULL AND (expires_at IS NULL OR expires_at > \(bind: soon))"
        }
    }

    static func count(team: UUID, on db: any Database) async throws -> Int {
        try await APIKey.query(on: db).filter(\.$team.$id == team).count()
    }

    /// Old secrets still in their grace period, by key.
    static func oldSecrets(of keys: [UUID], now: Date = Date(), on db: any Database) async throws -> [UUID:
        APIKeySecret]
    {
        guard !keys.isEmpty else { return [:] }
        let secrets = try await APIKeySecret.query(on: db).filter(\.$key.$id ~~ keys).filter(\.$endsAt > now).all()
        return Dictionary(secrets.map { ($0.$key.id, $0) }, uniquingKeysWith: { $0.endsAt! > $1.endsAt! ? $0 : $1 })
    }

    /// A key of `team`; another team's key id answers exactly like a missing one.
    static func find(_ id: String?, team: UUID, on db: any Database) async throws -> APIKey {
        guard let id = id.flatMap(UUID.init(uuidString:)) else { throw notFound }
        return try await find(id: id, team: team, on: db)
    }

    /// A key of `team` by its id (a key the request already holds, say).
    static func find(id: UUID, team: UUID, on db: any Database) async throws -> APIKey {
        guard let key = try await APIKey.query(on: db).filter(\.$id == id).filter(\.$team.$id == team).first() else {
            throw notFound
        }
        return key
    }

    private static let notFound = DomainError.notFound(
        "There is no such API key in this team. It may have been deleted already.")

    /// Stores a new key and its secret under the team's limit, with a name no other key of the
    /// team has (compared case-insensitively), and its audit entry. A key revoked as leaked
    /// gives its name up to the new one (and keeps a dated name).
    static func create(
        _ key: APIKey, secret token: APIKeyToken, limit: Int, scope: EventScope = .all,
        audit: @escaping @Sendable (any Database) async throws -> Void,
        on db: any Database
    ) async throws {
        let existing = try await APIKey.query(on: db).filter(\.$team.$id == key.$team.id).all()
        if existing.count >= limit {
            throw DomainError.conflict(
                "This team already has \(limit) API keys, the most it can hold. Delete keys you no longer use, then try again."
            )
        }
        let namesake = existing.first { $0.name.caseInsensitiveCompare(key.name) == .orderedSame }
        if let namesake, namesake.revokedAt == nil { throw nameTaken(key.name) }
        let names = existing.map(\.name)
        do {
            try await db.transaction { db in
                if let namesake { try await giveUpName(of: namesake, namesTaken: names, on: db) }
                try await key.create(on: db)
                try await APIKeySecret(keyID: key.id!, digest: token.digest, lastFour: token.lastFour).create(on: db)
                if scope.isScoped { try await EventScopeStore.write(scope, for: key, on: db) }
                try await audit(db)
            }
        } catch let error as any DatabaseError where error.isConstraintFailure {
            throw nameTaken(key.name)
        }
    }

    /// Saves a changed name or policy (and event scope, when given), with its audit entry; a
    /// name another key has is a conflict.
    static func save(
        _ key: APIKey, scope: EventScope? = nil, audit: @escaping @Sendable (any Database) async throws -> Void,
        on db: any Database
    ) async throws {
        let clash = try await APIKey.query(on: db).filter(\.$team.$id == key.$team.id).filter(\.$id != key.id!).all(
            \.$name
        )
        .contains { $0.caseInsensitiveCompare(key.name) == .orderedSame }
        if clash { throw nameTaken(key.name) }
        do {
            try await db.transaction { db in
                try await key.save(on: db)
                if let scope { try await EventScopeStore.write(scope, for: key, on: db) }
                try await audit(db)
            }
        } catch let error as any DatabaseError where error.isConstraintFailure {
            throw nameTaken(key.name)
        }
    }

    /// Deletes the key and its secrets, keeping their digests as tombstones, with its audit entry.
    /// Starts with a write on the key's row (SQLite cannot turn a reader into a writer while
    /// another transaction writes), so a roll or a leak report of the same key waits its turn.
    static func delete(
        _ key: APIKey, audit: @escaping @Sendable (any Database) async throws -> Void, on db: any Database
    ) async throws {
        try await db.transaction { db in
            try await db.sql.update(APIKey.schema).set("last_four", to: SQLColumn("last_four")).where(
                "id", .equal, key.id!
            ).run()
            try await APIKeySecrets.retire(
                APIKeySecret.query(on: db).filter(\.$key.$id == key.id!).all(), of: key, byRoll: false, on: db)
            // Its secrets ended by earlier rolls now belong to a deleted key too.
            try await db.sql.update(RevokedAPIKey.schema).set("rolled_key_id", to: SQLLiteral.null)
                .where("rolled_key_id", .equal, key.id!).run()
            try await key.delete(on: db)
            try await audit(db)
        }
    }

    /// The team's keys that expire within `window` or expired within it, soonest first.
    static func nearExpiry(team: UUID, window: TimeInterval, now: Date = Date(), on db: any Database) async throws
        -> [APIKey]
    {
        try await APIKey.query(on: db).filter(\.$team.$id == team)
            .filter(\.$expiresAt >= now.addingTimeInterval(-window)).filter(
                \.$expiresAt <= now.addingTimeInterval(window)
            )
            .sort(\.$expiresAt).all()
    }

    static func nameTaken(_ name: String) -> DomainError {
        .conflict("This team already has a key named “\(name)”. Choose another name.", field: "name")
    }
}

extension APIKeyStore {
    /// Renames a key revoked as leaked to “NAME (leaked DATE)”, so that a new key can take its
    /// name, with an audit entry. Part of the caller's transaction; a conflict if the key came
    /// back to life (was rolled) meanwhile.
    static func giveUpName(of key: APIKey, namesTaken: [String], on db: any Database) async throws {
        let keyID = try key.requireID()
        let date = (key.revokedAt ?? Date()).formatted(.iso8601.year().month().day())
        var suffix = " (leaked \(date))"
        var number = 1
        // Within the characters a name may have, so that the key can still be edited.
        func candidate() -> String { String(key.name.prefix(APIKey.nameRule.maximum - suffix.count)) + suffix }
        while namesTaken.contains(where: { $0.caseInsensitiveCompare(candidate()) == .orderedSame }) {
            number += 1
            suffix = " (leaked \(date), \(number))"
        }
        let renamed = candidate()
        let changed = try await db.sql.update(APIKey.schema).set("name", to: renamed)
            .where("id", .equal, keyID).where("revoked_at", .isNot, SQLLiteral.null).returning("id").all()
        guard !changed.isEmpty else { throw nameTaken(key.name) }
        try await Audit.record(
            .keyChanged, team: key.$team.id, by: nil, actor: "Kagibag",
            "renamed API key “\(key.name)” (…\(key.lastFour)), revoked as leaked, to “\(renamed)” so that a new key can have its name",
            on: db)
    }
}
