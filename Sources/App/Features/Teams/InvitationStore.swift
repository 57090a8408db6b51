import Fluent
import Foundation

/// Every read and write of invitations. Membership begins only when the invitee accepts; until
/// then an invitation changes nothing for them, and it says nothing to the admin about whether
/// the address has an account.
enum InvitationStore {
    static let lifetime: TimeInterval = 14 * 24 * 3600

    /// Invites `email` as `role`, or renews the pending invitation to it (new role, new expiry),
    /// with the audit entry. Run under the team's lock by a caller that has checked the actor.
    static func invite(_ email: String, as role: TeamRole, to team: UUID, by actor: User, on db: any Database)
        async throws
    {
        let expiresAt = Date().addingTimeInterval(lifetime)
        if let pending = try await Invitation.query(on: db).filter(\.$team.$id == team).filter(\.$email == email)
            .first()
        {
            pending.role = role
            pending.expiresAt = expiresAt
            pending.invitedByName = actor.name
            pending.invitedByEmail = actor.email
            pending.invitedByID = actor.id
            try await pending.save(on: db)
        } else {
            try await Invitation(teamID: team, email: email, role: role, invitedBy: actor, expiresAt: expiresAt).create(
                on: db)
        }
        try await Audit.record(.memberInvited, team: team, by: actor, "invited \(email) as \(role.label)", on: db)
    }

    /// The team's invitations that have not expired, oldest first.
    static func pending(team: UUID, on db: any Database) async throws -> [Invitation] {
        try await Invitation.query(on: db).filter(\.$team.$id == team).filter(\.$expiresAt > Date())
            .sort(\.$id).all()
    }

    /// The invitations waiting for `email`, with their teams, oldest first.
    static func pending(for email: String, on db: any Database) async throws -> [Invitation] {
        try await Invitation.query(on: db).filter(\.$email == email).filter(\.$expiresAt > Date())
            .with(\.$team).sort(\.$id).all()
    }

    /// A pending invitation addressed to `email`; anyone else's answers like a missing one.
    static func find(_ id: String?, for email: String, on db: any Database) async throws -> Invitation {
        guard let id = id.flatMap(UUID.init(uuidString:)),
            let invitation = try await Invitation.query(on: db)
                .filter(\.$id == id).filter(\.$email == email).filter(\.$expiresAt > Date()).with(\.$team).first()
        else { throw DomainError.notFound("That invitation is not for you, or it has expired or been withdrawn.") }
        return invitation
    }

    /// The pending invitation a link opens, with its team; nil for a link that was used,
    /// withdrawn or has expired (or never was one).
    static func find(linkToken token: String, on db: any Database) async throws -> Invitation? {
        guard Invitation.isWellFormedLinkToken(token) else { return nil }
        return try await Invitation.query(on: db).filter(\.$linkToken == token).filter(\.$expiresAt > Date())
            .with(\.$team).first()
    }

    /// A pending invitation of `team`; another team's id answers like a missing one.
    static func find(_ id: String?, team: UUID, on db: any Database) async throws -> Invitation {
        guard let id = id.flatMap(UUID.init(uuidString:)),
            let invitation = try await Invitation.query(on: db).filter(\.$id == id).filter(\.$team.$id == team).first()
        else {
            throw DomainError.notFound("There is no such invitation. It may have been accepted or withdrawn already.")
        }
        return invitation
    }

    /// Makes `user` a member as the invitation says, under the team's lock; an invitation
    /// accepted twice (two tabs) or for a team they joined meanwhile just goes away.
    static func accept(_ invitation: Invitation, by user: User, on db: any Database) async throws {
        let teamID = invitation.$team.id
        enum Outcome: Sendable { case joined, gone, inviterNoLongerAdmin }
        let outcome: Outcome = try await TeamStore.locked(teamID, on: db) { db in
            // Read again under the lock: withdrawn a moment ago (by an admin, or with its inviter's
            // removal or demotion), expired or renewed meanwhile, or sent by someone no longer an admin.
            guard let fresh = try await Invitation.find(invitation.id, on: db), fresh.expiresAt > Date() else {
                return .gone
            }
            guard let inviter = fresh.invitedByID, try await TeamStore.isAdmin(inviter, of: teamID, on: db) else {
                // Deleted for good (the refusal is thrown after this transaction commits).
                try await fresh.delete(on: db)
                return .inviterNoLongerAdmin
            }
            try await fresh.delete(on: db)
            guard try await TeamStore.membership(of: user.id!, in: teamID, on: db) == nil else { return .joined }
            try await Membership(userID: user.id!, teamID: teamID, role: fresh.role).create(on: db)
            try await Audit.record(
                .memberAdded, team: teamID, by: user,
                "accepted the invitation from \(fresh.invitedByName) and joined as \(fresh.role.label)", on: db)
            invitation.role = fresh.role
            return .joined
        }
        switch outcome {
        case .joined: return
        case .gone: throw DomainError.notFound("That invitation has just been withdrawn, or it has expired.")
        case .inviterNoLongerAdmin:
            throw DomainError.notFound(
                "That invitation is no longer valid: whoever sent it is no longer an admin of the team.")
        }
    }

    static func decline(_ invitation: Invitation, by user: User, on db: any Database) async throws {
        try await db.transaction { db in
            try await invitation.delete(on: db)
            try await Audit.record(
                .invitationDeclined, team: invitation.$team.id, by: user, "declined the invitation", on: db)
        }
    }

    /// Withdraws the invitation, with the audit entry. Run under the team's lock by a caller
    /// that has checked the actor.
    static func withdraw(_ invitation: Invitation, by actor: User, on db: any Database) async throws {
        try await invitation.delete(on: db)
        try await Audit.record(
            .invitationWithdrawn, team: invitation.$team.id, by: actor,
            "withdrew the invitation to \(invitation.email)", on: db)
    }

    /// Withdraws every pending invitation `inviter` sent to `team` (they were removed or
    /// demoted), with one audit entry naming them. Run under the team's lock.
    static func withdrawAll(
        sentBy inviter: User, in team: UUID, by actor: User, because reason: String, on db: any Database
    ) async throws {
        let sent = try await Invitation.query(on: db).filter(\.$team.$id == team).filter(\.$invitedByID == inviter.id)
            .all()
        guard !sent.isEmpty else { return }
        try await Invitation.query(on: db).filter(\.$id ~~ sent.compactMap(\.id)).delete()
        let emails = sent.map(\.email).sorted().joined(separator: ", ")
        try await Audit.record(
            .invitationWithdrawn, team: team, by: actor,
            "withdrew \(sent.count == 1 ? "the invitation" : "\(sent.count) invitations") \(inviter.name) had sent (\(emails)), \(reason)",
            on: db)
    }

    /// Deletes up to `limit` expired invitations; returns how many.
    static func purgeExpired(on db: any Database, limit: Int) async throws -> Int {
        let ids = try await Invitation.query(on: db).filter(\.$expiresAt < Date()).limit(limit).all(\.$id)
        guard !ids.isEmpty else { return 0 }
        try await Invitation.query(on: db).filter(\.$id ~~ ids).delete()
        return ids.count
    }
}
