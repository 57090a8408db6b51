import APIKeyCore
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
    /// The secret part of the invitation's link. Kept as it is, not as a digest, because admins
    /// copy the link from the Team page whenever they like. It grants nothing by itself: the
    /// invitation is accepted only by someone signed in as (or signing up with) its address, as
    /// from the banner; the link only brings them to the right page, and it opens the invitation's
    /// details (team, inviter, role) to whoever holds it.
    @OptionalField(key: "link_token") var linkToken: String?
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
        self.linkToken = Self.newLinkToken()
    }

    /// 32 characters of base 62 from the system's cryptographic source (~190 bits).
    static func newLinkToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return Base62.random(count: 32, using: &generator)
    }

    /// What a link's token looks like; anything else is not looked up.
    static func isWellFormedLinkToken(_ token: String) -> Bool {
        token.utf8.count == 32 && token.utf8.allSatisfy { Base62.alphabet.contains($0) }
    }

    var role: TeamRole {
        get { TeamRole(rawValue: roleColumn) ?? .member }
        set { roleColumn = newValue.rawValue }
    }
}
