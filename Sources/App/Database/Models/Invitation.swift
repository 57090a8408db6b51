import Fluent
import Vapor

/// An offer to join a team, made by one of its admins to an email address. Nothing changes for
/// the invitee until they accept it; it lapses after `InvitationStore.lifetime`.
final class Invitation: Model, @unchecked Sendable {
    static let schema = "invitations"

    @ID(key: .id) var id: UUID?
    @Parent(key: "team_id") var team: Team
    /// Lower-cased, as users' emails are; whoever holds the account with it may accept.
    @Field(key: "email") var email: String
    @Field(key: "role") var roleColumn: String
    /// Who invited, as they were then: shown to the invitee, so they can tell a team they know
    /// from a look-alike.
    @Field(key: "invited_by_name") var invitedByName: String
    @Field(key: "invited_by_email") var invitedByEmail: String
    /// The inviter's account: their invitations go when they stop being an admin.
    @OptionalField(key: "invited_by_id") var invitedByID: UUID?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Field(key: "expires_at") var expiresAt: Date

    init() {}

    init(teamID: UUID, email: String, role: TeamRole, invitedBy: User, expiresAt: Date) {
        self.id = UUID.v7()
        self.$team.id = teamID
        self.email = email.lowercased()
        self.roleColumn = role.rawValue
        self.invitedByName = invitedBy.name
        self.invitedByEmail = invitedBy.email
        self.invitedByID = invitedBy.id
        self.expiresAt = expiresAt
    }

    var role: TeamRole {
        get { TeamRole(rawValue: roleColumn) ?? .member }
        set { roleColumn = newValue.rawValue }
    }
}
