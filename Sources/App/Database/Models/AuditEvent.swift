import Fluent
import Vapor

/// One entry of a team's activity log: who did what, when. Never holds a key: API keys are
/// named by their name and last four characters.
final class AuditEvent: Model, @unchecked Sendable {
    static let schema = "audit_events"

    enum Action: String, Codable, CaseIterable, Sendable {
        case keyCreated = "api_key.created"
        case keyDeleted = "api_key.deleted"
        case keyChanged = "api_key.changed"
        case keyRolled = "api_key.rolled"
        case keyGraceEnded = "api_key.grace_ended"
        case keyPaused = "api_key.paused"
        case keyResumed = "api_key.resumed"
        case keyExpired = "api_key.expired"
        case keyRevokedAsLeaked = "api_key.revoked_as_leaked"
        case keyLeakNoticeDismissed = "api_key.leak_notice_dismissed"
        case keyPolicyChanged = "team.key_policy_changed"
        case memberAdded = "member.added"
        case memberInvited = "member.invited"
        case invitationWithdrawn = "invitation.withdrawn"
        case invitationDeclined = "invitation.declined"
        case memberRemoved = "member.removed"
        case memberLeft = "member.left"
        case memberRoleChanged = "member.role_changed"
        case permissionsChanged = "team.permissions_changed"
        case teamCreated = "team.created"
        case checkInUndone = "attendee.check_in_undone"
        case eventCreated = "event.created"
        case eventUpdated = "event.updated"
        case eventDeleted = "event.deleted"
        case attendeeRegistered = "attendee.registered"
        case attendeeUpdated = "attendee.updated"
        case attendeeDeleted = "attendee.deleted"
        case attendeeCheckedIn = "attendee.checked_in"
        case webhookCreated = "webhook.created"
        case webhookChanged = "webhook.changed"
        case webhookDeleted = "webhook.deleted"
        case webhookPaused = "webhook.paused"
        case webhookResumed = "webhook.resumed"
        case webhookSecretRolled = "webhook.secret_rolled"
        /// A test message, a message sent again, or everything since a time sent again.
        case webhookTested = "webhook.tested"
        case webhookResent = "webhook.resent"
    }

    @ID(key: .id) var id: UUID?
    @Field(key: "team_id") var teamID: UUID
    /// The user who acted, or nil for the command line.
    @OptionalField(key: "actor_id") var actorID: UUID?
    /// The actor's name at the time ("Ada Lovelace", "command line").
    @Field(key: "actor") var actor: String
    @Field(key: "action") var action: String
    /// A sentence for people: "created API key “CRM sync” (…a1b2)".
    @Field(key: "summary") var summary: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    /// The API key that acted (nil for a person or the server), and its last four then.
    @OptionalField(key: "key_id") var keyID: UUID?
    @OptionalField(key: "key_last_four") var keyLastFour: String?
    /// Where the request came from, and the id its answer named (`Request-Id`).
    @OptionalField(key: "client_address") var clientAddress: String?
    @OptionalField(key: "request_id") var requestID: String?
    /// The fields changed, old and new: JSON `[{"field","from","to"}]` (`AuditChange`).
    @OptionalField(key: "changes") var changes: String?
    /// The event the entry is about (for an attendee's too).
    @OptionalField(key: "event_id") var eventID: UUID?

    init() {}

    init(teamID: UUID, actorID: UUID?, actor: String, action: Action, summary: String) {
        self.id = UUID.v7()
        self.teamID = teamID
        self.actorID = actorID
        self.actor = actor
        self.action = action.rawValue
        self.summary = summary
    }
}
