import Fluent
import Vapor

/// A team's API key. The plaintext is never here: only its SHA-256 digest and last four characters.
final class APIKey: Model, @unchecked Sendable {
    static let schema = "api_keys"

    @ID(key: .id) var id: UUID?
    @Parent(key: "team_id") var team: Team
    @Parent(key: "created_by_id") var createdBy: User
    @Field(key: "name") var name: String
    @Field(key: "digest") var digest: String
    @Field(key: "last_four") var lastFour: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @OptionalField(key: "last_used_at") var lastUsedAt: Date?
    /// After this moment the key is refused; nil means it never expires.
    @OptionalField(key: "expires_at") var expiresAt: Date?

    init() {}

    init(id: UUID? = nil, teamID: UUID, createdByID: UUID, name: String, digest: String, lastFour: String, expiresAt: Date? = nil) {
        self.expiresAt = expiresAt
        self.id = id
        self.$team.id = teamID
        self.$createdBy.id = createdByID
        self.name = name
        self.digest = digest
        self.lastFour = lastFour
    }
}
