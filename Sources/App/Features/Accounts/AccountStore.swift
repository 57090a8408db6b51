import Fluent
import Foundation

/// Every read and write of user accounts.
enum AccountStore {
    /// Display names by user id (for "created by").
    static func userNames(_ ids: [UUID], on db: any Database) async throws -> [UUID: String] {
        guard !ids.isEmpty else { return [:] }
        let users = try await User.query(on: db).filter(\.$id ~~ Array(Set(ids))).all()
        return Dictionary(uniqueKeysWithValues: users.map { ($0.id!, $0.name) })
    }

    static func user(email: String, on db: any Database) async throws -> User? {
        try await User.query(on: db).filter(\.$email == email).first()
    }

    /// Creates the account, its first team (with the person as its admin) and the audit entry,
    /// in one transaction. An email taken meanwhile by a concurrent sign-up is a conflict.
    ///
    /// The free slug is looked up before the transaction, so that the transaction starts with
    /// its first write: on SQLite a transaction that reads and then writes fails with "database
    /// is locked" when another connection commits in between (the periodic key jobs do, every
    /// few seconds). A slug taken meanwhile by another sign-up: the next one is tried.
    static func signUp(_ user: User, teamName: String, on db: any Database) async throws -> Team {
        for attempt in 1...3 {
            let slug = try await Team.uniqueSlug(for: teamName, on: db)
            do {
                return try await db.transaction { db in
                    let team = Team(name: teamName, slug: slug)
                    try await team.create(on: db)
                    user.lastTeamID = team.id
                    try await user.create(on: db)
                    try await Membership(userID: user.id!, teamID: team.id!, role: .admin).create(on: db)
                    try await Audit.record(
                        .teamCreated, team: team.id!, by: user, "created the team “\(teamName)”", on: db)
                    return team
                }
            } catch let error as any DatabaseError where error.isConstraintFailure {
                if attempt < 3, try await Self.user(email: user.email, on: db) == nil { continue }
                throw DomainError.conflict(emailTaken, field: "email")
            }
        }
        throw DomainError.conflict(emailTaken, field: "email")
    }

    private struct InviterGone: Error {}

    /// Creates the account and accepts the invitation its link stands for, in one transaction
    /// under the team's lock: the invitation is read again there (withdrawn, expired, or sent by
    /// someone no longer an admin answers `notFound`, and no account is made), so an account never
    /// exists without the team it signed up to join. (Inviting the address again renews the
    /// invitation and keeps its link: one already sent still works. To stop a link, withdraw the
    /// invitation; inviting again then makes a new one.)
    static func signUp(_ user: User, acceptingLink token: String, on db: any Database) async throws -> Team {
        guard let invitation = try await InvitationStore.find(linkToken: token, on: db) else {
            throw DomainError.notFound(AccountController.invitationLinkGone)
        }
        let teamID = invitation.$team.id
        do {
            return try await TeamStore.locked(teamID, on: db) { db in
                guard let fresh = try await Invitation.find(invitation.id, on: db), fresh.expiresAt > Date(),
                    fresh.linkToken == token, fresh.email == user.email,
                    let team = try await Team.find(teamID, on: db)
                else { throw DomainError.notFound(AccountController.invitationLinkGone) }
                guard let inviter = fresh.invitedByID, try await TeamStore.isAdmin(inviter, of: teamID, on: db) else {
                    throw InviterGone()
                }
                user.lastTeamID = teamID
                try await user.create(on: db)
                try await Membership(userID: user.id!, teamID: teamID, role: fresh.role).create(on: db)
                try await fresh.delete(on: db)
                try await Audit.record(
                    .memberAdded, team: teamID, by: user,
                    "signed up with the invitation from \(fresh.invitedByName) and joined as \(fresh.role.label)",
                    on: db)
                return team
            }
        } catch is InviterGone {
            // As accepting it would: the invitation goes for good (outside the rolled-back
            // transaction), so its link stops opening a form that can only refuse.
            try await Invitation.query(on: db).filter(\.$id == invitation.id!).delete()
            throw DomainError.notFound(
                "That invitation is no longer valid: whoever sent it is no longer an admin of the team. You can still sign up and start a team of your own."
            )
        } catch let error as any DatabaseError where error.isConstraintFailure {
            throw DomainError.conflict(emailTaken, field: "email")
        }
    }

    /// The sign-up page follows it with a link: Log in instead.
    static let emailTaken = "An account with this email already exists."
}
