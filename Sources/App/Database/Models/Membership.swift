import Fluent
import Vapor

enum TeamRole: String, Codable, CaseIterable, Sendable {
    case admin
    case member

    var label: String { self == .admin ? "Admin" : "Member" }

    /// What a form hears when the role it posted is neither.
    static let choiceMessage = "Choose the role Admin or Member."
}

/// A user's place in a team.
final class Membership: Model, @unchecked Sendable {
    static let schema = "memberships"

    @ID(key: .id) var id: UUID?
    @Parent(key: "user_id") var user: User
    @Parent(key: "team_id") var team: Team
    @Field(key: "role") var roleColumn: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    /// When this person last dismissed the notice of keys expiring (it comes back when another
    /// key comes within the week, or expires, after that).
    @OptionalField(key: "expiry_notice_dismissed_at") var expiryNoticeDismissedAt: Date?

    init() {}

    init(id: UUID? = nil, userID: UUID, teamID: UUID, role: TeamRole) {
        self.id = id
        self.$user.id = userID
        self.$team.id = teamID
        self.roleColumn = role.rawValue
    }

    var role: TeamRole {
        get { TeamRole(rawValue: roleColumn) ?? .member }
        set { roleColumn = newValue.rawValue }
    }
}
