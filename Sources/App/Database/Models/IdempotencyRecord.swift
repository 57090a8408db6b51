import Fluent
import Vapor

/// The remembered outcome of a POST sent with an `Idempotency-Key`, per team, for 24 hours.
final class IdempotencyRecord: Model, @unchecked Sendable {
    static let schema = "idempotency_keys"

    @ID(key: .id) var id: UUID?
    @Field(key: "team_id") var teamID: UUID
    @Field(key: "key") var key: String
    /// SHA-256 of method, path and body: the same key with another request is refused.
    @Field(key: "fingerprint") var fingerprint: String
    /// The first response's status; written in the same transaction as the claim, so no other
    /// request ever sees the row without it.
    @Field(key: "status") var status: Int
    @Field(key: "body") var body: String
    @OptionalField(key: "location") var location: String?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}

    init(teamID: UUID, key: String, fingerprint: String) {
        self.teamID = teamID
        self.key = key
        self.fingerprint = fingerprint
        self.status = 0
        self.body = ""
    }
}
