import APIKeyCore
import Fluent
import Foundation
import SQLKit

/// A key's lifecycle: rolling to a new secret with a grace period for the old one, ending a
/// grace period, pausing, and recording expiries. Every step starts with a write on the key's
/// row, so concurrent changes to one key (two rolls, a roll and a delete) run one after the other.
enum APIKeySecrets {
    /// Grace periods an admin can pick when rolling (seconds): end now, 1 hour, 24 hours, 7 days.
    static let graceChoices = [0, 3600, 86_400, 604_800]
    static let maximumGrace = 604_800
    static let defaultGrace = 3600

    /// The one rule for how long an old secret keeps working, for the page's roll (one of the
    /// choices) and the API's (any whole number of seconds up to the longest choice).
    static func grace(_ seconds: Int?, fromChoices: Bool) throws -> Int {
        let grace = seconds ?? defaultGrace
        if fromChoices, !graceChoices.contains(grace) {
            throw DomainError.invalid([
                .init(field: "grace", message: "Choose how long the old secret keeps working from the list.")
            ])
        }
        guard (0...maximumGrace).contains(grace) else {
            throw DomainError.invalid([
                .init(
                    field: "grace_seconds", message: "grace_seconds must be a whole number from 0 to \(maximumGrace).")
            ])
        }
        return grace
    }

    /// Replaces the current secret with `token`. The old one keeps working for `grace` seconds
    /// (0 ends it at once); an older old secret ends at once. Returns when the old one ends.
    ///
    /// A key revoked as leaked (found so once its row is locked, so a report that lands just
    /// before counts) comes back to life only if `revivingLeaked` (an admin's roll), and then
    /// every secret it had ends at once, whatever `grace` says; otherwise (a key rolling
    /// itself) the roll is refused. `audit` learns which of the two happened.
    ///
    /// `replacing` names the secret the caller means to replace (the one it presented, or the
    /// one the admin's page showed); if another roll made a newer one meanwhile, nothing
    /// changes and `NotCurrent` is thrown: a roll never ends a secret newer than its caller's.
    @discardableResult
    static func roll(
        _ key: APIKey, to token: APIKeyToken, grace: Int, expiresAt: Date??, now: Date = Date(),
        revivingLeaked: Bool = false,
        replacing: Replacing = .whicheverIsCurrent,
        audit: @escaping @Sendable (_ db: any Database, _ wasLeaked: Bool) async throws -> Void, on db: any Database
    ) async throws -> Date? {
        let keyID = try key.requireID()
        return try await db.transaction { db in
            var update = db.sql.update(APIKey.schema).set("last_four", to: token.lastFour)
            if let expiresAt {
                // A new expiry: announced and recorded again when it comes.
                update = update.set("expires_at", to: expiresAt).set("expiring_recorded_at", to: SQLLiteral.null)
                    .set("expiry_recorded_at", to: SQLLiteral.null)
            }
            let locked = try await update.where("id", .equal, keyID).where("paused_at", .is, SQLLiteral.null)
                .returning("id", "revoked_at").all()
            guard let row = locked.first else {
                throw DomainError.conflict("This key is paused or was deleted meanwhile; resume it before rolling it.")
            }
            let wasLeaked = try row.decode(column: "revoked_at", as: Date?.self) != nil
            if wasLeaked {
                guard revivingLeaked else {
                    throw DomainError.conflict(
                        "This key was revoked because it was reported as leaked; only an admin can roll it now.")
                }
                try await db.sql.update(APIKey.schema)
                    .set("revoked_at", to: SQLLiteral.null).set("revoked_via", to: SQLLiteral.null)
                    .set("leak_url", to: SQLLiteral.null).set("leak_source", to: SQLLiteral.null)
                    .set("leak_notice_dismissed_at", to: SQLLiteral.null).set(
                        "leak_notice_dismissed_by", to: SQLLiteral.null
                    )
                    .where("id", .equal, keyID).run()
            }
            let secrets = try await APIKeySecret.query(on: db).filter(\.$key.$id == keyID).all()
            let current = secrets.first { $0.endsAt == nil }
            guard replacing.matches(current) else { throw NotCurrent(currentLastFour: current?.lastFour) }
            let ends = grace > 0 && !wasLeaked ? now.addingTimeInterval(TimeInterval(grace)) : nil
            try await retire(secrets.filter { $0.endsAt != nil || ends == nil }, of: key, byRoll: true, on: db)
            if let current, let ends {
                current.endsAt = ends
                try await current.save(on: db)
            }
            try await APIKeySecret(keyID: keyID, digest: token.digest, lastFour: token.lastFour).create(on: db)
            try await audit(db, wasLeaked)
            return current == nil ? nil : ends
        }
    }

    /// Which secret a roll is meant to replace.
    enum Replacing: Sendable {
        /// The secret a request presented (a key rolling itself).
        case secret(UUID)
        /// The current secret as a page showed it, by its last four characters (an admin's roll).
        case lastFour(String)
        case whicheverIsCurrent

        func matches(_ current: APIKeySecret?) -> Bool {
            switch self {
            case .secret(let id): current?.id == id
            case .lastFour(let lastFour): current?.lastFour == lastFour
            case .whicheverIsCurrent: true
            }
        }
    }

    /// The secret the caller meant to replace is no longer the key's current one.
    struct NotCurrent: Error {
        let currentLastFour: String?
    }

    /// Ends a rolled key's old secret now.
    static func endGrace(
        _ key: APIKey, audit: @escaping @Sendable (any Database) async throws -> Void, on db: any Database
    ) async throws {
        let keyID = try key.requireID()
        try await db.transaction { db in
            try await db.sql.update(APIKey.schema).set("last_four", to: SQLColumn("last_four")).where(
                "id", .equal, keyID
            ).run()
            let old = try await APIKeySecret.query(on: db).filter(\.$key.$id == keyID).filter(\.$endsAt != nil).all()
            guard !old.isEmpty else { return }
            try await retire(old, of: key, byRoll: true, on: db)
            try await audit(db)
        }
    }

    static func setPaused(
        _ key: APIKey, _ paused: Bool, now: Date = Date(),
        audit: @escaping @Sendable (any Database) async throws -> Void, on db: any Database
    ) async throws {
        let keyID = try key.requireID()
        try await db.transaction { db in
            let changed = try await db.sql.update(APIKey.schema).set("paused_at", to: paused ? now : nil)
                .where("id", .equal, keyID).where("paused_at", paused ? .is : .isNot, SQLLiteral.null).returning("id")
                .all()
            if !changed.isEmpty { try await audit(db) }
        }
        key.pausedAt = paused ? now : nil
    }

    /// Deletes secrets, keeping their digests so that a request with one counts as revoked.
    /// Ends `secrets` of `key`, keeping their digests; `byRoll`: a roll ended them (the key
    /// lives on with another secret), not the key's deletion.
    static func retire(_ secrets: [APIKeySecret], of key: APIKey, byRoll: Bool, on db: any Database) async throws {
        for secret in secrets {
            try await RevokedAPIKey(
                digest: secret.digest, teamID: key.$team.id, name: key.name, rolledKeyID: byRoll ? key.id : nil
            ).create(on: db)
            try await secret.delete(on: db)
        }
    }

    /// Records each key that has expired since the last look, once, in its team's audit trail;
    /// whichever instance gets there first writes it. Also retires old secrets whose grace
    /// period is over. Returns how many expiries were recorded.
    @discardableResult
    static func recordExpiries(now: Date = Date(), on db: any Database) async throws -> Int {
        try await db.transaction { db in
            let rows = try await db.sql.update(APIKey.schema).set("expiry_recorded_at", to: now)
                .where("expires_at", .lessThanOrEqual, now).where("expiry_recorded_at", .is, SQLLiteral.null)
                .returning("id", "team_id", "name", "last_four").all()
            for row in rows {
                let name = try row.decode(column: "name", as: String.self),
                    lastFour = try row.decode(column: "last_four", as: String.self),
                    team = try row.decode(column: "team_id", as: UUID.self)
                try await Audit.record(
                    .keyExpired, team: team, by: nil, actor: "Kagibag", "API key “\(name)” (…\(lastFour)) expired",
                    on: db)
                try await KeyWebhook.record(
                    .apiKeyExpired, key: try row.decode(column: "id", as: UUID.self), name: name, lastFour: lastFour,
                    team: team, by: "Kagibag", on: db)
            }
            // Coming within the week: announced once to the team's webhooks (admins see the notice).
            let expiring = try await db.sql.update(APIKey.schema).set("expiring_recorded_at", to: now)
                .where("expires_at", .greaterThan, now)
                .where("expires_at", .lessThanOrEqual, now.addingTimeInterval(KeyState.expiringWindow))
                .where("expiring_recorded_at", .is, SQLLiteral.null).where("revoked_at", .is, SQLLiteral.null)
                .returning("id", "team_id", "name", "last_four", "expires_at").all()
            for row in expiring {
                try await KeyWebhook.record(
                    .apiKeyExpiring, key: try row.decode(column: "id", as: UUID.self),
                    name: try row.decode(column: "name", as: String.self),
                    lastFour: try row.decode(column: "last_four", as: String.self),
                    team: try row.decode(column: "team_id", as: UUID.self), by: "Kagibag",
                    expiresAt: try row.decode(column: "expires_at", as: Date.self), on: db)
            }
            let ended = try await APIKeySecret.query(on: db).filter(\.$endsAt <= now).with(\.$key).all()
            for secret in ended { try await retire([secret], of: secret.key, byRoll: true, on: db) }
            return rows.count
        }
    }
}
