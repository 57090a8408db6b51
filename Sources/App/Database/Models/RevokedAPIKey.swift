import Fluent
import Vapor

/// The digest of a deleted key or of a secret a roll ended, kept so that a request with it can be counted as "revoked"
/// rather than "unknown" (and for the audit trail). Holds nothing that could authenticate.
final class RevokedAPIKey: Model, @unchecked Sendable {
    static let schema = "revoked_api_keys"

    @ID(key: .id) var id: UUID?
    @Field(key: "digest") var digest: String
    @Field(key: "team_id") var teamID: UUID
    @Field(key: "name") var name: String
    @Timestamp(key: "revoked_at", on: .create) var revokedAt: Date?
    /// The key, for a secret that a roll ended (its 401 says so); nil for a deleted key's.
    @OptionalField(key: "rolled_key_id") var rolledKeyID: UUID?

    init() {}

    init(digest: String, teamID: UUID, name: String, rolledKeyID: UUID? = nil) {
        self.digest = digest
        self.teamID = teamID
        self.name = name
        self.rolledKeyID = rolledKeyID
    }
}
