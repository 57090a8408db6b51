import APIKeyCore
import Foundation
import KagibagSQL
import SQLKit

/// An API key as verified for one request: the secret that was presented, its key with the
/// key's policy, and the team, read together by one indexed query. Never holds the key or a
/// digest.
struct VerifiedKey: Sendable {
    let id, teamID, secretID: UUID
    let name, lastFour, teamName, teamSlug: String
    let description: String?
    let createdAt, expiresAt, pausedAt: Date?
    /// Set when the key was reported as leaked: refused until rolled.
    let revokedAt: Date?
    /// When the presented secret stops working: set for a rolled key's old secret.
    let secretEndsAt: Date?
    /// The key's own choice (nil: the team's), and the team's permissions as they are now.
    let granted: Set<Permission>?
    let teamPermissions: Set<Permission>
    let allowedAddresses: String?
    let mayRollItself: Bool
    /// Whether the key reaches only its chosen events (`api_key_events`), and when it works if
    /// only around them.
    let eventsScoped: Bool
    let window: EventWindow?
    /// Requests a minute: the key's own budget (nil: the server's default) and its team's (nil:
    /// none), read with the key so that a change applies to the next request.
    let rateLimit, teamRateLimit: Int?

    /// Names `lookup` among the statements PostgreSQL keeps prepared (`FixedPlan`).
    enum LookupStatement: PreparedStatementName { static let preparedName = "kagibag_key_lookup" }

    /// The lookup by digest: always one row, whose `id` is null when no secret has the digest,
    /// and then `revoked` says whether a deleted key or an ended secret had it (the revoked
    /// table is read only on a miss). Left joins from the digest, so both SQLite and PostgreSQL
    /// run it as index probes.
    static func lookup(digest: String) -> SQLQueryString {
        """
        SELECT k.id, k.name, k.last_four, k.description, k.created_at, k.expires_at, k.paused_at, k.revoked_at,
               k.permissions AS key_permissions, k.allowed_addresses, k.may_roll_itself,
               k.events_scoped, k.event_window_hours, k.rate_limit_per_minute AS key_rate_limit,
               CASE WHEN k.event_window_hours IS NOT NULL THEN
                   (SELECT MIN(e.starts_at) FROM api_key_events ke JOIN events e ON e.id = ke.event_id
                    WHERE ke.key_id = k.id AND e.status <> 'cancelled') END AS window_first_start,
               CASE WHEN k.event_window_hours IS NOT NULL THEN
                   (SELECT MAX(e.ends_at) FROM api_key_events ke JOIN events e ON e.id = ke.event_id
                    WHERE ke.key_id = k.id AND e.status <> 'cancelled') END AS window_last_end,
               s.id AS secret_id, s.ends_at AS secret_ends_at,
               t.id AS team_id, t.name AS team_name, t.slug AS team_slug, t.permissions AS team_permissions,
               t.rate_limit_per_minute AS team_rate_limit,
               CASE WHEN s.id IS NOT NULL THEN 0
                    WHEN EXISTS (SELECT 1 FROM revoked_api_keys r WHERE r.digest = d.digest) THEN 1
                    ELSE 0 END AS revoked,
               CASE WHEN s.id IS NULL THEN
                   (SELECT r.revoked_at FROM revoked_api_keys r WHERE r.digest = d.digest AND r.rolled_key_id IS NOT NULL)
               END AS rolled_at
        FROM (SELECT CAST(\(bind: digest) AS TEXT) AS digest) d
        LEFT JOIN api_key_secrets s ON s.digest = d.digest
        LEFT JOIN api_keys k ON k.id = s.key_id
        LEFT JOIN teams t ON t.id = k.team_id
        """
    }

    /// The lookup's columns, in the order `init(_:)` reads them.
    static let columns: ColumnList = [
        "id", "name", "last_four", "description", "created_at", "expires_at", "paused_at", "revoked_at",
        "key_permissions", "allowed_addresses", "may_roll_itself", "events_scoped", "event_window_hours",
        "window_first_start", "window_last_end", "secret_id", "secret_ends_at", "team_id", "team_name", "team_slug",
        "team_permissions", "key_rate_limit", "team_rate_limit",
    ]

    /// Read column by column, in `columns`' order: Fluent models (reflection), `Decodable` rows
    /// (keyed containers), then cells found by name each measured as the largest cost of an
    /// authenticated request in their turn.
    init(_ row: some SQLRow) throws {
        var cell = ColumnCursor(row, Self.columns)
        id = try cell.uuid()
        name = try cell.string()
        lastFour = try cell.string()
        description = try cell.optionalString()
        createdAt = try cell.optionalDate()
        expiresAt = try cell.optionalDate()
        pausedAt = try cell.optionalDate()
        revokedAt = try cell.optionalDate()
        granted = try cell.optionalString().map(Permission.decode)
        allowedAddresses = try cell.optionalString()
        mayRollItself = try cell.bool()
        eventsScoped = try cell.bool()
        let hours = try cell.optionalInt()
        let firstStart = try cell.optionalDate()
        let lastEnd = try cell.optionalDate()
        window = hours.map { EventWindow(hours: $0, firstStart: firstStart, lastEnd: lastEnd) }
        secretID = try cell.uuid()
        secretEndsAt = try cell.optionalDate()
        teamID = try cell.uuid()
        teamName = try cell.string()
        teamSlug = try cell.string()
        teamPermissions = Permission.decode(try cell.string())
        rateLimit = try cell.optionalInt()
        teamRateLimit = try cell.optionalInt()
    }

    /// What the key is now: status, effective permissions (its own choice within the team's
    /// current permissions), expiry.
    func state(now: Date = Date()) -> KeyState {
        KeyState(
            revokedAt: revokedAt, expiresAt: expiresAt, pausedAt: pausedAt, granted: granted,
            teamPermissions: teamPermissions, eventsScoped: eventsScoped, window: window, now: now)
    }

    /// Whether `address` may use the key (a key without a fence may be used from anywhere).
    func allows(address: String) -> Bool {
        guard let allowedAddresses else { return true }
        return allowedAddresses.split(separator: " ").contains {
            (try? AddressRange(parsing: $0))?.contains(address) == true
        }
    }
}
