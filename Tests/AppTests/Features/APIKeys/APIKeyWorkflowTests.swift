import APIKeyCore
import Fluent
import Testing
import VaporTesting

@testable import App

@Suite("API keys in the web UI: created once, listed by preview, deleted at once")
struct APIKeyWorkflowTests {
    @Test("an admin creates a key, sees it exactly once, and afterwards only its last four")
    func keyIsShownOnce() async throws {
        try await withKagibag { app in
            // setup
            let admin = Browser(app)
            try await admin.signUp(Browser.newAccount())
            try await admin.get("/admin/team/api-keys")
            #expect(admin.lastPage.contains("No API keys yet"))
            // MUT
            try await admin.get("/admin/team/api-keys/new")
            let nonce = try #require(Browser.firstMatch(#"name="nonce" value="([^"]+)""#, in: admin.lastPage))
            let created = try await admin.post("/admin/team/api-keys", [("name", "  CRM sync  "), ("nonce", nonce)])
            // validate
            #expect(created.status == .created)
            #expect(created.headers.first(name: .cacheControl) == "no-store")
            let key = try #require(
                Browser.firstMatch(#"id="new-api-key"[^>]*>(kgb_[0-9A-Za-z]+)<"#, in: admin.lastPage))
            #expect(try APIKeyToken(parsing: key).plaintext == key)
            #expect(admin.lastPage.contains("shown only once"))

            let list = try await admin.get("/admin/team/api-keys")
            #expect(list.headers.first(name: .cacheControl) == "no-store")
            #expect(!admin.lastPage.contains(key))
            #expect(admin.lastPage.contains(#"class="key-name">CRM sync</a>"#))
            #expect(admin.lastPage.contains("…" + key.suffix(4)))
            #expect(admin.lastPage.contains("Never"))

            let stored = try #require(try await APIKey.query(on: app.db).first())
            let secret = try #require(try await APIKeySecret.query(on: app.db).first())
            #expect(secret.digest == APIKeyToken.digest(of: key))
            #expect(secret.$key.id == stored.id)
            #expect(stored.lastFour == String(key.suffix(4)))
            #expect(stored.name == "CRM sync")
            #expect(stored.$createdBy.id == (try await User.query(on: app.db).first()?.id))
            let sessions = try await BrowserSession.query(on: app.db).all()
            #expect(!sessions.contains { $0.data.contains(key) })
        }
    }

    @Test("re-posting the creation form (a reload) creates no second key and shows no key")
    func repostDoesNotCreateAgain() async throws {
        try await withKagibag { app in
            let admin = Browser(app)
            try await admin.signUp(Browser.newAccount())
            try await admin.get("/admin/team/api-keys/new")
            let nonce = try #require(Browser.firstMatch(#"name="nonce" value="([^"]+)""#, in: admin.lastPage))
            let csrf = try #require(admin.csrf)
            try await admin.post("/admin/team/api-keys", [("name", "CRM sync"), ("nonce", nonce)])
            admin.csrf = csrf
            let again = try await admin.post("/admin/team/api-keys", [("name", "CRM sync"), ("nonce", nonce)])
            #expect(again.status == .seeOther)
            #expect(try await APIKey.query(on: app.db).count() == 1)
            try await admin.get("/admin/team/api-keys")
            #expect(admin.lastPage.contains("shown only once"))
            #expect(!admin.lastPage.contains("new-api-key"))
        }
    }

    @Test(
        "a key needs a name of 1 to 100 characters, unique in the team",
        arguments: [
            ("", "Name is required."), ("   ", "Name is required."),
            (String(repeating: "x", count: 101), "at most 100"),
            ("crm SYNC", "already has a key named"),
        ]
    )
    func nameRules(name: String, message: String) async throws {
        try await withKagibag { app in
            let admin = Browser(app)
            try await admin.signUp(Browser.newAccount())
            _ = try await admin.createKey(named: "CRM sync")
            let response = try await admin.post("/admin/team/api-keys", [("name", name)])
            #expect([.unprocessableEntity, .conflict].contains(response.status))
            #expect(admin.lastPage.contains(message))
            #expect(try await APIKey.query(on: app.db).count() == 1)
        }
    }

    @Test("a team holds at most the configured number of keys, with a clear message")
    func keyLimit() async throws {
        try await withKagibag({ $0.maxKeysPerTeam = 2 }) { app in
            let admin = Browser(app)
            try await admin.signUp(Browser.newAccount())
            _ = try await admin.createKey(named: "one")
            _ = try await admin.createKey(named: "two")
            let third = try await admin.post("/admin/team/api-keys", [("name", "three")])
            #expect(third.status == .conflict)
            #expect(admin.lastPage.contains("the most it can hold"))
            #expect(try await APIKey.query(on: app.db).count() == 2)
        }
    }

    @Test("a member can see the keys but neither create nor delete one, and is told who can")
    func memberCannotCreateOrDelete() async throws {
        try await withKagibag { app in
            let admin = Browser(app), member = Browser(app)
            let adminAccount = Browser.newAccount(team: "Acme Events")
            let memberAccount = Browser.newAccount(team: "Elsewhere")
            try await admin.signUp(adminAccount)
            try await member.signUp(memberAccount)
            try await admin.get("/admin/team")
            try await member.joinTeam(of: admin, email: memberAccount.email)
            _ = try await admin.createKey(named: "CRM sync")
            let keyID = try #require(try await APIKey.query(on: app.db).first()?.id)
            let teamID = try #require(try await Team.query(on: app.db).filter(\.$slug == "acme-events").first()?.id)
            try await member.get("/admin/team")
            try await member.post("/team/switch", [("team", teamID.uuidString)])

            try await member.get("/admin/team/api-keys")
            #expect(member.lastPage.contains("Only team admins can create or delete API keys."))
            #expect(member.lastPage.contains(adminAccount.name))
            #expect(!member.lastPage.contains("Create API Key</a>"))
            #expect(member.lastPage.contains(#"class="key-name">CRM sync</a>"#))
            // Issue 28: no Activity link for a member (it would only say it is for admins); admins have it.
            #expect(!member.lastPage.contains(">Activity</a>"))
            try await admin.get("/admin/team/api-keys")
            #expect(admin.lastPage.contains(">Activity</a>"))

            #expect(try await member.post("/admin/team/api-keys", [("name", "sneaky")]).status == .forbidden)
            #expect(try await member.post("/admin/team/api-keys/\(keyID)/delete").status == .forbidden)
            #expect(try await APIKey.query(on: app.db).all().map(\.name) == ["CRM sync"])
        }
    }

    @Test("deleting a key refuses the very next API request with it")
    func deleteRevokesAtOnce() async throws {
        try await withKagibag({ $0.lastUsedFlushSeconds = 3600 }) { app in
            let admin = Browser(app)
            try await admin.signUp(Browser.newAccount())
            let key = try await admin.createKey(named: "CRM sync")
            #expect(try await app.api("/api/v1/organizer/events", key: key).status == .ok)
            let keyID = try #require(try await APIKey.query(on: app.db).first()?.id)
            try await admin.get("/admin/team/api-keys/\(keyID.uuidString.lowercased())/delete")
            #expect(admin.lastPage.contains("Delete key"))
            let deleted = try await admin.post("/admin/team/api-keys/\(keyID.uuidString.lowercased())/delete")
            #expect(deleted.status == .seeOther)
            let after = try await app.api("/api/v1/organizer/events", key: key)
            #expect(after.status == .unauthorized)
            #expect(after.challenge.contains(#"error="invalid_token""#))
            try await admin.get("/admin/team/api-keys")
            #expect(admin.lastPage.contains("No API keys yet"))
        }
    }

    @Test("an admin of another team cannot see or delete this team's key")
    func otherTeamCannotDelete() async throws {
        try await withKagibag { app in
            let owner = Browser(app), stranger = Browser(app)
            try await owner.signUp(Browser.newAccount(team: "Acme"))
            try await stranger.signUp(Browser.newAccount(team: "Rival"))
            _ = try await owner.createKey(named: "CRM sync")
            let keyID = try #require(try await APIKey.query(on: app.db).first()?.id).uuidString.lowercased()
            try await stranger.get("/admin/team/api-keys")
            #expect(!stranger.lastPage.contains("<td>CRM sync</td>"))
            #expect(try await stranger.get("/admin/team/api-keys/\(keyID)/delete").status == .notFound)
            #expect(try await stranger.post("/admin/team/api-keys/\(keyID)/delete").status == .notFound)
            #expect(try await APIKey.query(on: app.db).count() == 1)
        }
    }

    @Test("a key can be given an expiry; once past it the key gets 401 and the list says Expired")
    func expiringKeys() async throws {
        try await withKagibag { app in
            let admin = Browser(app)
            try await admin.signUp(Browser.newAccount())
            try await admin.get("/admin/team/api-keys/new")
            let bad = try await admin.post("/admin/team/api-keys", [("name", "odd"), ("expires_in_days", "13")])
            #expect(bad.status == .unprocessableEntity)
            let created = try await admin.post(
                "/admin/team/api-keys", [("name", "Temporary"), ("expires_in_days", "7")])
            #expect(created.status == .created)
            let key = try #require(
                Browser.firstMatch(#"id="new-api-key"[^>]*>(kgb_[0-9A-Za-z]+)<"#, in: admin.lastPage))
            let stored = try #require(try await APIKey.query(on: app.db).first())
            let expiresAt = try #require(stored.expiresAt)
            #expect(abs(expiresAt.timeIntervalSinceNow - 7 * 86400) < 120)
            #expect(try await app.api("/api/v1/organizer/events", key: key).status == .ok)
            try await admin.get("/admin/team/api-keys")
            #expect(admin.lastPage.contains("in 7 days"))

            stored.expiresAt = Date().addingTimeInterval(-1)
            try await stored.save(on: app.db)
            let refused = try await app.api("/api/v1/organizer/events", key: key)
            #expect(refused.status == .unauthorized)
            #expect(refused.challenge.contains(#"error="invalid_token""#))
            #expect(refused.challenge.contains("expired"))
            try await admin.get("/admin/team/api-keys")
            #expect(admin.lastPage.contains("Expired"))
        }
    }
}
