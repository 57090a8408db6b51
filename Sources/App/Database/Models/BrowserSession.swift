import Fluent
import Vapor

/// A browser session. Keyed by the SHA-256 of the cookie value, so a copy of the database
/// cannot be replayed as cookies; shared by every instance that uses the same database.
final class BrowserSession: Model, @unchecked Sendable {
    static let schema = "sessions"

    @ID(key: .id) var id: UUID?
    @Field(key: "token_digest") var tokenDigest: String
    @Field(key: "data") var data: String
    @Field(key: "expires_at") var expiresAt: Date

    init() {}

    init(tokenDigest: String, data: String, expiresAt: Date) {
        self.tokenDigest = tokenDigest
        self.data = data
        self.expiresAt = expiresAt
    }
}
