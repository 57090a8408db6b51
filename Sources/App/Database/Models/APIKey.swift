import Fluent
import Vapor

/// A team's API key: its name and policy. Its secrets (the current one, and a rolled key's old
/// one during the grace period) are `APIKeySecret` rows; no plaintext is stored anywhere.
final class APIKey: Model, @unchecked Sendable {
    static let schema = "api_keys"

    @ID(key: .id) var id: UUID?
    @Parent(key: "team_id") var team: Team
    @Parent(key: "created_by_id") var createdBy: User
    @Field(key: "name") var name: String
    /// Named so, not `description`: a model's `description` is its debug text.
    @OptionalField(key: "description") var keyDescription: String?
    /// The current secret's last four characters, for the list.
    @Field(key: "last_four") var lastFour: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @OptionalField(key: "last_used_at") var lastUsedAt: Date?
    /// The client address and `User-Agent` (at most 200 characters) of the last use.
    @OptionalField(key: "last_used_address") var lastUsedAddress: String?
    @OptionalField(key: "last_used_user_agent") var lastUsedUserAgent: String?
    /// After this moment the key is refused; nil means it never expires.
    @OptionalField(key: "expires_at") var expiresAt: Date?
    /// nil: the key follows the team's permissions; otherwise its own choice, space-separated.
    @OptionalField(key: "permissions") var permissionsColumn: String?
    @OptionalField(key: "paused_at") var pausedAt: Date?
    /// Canonical address ranges, space-separated; nil: any address.
    @OptionalField(key: "allowed_addresses") var allowedAddresses: String?
    @Field(key: "may_roll_itself") var mayRollItself: Bool
    /// Its own requests-per-minute budget; nil: the server's default.
    @OptionalField(key: "rate_limit_per_minute") var rateLimitPerMinute: Int?
    /// False: every event of the team. True: only the events in `api_key_events` (maybe none).
    @Field(key: "events_scoped") var eventsScoped: Bool
    /// A scoped key that works only from this many hours before its first event starts until as
    /// many after its last one ends; nil: whenever.
    @OptionalField(key: "event_window_hours") var eventWindowHours: Int?
    /// Set once, by whichever instance first records the expiry in the audit trail.
    @OptionalField(key: "expiry_recorded_at") var expiryRecordedAt: Date?
    /// Set when the key was reported as leaked: every secret of it is refused until it is
    /// rolled (which ends them all) or deleted.
    @OptionalField(key: "revoked_at") var revokedAt: Date?
    /// How the leak was reported: a `Metrics.LeakChannel` raw value.
    @OptionalField(key: "revoked_via") var revokedVia: String?
    /// Where the leak was found and what kind of place it was, as GitHub reported them.
    @OptionalField(key: "leak_url") var leakURL: String?
    @OptionalField(key: "leak_source") var leakSource: String?
    /// When an admin dismissed the team's notice about the leak, and who.
    @OptionalField(key: "leak_notice_dismissed_at") var leakNoticeDismissedAt: Date?
    @OptionalField(key: "leak_notice_dismissed_by") var leakNoticeDismissedBy: String?

    init() {}

    /// The key's own permission choice: nil for "all of the team's permissions".
    var granted: Set<Permission>? {
        get { permissionsColumn.map(Permission.decode) }
        set { permissionsColumn = newValue.map(Permission.encode) }
    }
}
