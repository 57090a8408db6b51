import Fluent
import Testing
import VaporTesting

@testable import App

@Suite("Teams, roles and permissions")
struct TeamTests {
    /// An admin with a team, and a second account that is not in it yet.
    struct Pair {
        let admin: Browser
        let adminAccount: Browser.Account
        let other: Browser
        let otherAccount: Browser.Account
    }

    func pair(_ app: Application) async throws -> Pair {
        let admin = Browser(app), other = Browser(app)
        let adminAccount = Browser.newAccount(team: "Acme Events"), otherAccount = Browser.newAccount(team: "Other Org")
        try await admin.signUp(adminAccount)
        try await other.signUp(otherAccount)
        try await admin.get("/admin/team")
        return Pair(admin: admin, adminAccount: adminAccount, other: other, otherAccount: otherAccount)
    }

    /// A pair whose second account has joined the admin's team as a member.
    func team(_ app: Application) async throws -> Pair {
        let p = try await pair(app)
        try await p.other.joinTeam(of: p.admin, email: p.otherAccount.email)
        return p
    }

    func membershipID(of email: String, in browser: Browser) async throws -> String {
        try await browser.get("/admin/team")
        let rows = browser.lastPage.components(separatedBy: "<tr>")
        let row = try #require(rows.first { $0.contains(email) })
        return try #require(Browser.firstMatch(#"/admin/team/members/([0-9a-f-]+)/role"#, in: row))
    }

    @Test("an invited account becomes a member only by accepting, and then sees the team read-only")
    func invitedAccountJoinsByAccepting() async throws {
        try await withKagibag { app in
            let p = try await pair(app)
            let response = try await p.admin.post(
                "/admin/team/members", [("email", p.otherAccount.email.uppercased()), ("role", "member")])
            #expect(response.status == .seeOther)
            try await p.admin.get("/admin/team")
            #expect(p.admin.lastPage.contains("Invited \(p.otherAccount.email) as Member."))
            #expect(!p.admin.lastPage.contains(p.otherAccount.name))
            let teamID = try #require(try await Team.query(on: app.db).filter(\.$slug == "acme-events").first()?.id)
            #expect(try await Membership.query(on: app.db).filter(\.$team.$id == teamID).count() == 1)

            // The invitee sees the invitation on their next page, with who sent it, and accepts.
            try await p.other.get("/admin/team")
            #expect(p.other.lastPage.contains("<h1>Other Org</h1>"))
            #expect(p.other.lastPage.contains("invited you to join the team"))
            #expect(p.other.lastPage.contains(p.adminAccount.email))
            let accept = try #require(
                Browser.firstMatch(#"action="(/invitations/[0-9a-f-]+/accept)""#, in: p.other.lastPage))
            #expect(try await p.other.post(accept).status == .seeOther)
            try await p.other.get("/admin/team")
            #expect(p.other.lastPage.contains("You joined Acme Events as Member."))
            #expect(p.other.lastPage.contains("<h1>Acme Events</h1>"))
            #expect(!p.other.lastPage.contains("Add member"))
            #expect(p.other.lastPage.contains("Only team admins can add"))
            #expect(!p.other.lastPage.contains("invited you to join the team"))
            #expect(try await Membership.query(on: app.db).filter(\.$team.$id == teamID).count() == 2)
            #expect(try await Invitation.query(on: app.db).count() == 0)
        }
    }

    @Test("the admin's answer is the same whether or not the email has an account, and names nobody")
    func inviteAnswerTellsNothing() async throws {
        try await withKagibag { app in
            let p = try await pair(app)
            let known = try await p.admin.post(
                "/admin/team/members", [("email", p.otherAccount.email), ("role", "member")])
            try await p.admin.get("/admin/team")
            let knownPage = p.admin.lastPage
            let unknown = try await p.admin.post(
                "/admin/team/members", [("email", "ghost@example.com"), ("role", "member")])
            try await p.admin.get("/admin/team")
            let unknownPage = p.admin.lastPage
            #expect(known.status == unknown.status)
            #expect(known.headers.first(name: .location) == unknown.headers.first(name: .location))
            #expect(knownPage.contains("Invited \(p.otherAccount.email) as Member."))
            #expect(unknownPage.contains("Invited ghost@example.com as Member."))
            #expect(!knownPage.contains(p.otherAccount.name))
            // Both wait in the pending list, and neither is a member.
            #expect(unknownPage.contains(p.otherAccount.email) && unknownPage.contains("ghost@example.com"))
            #expect(try await Invitation.query(on: app.db).count() == 2)
            #expect(try await Membership.query(on: app.db).count() == 2)

            // Whoever signs up with the address later finds the invitation waiting.
            let ghost = Browser(app)
            try await ghost.signUp(
                .init(name: "Ghost", email: "ghost@example.com", password: "correct horse battery", team: "Haunt"))
            try await ghost.get("/admin/team")
            #expect(ghost.lastPage.contains("invited you to join the team"))
        }
    }

    @Test("a member cannot add, change or remove members")
    func memberCannotManage() async throws {
        try await withKagibag { app in
            let p = try await team(app)
            let adminMembership = try await membershipID(of: p.adminAccount.email, in: p.admin)
            let teamID = try #require(try await Team.query(on: app.db).filter(\.$slug == "acme-events").first()?.id)
            try await p.other.get("/admin/team")
            try await p.other.post("/team/switch", [("team", teamID.uuidString)])
            try await p.other.get("/admin/team")
            let before = try await Membership.query(on: app.db).all().map { "\($0.id!)\($0.roleColumn)" }.sorted()
            #expect(
                try await p.other.post("/admin/team/members", [("email", "x@example.com"), ("role", "admin")]).status
                    == .forbidden)
            #expect(try await Invitation.query(on: app.db).count() == 0)
            #expect(
                try await p.other.post("/admin/team/members/\(adminMembership)/role", [("role", "member")]).status
                    == .forbidden)
            #expect(
                try await p.other.post("/admin/team/members/\(adminMembership)/remove", [("confirmed", "yes")]).status
                    == .forbidden)
            let after = try await Membership.query(on: app.db).all().map { "\($0.id!)\($0.roleColumn)" }.sorted()
            #expect(before == after)
        }
    }

    @Test("the last admin can be neither demoted nor removed, and cannot leave others adminless")
    func lastAdminIsProtected() async throws {
        try await withKagibag { app in
            let p = try await team(app)
            let own = try await membershipID(of: p.adminAccount.email, in: p.admin)
            let demote = try await p.admin.post("/admin/team/members/\(own)/role", [("role", "member")])
            #expect(demote.status == .conflict)
            #expect(p.admin.lastPage.contains("at least one admin"))
            let remove = try await p.admin.post("/admin/team/members/\(own)/remove", [("confirmed", "yes")])
            #expect(remove.status == .conflict)
            let leave = try await p.admin.post("/admin/team/leave", [("confirmed", "yes")])
            #expect(leave.status == .conflict)
            #expect(try await Membership.query(on: app.db).filter(\.$roleColumn == "admin").count() == 2)
            // The page says so before anyone tries: no Leave button for the only admin of others.
            try await p.admin.get("/admin/team")
            #expect(p.admin.lastPage.contains(#"id="sole-admin""#))
            #expect(!p.admin.lastPage.contains(">Leave team</button>"))

            // With a second admin, the first may step down.
            let other = try await membershipID(of: p.otherAccount.email, in: p.admin)
            #expect(
                try await p.admin.post("/admin/team/members/\(other)/role", [("role", "admin")]).status == .seeOther)
            #expect(try await p.admin.post("/admin/team/members/\(own)/role", [("role", "member")]).status == .seeOther)
            try await p.admin.get("/admin/team")
            #expect(!p.admin.lastPage.contains("Add member"))
        }
    }

    @Test("anyone can leave a team")
    func memberLeaves() async throws {
        try await withKagibag { app in
            let p = try await team(app)
            let teamID = try #require(try await Team.query(on: app.db).filter(\.$slug == "acme-events").first()?.id)
            try await p.other.get("/admin/team")
            try await p.other.post("/team/switch", [("team", teamID.uuidString)])
            try await p.other.get("/admin/team")
            #expect(try await p.other.post("/admin/team/leave", [("confirmed", "yes")]).status == .seeOther)
            #expect(try await Membership.query(on: app.db).filter(\.$team.$id == teamID).count() == 1)
            try await p.other.get("/admin/team")
            #expect(p.other.lastPage.contains("<h1>Other Org</h1>"))
        }
    }

    @Test(
        "without script, removing a member and leaving the team ask on a page of their own and change nothing until confirmed"
    )
    func removeAndLeaveAskFirst() async throws {
        try await withKagibag { app in
            let p = try await team(app)
            let teamID = try #require(try await Team.query(on: app.db).filter(\.$slug == "acme-events").first()?.id)
            let other = try await membershipID(of: p.otherAccount.email, in: p.admin)
            let members = { try await Membership.query(on: app.db).filter(\.$team.$id == teamID).count() }
            let before = try await members()

            let ask = try await p.admin.post("/admin/team/members/\(other)/remove")
            #expect(ask.status == .ok)
            #expect(p.admin.lastPage.contains("Remove \(p.otherAccount.name) from"))
            #expect(p.admin.lastPage.contains(#"name="confirmed" value="yes""#))
            #expect(p.admin.lastPage.contains("Keep \(p.otherAccount.name)"))
            #expect(try await members() == before)

            try await p.other.get("/admin/team")
            try await p.other.post("/team/switch", [("team", teamID.uuidString)])
            try await p.other.get("/admin/team")
            #expect(try await p.other.post("/admin/team/leave").status == .ok)
            #expect(p.other.lastPage.contains("Stay in the team"))
            #expect(try await members() == before)

            #expect(
                try await p.admin.post("/admin/team/members/\(other)/remove", [("confirmed", "yes")]).status
                    == .seeOther)
            #expect(try await members() == before - 1)
        }
    }

    @Test("another team's membership id answers like a missing one")
    func otherTeamsMembershipIsNotFound() async throws {
        try await withKagibag { app in
            let p = try await pair(app)
            let foreign = try await membershipID(of: p.otherAccount.email, in: p.other)
            #expect(
                try await p.admin.post("/admin/team/members/\(foreign)/remove", [("confirmed", "yes")]).status
                    == .notFound)
            #expect(
                try await p.admin.post("/admin/team/members/not-a-uuid/remove", [("confirmed", "yes")]).status
                    == .notFound)
            #expect(try await Membership.query(on: app.db).count() == 2)
        }
    }

    @Test("switching to a team one is not in is refused")
    func cannotSwitchToForeignTeam() async throws {
        try await withKagibag { app in
            let p = try await pair(app)
            let foreign = try #require(try await Team.query(on: app.db).filter(\.$slug == "other-org").first()?.id)
            #expect(try await p.admin.post("/team/switch", [("team", foreign.uuidString)]).status == .notFound)
            try await p.admin.get("/admin/team")
            #expect(p.admin.lastPage.contains("<h1>Acme Events</h1>"))
        }
    }

    @Test("a new team holds every permission, and the command line changes what the Team page shows")
    func permissionsCommand() async throws {
        try await withKagibag { app in
            let browser = Browser(app)
            try await browser.signUp(Browser.newAccount(team: "Acme Events"))
            try await browser.get("/admin/team")
            for permission in Permission.allCases {
                #expect(browser.lastPage.contains("<li><code>\(permission.rawValue)</code></li>"))
            }
            try await app.runCommand(["team", "permissions", "acme-events", "--revoke", "events:read,attendees:write"])
            try await browser.get("/admin/team")
            #expect(!browser.lastPage.contains("<code>events:read</code>"))
            #expect(!browser.lastPage.contains("<code>attendees:write</code>"))
            #expect(browser.lastPage.contains("<code>events:write</code>"))
            try await app.runCommand(["team", "permissions", "acme-events", "--grant", "events:read"])
            try await browser.get("/admin/team")
            #expect(browser.lastPage.contains("<code>events:read</code>"))
            await #expect(throws: (any Error).self) {
                try await app.runCommand(["team", "permissions", "acme-events", "--grant", "events:delete"])
            }
            await #expect(throws: (any Error).self) {
                try await app.runCommand(["team", "permissions", "no-such-team"])
            }
        }
    }

    @Test("team slugs are unique")
    func slugsAreUnique() async throws {
        try await withKagibag { app in
            try await Browser(app).signUp(Browser.newAccount(team: "Acme Events"))
            try await Browser(app).signUp(Browser.newAccount(team: "ACME events!"))
            let slugs = try await Team.query(on: app.db).all(\.$slug).sorted()
            #expect(slugs == ["acme-events", "acme-events-2"])
        }
    }

    @Test("two admins demoting each other at the same moment still leave the team one admin")
    func concurrentDemotionsKeepAnAdmin() async throws {
        try await withKagibag { app in
            let p = try await pair(app)
            try await p.other.joinTeam(of: p.admin, email: p.otherAccount.email, role: "admin")
            let teamID = try #require(try await Team.query(on: app.db).filter(\.$slug == "acme-events").first()?.id)
            try await p.other.get("/admin/team")
            try await p.other.post("/team/switch", [("team", teamID.uuidString)])
            let adminRow = try await membershipID(of: p.adminAccount.email, in: p.other)
            let otherRow = try await membershipID(of: p.otherAccount.email, in: p.admin)
            async let first = p.admin.post("/admin/team/members/\(otherRow)/role", [("role", "member")])
            async let second = p.other.post("/admin/team/members/\(adminRow)/role", [("role", "member")])
            let statuses = try await [first.status, second.status]
            // Whoever takes the team's lock second has just been demoted: no longer an admin.
            #expect(statuses.filter { $0 == .seeOther }.count == 1)
            #expect(statuses.filter { $0 == .forbidden }.count == 1)
            #expect(
                try await Membership.query(on: app.db).filter(\.$team.$id == teamID).filter(\.$roleColumn == "admin")
                    .count() == 1)
        }
    }
}
