import Fluent
import Vapor

/// One secret of an API key, by its SHA-256 digest. A key has one current secret (`endsAt` nil)
/// and, after a roll, its old secret until the grace period ends.
final class APIKeySecret: Model, @unchecked Sendable {
    static let schema = "api_key_secrets"

    @ID(key: .id) var id: UUID?
    @Parent(key: "key_id") var key: APIKey
    @Field(key: "digest") var digest: String
    @Field(key: "last_four") var lastFour: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    /// When an old secret stops working; nil for the current secret.
    @OptionalField(key: "ends_at") var endsAt: Date?
    @OptionalField(key: "last_used_at") var lastUsedAt: Date?

    init() {}

    init(id: UUID? = UUID(), keyID: UUID, digest: String, lastFour: String) {
        self.id = id
        self.$key.id = keyID
        self.digest = digest
        self.lastFour = lastFour
    }
}
