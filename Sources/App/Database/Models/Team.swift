import Fluent
import Vapor

final class Team: Model, @unchecked Sendable {
    static let schema = "teams"

    @ID(key: .id) var id: UUID?
    @Field(key: "name") var name: String
    @Field(key: "slug") var slug: String
    @Field(key: "permissions") var permissionsColumn: String
    /// The longest lifetime a new or rolled key may get, in days; nil: no limit.
    @OptionalField(key: "max_key_lifetime_days") var maxKeyLifetimeDays: Int?
    /// Requests a minute all the team's keys may make together; nil: no team-wide budget.
    @OptionalField(key: "rate_limit_per_minute") var rateLimitPerMinute: Int?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}

    init(id: UUID? = nil, name: String, slug: String, permissions: Set<Permission> = Set(Permission.allCases)) {
        self.id = id
        self.name = name
        self.slug = slug
        self.permissionsColumn = Permission.encode(permissions)
    }

    var permissions: Set<Permission> {
        get { Permission.decode(permissionsColumn) }
        set { permissionsColumn = Permission.encode(newValue) }
    }
}
