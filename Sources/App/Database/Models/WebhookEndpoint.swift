import Fluent
import Foundation

/// Where a team's changes are sent (M024); its pages show it through `WebhookEndpointView`.
final class WebhookEndpoint: Model, @unchecked Sendable {
    static let schema = "webhook_endpoints"

    @ID(key: .id) var id: UUID?
    @Field(key: "team_id") var teamID: UUID
    @Field(key: "url") var url: String
    @OptionalField(key: "description") var description: String?
    /// `*` or the types separated by commas (`WebhookSubscription`).
    @Field(key: "event_types") var eventTypes: String
    /// `whsec_…`, the secret that signs now.
    @Field(key: "secret") var secret: String
    /// After a roll, the old secret still signs (beside the new one) until `previousSecretUntil`.
    @OptionalField(key: "previous_secret") var previousSecret: String?
    @OptionalField(key: "previous_secret_until") var previousSecretUntil: Date?
    @OptionalField(key: "paused_at") var pausedAt: Date?
    /// "admin" (paused by a person) or "failing" (by Kagibag after 3 days of failures).
    @OptionalField(key: "paused_reason") var pausedReason: String?
    /// Since when every delivery has failed (nil once one succeeds).
    @OptionalField(key: "failing_since") var failingSince: Date?
    @OptionalField(key: "created_by") var createdBy: UUID?
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date

    init() {}

    init(id: UUID, teamID: UUID, url: String, description: String?, eventTypes: String, secret: String, by user: UUID?)
    {
        self.id = id
        self.teamID = teamID
        self.url = url
        self.description = description
        self.eventTypes = eventTypes
        self.secret = secret
        createdBy = user
        let now = Date()
        createdAt = now
        updatedAt = now
    }
}
