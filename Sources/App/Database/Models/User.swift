import Fluent
import Vapor

final class User: Model, @unchecked Sendable {
    static let schema = "users"

    @ID(key: .id) var id: UUID?
    @Field(key: "name") var name: String
    /// Stored lower-cased, so uniqueness and login ignore case.
    @Field(key: "email") var email: String
    @Field(key: "password_hash") var passwordHash: String
    /// The team they worked in last: login opens it.
    @OptionalField(key: "last_team_id") var lastTeamID: UUID?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}

    init(id: UUID? = nil, name: String, email: String, passwordHash: String) {
        self.id = id
        self.name = name
        self.email = email.lowercased()
        self.passwordHash = passwordHash
    }
}
