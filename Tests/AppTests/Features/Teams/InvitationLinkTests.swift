import Fluent
import Foundation
import Testing
import VaporTesting

@testable import App

/// Issue 28, point 2: an invited person signs up from the link the admin sends, names no team,
/// and lands in the team that invited them; the link is useless for any other address.
@Suite("Invitation links")
struct InvitationLinkTests {
    static let linkPattern = #"value="https?://[^"]*(/join/[0-9A-Za-z]{32})""#

    /// An admin of "Acme Events" who invited `email` as `role`, and the link they copy.
    func invite(_ email: String, as role: String = "member", _ app: Application) async throws -> (
        admin: Browser, link: String
    ) {
        let admin = Browser(app)
        try await admin.signUp(Browser.newAccount(team: "Acme Events"))
        try await admin.get("/admin/team")
        try await admin.post("/admin/team/members", [("email", email), ("role", role)])
        try await admin.get("/admin/team")
        let link = try #require(Browser.firstMatch(Self.linkPattern, in: admin.lastPage))
        return (admin, link)
    }

    @Test("an invited address signs up from the link without naming a team and lands in the inviting team")
    func signUpFromLinkJoinsTheTeam() async throws {
        try await withKagibag { app in
            let (admin, link) = try await invite("marta@example.com", as: "admin", app)
            let marta = Browser(app)
            let opened = try await marta.get(link)
            #expect(marta.lastPage.contains("Join Acme Events on Kagibag"))
            // Its address holds the token: no Referer leaves the page, not even to the stylesheet.
            #expect(opened.headers.first(name: "Referrer-Policy") == "no-referrer")
            #expect(opened.headers.first(name: .cacheControl)?.contains("no-store") == true)
            #expect(!marta.lastPage.contains(#"name="team""#))
            let token = String(link.dropFirst("/join/".count))
            let response = try await marta.post(
                "/signup",
                [
                    ("name", "Marta"), ("email", "marta@example.com"), ("password", "correct horse battery"),
                    ("invitation", token),
                ])
            #expect(response.status == .seeOther)
            try await marta.get("/admin/team")
            #expect(marta.lastPage.contains("<h1>Acme Events</h1>"))
            #expect(marta.lastPage.contains("Welcome to Acme Events. You joined it as Admin."))
            #expect(try await Team.query(on: app.db).count() == 1)  // no "Marta's team"
            let marta_ = try #require(try await User.query(on: app.db).filter(\.$email == "marta@example.com").first())
            let membership = try #require(
                try await Membership.query(on: app.db).filter(\.$user.$id == marta_.id!).first())
            #expect(membership.role == .admin)
            // Single use: the invitation is gone, the link says so, and the admin's list is empty.
            #expect(try await Invitation.query(on: app.db).count() == 0)
            let stranger = Browser(app)
            #expect(try await stranger.get(link).status == .notFound)
            #expect(stranger.lastPage.contains("This invitation link no longer works"))
            try await admin.get("/admin/team")
            #expect(admin.lastPage.contains("No pending invitations."))
            try await admin.get("/admin/team/activity")
            #expect(admin.lastPage.contains("signed up with the invitation from"))
        }
    }

    @Test(
        "the link is useless for another address: signing up with one changes nothing, signed in as one it says whose it is"
    )
    func linkIsBoundToTheInvitedAddress() async throws {
        try await withKagibag { app in
            let (_, link) = try await invite("marta@example.com", app)
            let token = String(link.dropFirst("/join/".count))
            let intruder = Browser(app)
            try await intruder.get(link)
            let response = try await intruder.post(
                "/signup",
                [
                    ("name", "Mallory"), ("email", "mallory@example.com"), ("password", "correct horse battery"),
                    ("invitation", token),
                ])
            #expect(response.status == .unprocessableEntity)
            #expect(intruder.lastPage.contains("This invitation is for marta@example.com."))
            #expect(try await User.query(on: app.db).count() == 1)
            #expect(try await Invitation.query(on: app.db).count() == 1)
            // Someone signed in with another account is told, and nothing is accepted.
            let other = Browser(app)
            try await other.signUp(Browser.newAccount(team: "Elsewhere"))
            try await other.get(link)
            #expect(other.lastPage.contains("This invitation is for another account"))
            #expect(!other.lastPage.contains("/accept"))
            #expect(try await Invitation.query(on: app.db).count() == 1)
        }
    }

    @Test("someone with an account logs in from the link and is shown the invitation to accept")
    func existingAccountLogsInToAccept() async throws {
        try await withKagibag { app in
            let account = Browser.newAccount(team: "Elsewhere")
            let marta = Browser(app)
            try await marta.signUp(account)
            try await marta.get("/admin")
            #expect(try await marta.post("/logout").status == .seeOther)
            let (_, link) = try await invite(account.email, app)
            try await marta.get(link)
            let login = try #require(
                Browser.firstMatch(#"href="(/login\?invitation=[0-9A-Za-z]{32})""#, in: marta.lastPage))
            try await marta.get(login)
            let token = String(link.dropFirst("/join/".count))
            let response = try await marta.post(
                "/login", [("email", account.email), ("password", account.password), ("invitation", token)])
            #expect(response.headers.first(name: .location) == link)
            try await marta.get(link)
            #expect(marta.lastPage.contains("Your invitation to Acme Events"))
            let accept = try #require(Browser.firstMatch(InvitationTests.acceptPattern, in: marta.lastPage))
            #expect(try await marta.post(accept).status == .seeOther)
            try await marta.get("/admin/team")
            #expect(marta.lastPage.contains("<h1>Acme Events</h1>"))
        }
    }

    @Test(
        "a withdrawn invitation's link no longer signs anyone up: the form asks for a team again and no account joins")
    func withdrawnLinkStopsWorking() async throws {
        try await withKagibag { app in
            let (admin, link) = try await invite("marta@example.com", app)
            let marta = Browser(app)
            try await marta.get(link)
            let withdraw = try #require(
                Browser.firstMatch(#"action="(/admin/team/invitations/[0-9a-f-]+/withdraw)""#, in: admin.lastPage))
            try await admin.post(withdraw)
            let response = try await marta.post(
                "/signup",
                [
                    ("name", "Marta"), ("email", "marta@example.com"), ("password", "correct horse battery"),
                    ("invitation", String(link.dropFirst("/join/".count))),
                ])
            #expect(response.status == .unprocessableEntity)
            #expect(marta.lastPage.contains("That invitation link no longer works"))
            #expect(marta.lastPage.contains(#"name="team""#))
            #expect(try await User.query(on: app.db).count() == 1)
            #expect(try await Membership.query(on: app.db).count() == 1)
        }
    }

    @Test("invented and malformed links answer 404 and look nothing up")
    func inventedLinks() async throws {
        try await withKagibag { app in
            _ = try await invite("marta@example.com", app)
            let stranger = Browser(app)
            for path in ["/join/" + String(repeating: "A", count: 32), "/join/short", "/join/%00%27"] {
                #expect(try await stranger.get(path).status == .notFound)
            }
        }
    }
}
