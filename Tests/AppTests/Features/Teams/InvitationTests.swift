import Fluent
import Foundation
import Testing
import VaporTesting

@testable import App

/// Finding 4 of issue 11: nobody is pulled into a team. "Add member" invites; the invitee
/// accepts or declines; login opens the team they used last.
@Suite("Invitations")
struct InvitationTests {
    static let acceptPattern = #"action="(/invitations/[0-9a-f-]+/accept)""#
    static let declinePattern = #"action="(/invitations/[0-9a-f-]+/decline)""#

    /// A victim with a team of their own, and an attacker whose team sorts first by name.
    func victimAndLookAlike(_ app: Application) async throws -> (
        victim: Browser, account: Browser.Account, attacker: Browser
    ) {
        let victim = Browser(app), attacker = Browser(app)
        let account = Browser.newAccount(team: "Zeta Corp")
        try await victim.signUp(account)
        try await attacker.signUp(Browser.newAccount(team: "Alice team"))
        try await attacker.get("/admin/team")
        return (victim, account, attacker)
    }

    @Test(
        "a look-alike team cannot pull anyone in: the victim's next login still opens their own team, the only one they are in"
    )
    func lookAlikeTeamCannotPullAnyoneIn() async throws {
        try await withKagibag { app in
            // setup
            let (_, account, attacker) = try await victimAndLookAlike(app)
            // MUT
            try await attacker.post("/admin/team/members", [("email", account.email), ("role", "admin")])
            let victim = Browser(app)
            try await victim.logIn(email: account.email, password: account.password)
            // validate
            try await victim.get("/admin/team")
            #expect(victim.lastPage.contains("<h1>Zeta Corp</h1>"))
            #expect(!victim.lastPage.contains("Current team"))  // no switcher: one team only
            let user = try #require(try await User.query(on: app.db).filter(\.$email == account.email).first())
            #expect(try await Membership.query(on: app.db).filter(\.$user.$id == user.id!).count() == 1)
        }
    }

    @Test("login opens the team the person used last, not the first by name")
    func loginOpensTheTeamUsedLast() async throws {
        try await withKagibag { app in
            let (victim, account, attacker) = try await victimAndLookAlike(app)
            try await victim.joinTeam(of: attacker, email: account.email)
            let zeta = try #require(try await Team.query(on: app.db).filter(\.$name == "Zeta Corp").first()?.id)
            let alice = try #require(try await Team.query(on: app.db).filter(\.$name == "Alice team").first()?.id)
            for (team, heading) in [(zeta, "Zeta Corp"), (alice, "Alice team"), (zeta, "Zeta Corp")] {
                try await victim.get("/admin/team")
                try await victim.post("/team/switch", [("team", team.uuidString)])
                try await victim.get("/admin/team")
                try await victim.post("/logout")
                try await victim.logIn(email: account.email, password: account.password)
                try await victim.get("/admin/team")
                #expect(victim.lastPage.contains("<h1>\(heading)</h1>"))
            }
        }
    }

    @Test("declining makes no membership, removes the banner and is recorded in the team's activity")
    func declining() async throws {
        try await withKagibag { app in
            let (victim, account, attacker) = try await victimAndLookAlike(app)
            try await attacker.post("/admin/team/members", [("email", account.email), ("role", "member")])
            try await victim.get("/admin/team")
            let decline = try #require(Browser.firstMatch(Self.declinePattern, in: victim.lastPage))
            #expect(try await victim.post(decline).status == .seeOther)
            try await victim.get("/admin")
            #expect(victim.lastPage.contains("You declined the invitation to Alice team."))
            #expect(!victim.lastPage.contains("invited you to join the team"))
            #expect(try await Invitation.query(on: app.db).count() == 0)
            #expect(try await Membership.query(on: app.db).count() == 2)
            #expect(try await AuditEvent.query(on: app.db).filter(\.$action == "invitation.declined").count() == 1)
        }
    }

    @Test("a withdrawn invitation leaves the Team page and can no longer be accepted")
    func withdrawing() async throws {
        try await withKagibag { app in
            let (victim, account, attacker) = try await victimAndLookAlike(app)
            try await attacker.post("/admin/team/members", [("email", account.email), ("role", "member")])
            try await victim.get("/admin/team")
            let accept = try #require(Browser.firstMatch(Self.acceptPattern, in: victim.lastPage))
            try await attacker.get("/admin/team")
            #expect(attacker.lastPage.contains("Pending invitations"))
            let withdraw = try #require(
                Browser.firstMatch(#"action="(/admin/team/invitations/[0-9a-f-]+/withdraw)""#, in: attacker.lastPage))
            #expect(try await attacker.post(withdraw).status == .seeOther)
            try await attacker.get("/admin/team")
            #expect(attacker.lastPage.contains("No pending invitations."))
            #expect(try await victim.post(accept).status == .notFound)
            #expect(try await Membership.query(on: app.db).count() == 2)
            #expect(try await AuditEvent.query(on: app.db).filter(\.$action == "invitation.withdrawn").count() == 1)
        }
    }

    @Test("someone else's invitation answers 404 and changes nothing; a member cannot withdraw invitations")
    func othersCannotUseAnInvitation() async throws {
        try await withKagibag { app in
            let (victim, account, attacker) = try await victimAndLookAlike(app)
            try await attacker.post("/admin/team/members", [("email", account.email), ("role", "admin")])
            try await victim.get("/admin")
            let accept = try #require(Browser.firstMatch(Self.acceptPattern, in: victim.lastPage))
            let bystander = Browser(app), bystanderAccount = Browser.newAccount(team: "Bystanders")
            try await bystander.signUp(bystanderAccount)
            try await bystander.get("/admin")
            #expect(try await bystander.post(accept).status == .notFound)
            #expect(
                try await bystander.post(accept.replacingOccurrences(of: "accept", with: "decline")).status == .notFound
            )
            #expect(try await Invitation.query(on: app.db).count() == 1)
            #expect(try await Membership.query(on: app.db).count() == 3)

            let invitation = try #require(try await Invitation.query(on: app.db).first())
            let withdraw = "/admin/team/invitations/\(invitation.id!.lowercasedString)/withdraw"
            #expect(try await bystander.post(withdraw).status == .notFound)  // not their team's
            try await bystander.joinTeam(of: attacker, email: bystanderAccount.email)
            #expect(try await bystander.post(withdraw).status == .forbidden)
            #expect(try await Invitation.query(on: app.db).count() == 1)
        }
    }

    @Test("an invitation lapses after 14 days: no banner, nothing to accept, and housekeeping deletes it")
    func invitationsExpire() async throws {
        try await withKagibag { app in
            let (victim, account, attacker) = try await victimAndLookAlike(app)
            try await attacker.post("/admin/team/members", [("email", account.email), ("role", "member")])
            let invitation = try #require(try await Invitation.query(on: app.db).first())
            let lifetime = invitation.expiresAt.timeIntervalSince(invitation.createdAt ?? Date())
            #expect(abs(lifetime - 14 * 24 * 3600) < 60)
            try await victim.get("/admin")
            let accept = try #require(Browser.firstMatch(Self.acceptPattern, in: victim.lastPage))
            // Fifteen days later.
            invitation.expiresAt = Date().addingTimeInterval(-24 * 3600)
            try await invitation.save(on: app.db)
            try await victim.get("/admin")
            #expect(!victim.lastPage.contains("invited you to join the team"))
            #expect(try await victim.post(accept).status == .notFound)
            try await attacker.get("/admin/team")
            #expect(attacker.lastPage.contains("No pending invitations."))
            #expect(try await InvitationStore.purgeExpired(on: app.db, limit: 100) == 1)
            #expect(try await Membership.query(on: app.db).count() == 2)
        }
    }

    @Test("inviting the same address again renews the one invitation, with the new role")
    func invitingAgainRenews() async throws {
        try await withKagibag { app in
            let (victim, account, attacker) = try await victimAndLookAlike(app)
            try await attacker.post("/admin/team/members", [("email", account.email), ("role", "member")])
            try await attacker.get("/admin/team")
            try await attacker.post("/admin/team/members", [("email", account.email.uppercased()), ("role", "admin")])
            let invitations = try await Invitation.query(on: app.db).all()
            #expect(invitations.count == 1)
            #expect(invitations.first?.role == .admin)
            try await victim.get("/admin")
            #expect(victim.lastPage.contains("as Admin"))
        }
    }
}
