import Fluent
import Vapor

/// The digest of a deleted key, kept so that a request with it can be counted as "revoked"
/// rather than "unknown" (and for the audit trail). Holds nothing that could authenticate.
final class RevokedAPIKey: Model, @unchecked Sendable {
    static let schema = "revoked_api_keys"

    @ID(key: .id) var id: UUID?
    @Field(key: "digest") var digest: String
    @Field(key: "team_id") var teamID: UUID
    @Field(key: "name") var name: String
    @Timestamp(key: "revoked_at", on: .create) var revokedAt: Date?

    init() {}

    init(digest: String, teamID: UUID, name: String) {
        self.digest = digest
        self.teamID = teamID
        self.name = name
    }
}
