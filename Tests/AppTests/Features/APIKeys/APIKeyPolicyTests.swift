import APIKeyCore
import Fluent
import Testing
import VaporTesting

@testable import App

@Suite("Narrower keys: permissions, address fences, descriptions and the team's lifetime policy")
struct APIKeyPolicyTests {
    /// A signed-up admin of "Acme Events" and the path of the key page of a key made with `fields`.
    func admin(_ app: Application) async throws -> Browser {
        let admin = Browser(app)
        try await admin.signUp(Browser.newAccount())
        return admin
    }

    func keyPath(_ app: Application, named name: String) async throws -> String {
        let key = try #require(try await APIKey.query(on: app.db).filter(\.$name == name).first())
        return "/admin/team/api-keys/\(key.id!.lowercasedString)"
    }

    @Test("a read-only key reads but cannot write, and the 403 says the key, not the team, lacks it")
    func readOnlyKey() async throws {
        try await withKagibag { app in
            let admin = try await admin(app)
            let key = try await admin.createKey(
                named: "CRM read",
                [("permission_choice", "only"), ("permissions[]", "events:read"), ("permissions[]", "attendees:read")])
            #expect(try await app.api("/api/v1/organizer/events", key: key).status == .ok)
            let write = try await app.api("/api/v1/organizer/events", method: .POST, key: key, json: ["name": "x"])
            #expect(write.status == .forbidden)
            #expect(write.challenge.contains(#"error="insufficient_scope""#))
            #expect(write.challenge.contains(#"scope="events:write""#))
            #expect(
                try write.json()["detail"] as? String
                    == "This key's permissions do not include events:write; its team has it, so an admin can widen the key."
            )
            let json = try await app.api("/api/v1/organizer/key", key: key).json()
            #expect(json["granted"] as? [String] == ["events:read", "attendees:read"])
            #expect(json["permissions"] as? [String] == ["events:read", "attendees:read"])
            try await admin.get("/admin/team/api-keys")
            #expect(admin.lastPage.contains("events:read, attendees:read"))
            #expect(try await StoredEvents.count(app) == 0)
        }
    }

    @Test("a key's permissions are its own choice within the team's current ones")
    func intersectionWithTeam() async throws {
        try await withKagibag { app in
            let admin = try await admin(app)
            let narrow = try await admin.createKey(
                named: "Reader", [("permission_choice", "only"), ("permissions[]", "events:read")])
            let full = try await admin.createKey(named: "Full")
            try await app.runCommand(["team", "permissions", "acme-events", "--revoke", "events:read"])
            let refused = try await app.api("/api/v1/organizer/events", key: narrow)
            #expect(refused.status == .forbidden)
            #expect(try refused.json()["detail"] as? String == "This team's permissions do not include events:read.")
            #expect(try await app.api("/api/v1/organizer/events", key: full).status == .forbidden)
            let info = try await app.api("/api/v1/organizer/key", key: narrow).json()
            #expect(info["granted"] as? [String] == ["events:read"])
            #expect(info["permissions"] as? [String] == [])
            let fullInfo = try await app.api("/api/v1/organizer/key", key: full).json()
            #expect(fullInfo["granted"] as? String == "team")
            try await app.runCommand(["team", "permissions", "acme-events", "--grant", "events:read"])
            #expect(try await app.api("/api/v1/organizer/events", key: narrow).status == .ok)
        }
    }

    @Test(
        "an empty, unknown or unheld permission choice is refused with a message and creates nothing",
        arguments: [
            ([("permission_choice", "only")], "Choose at least one permission"),
            ([("permission_choice", "only"), ("permissions[]", "events:delete")], "is not a permission"),
            ([("permission_choice", "some")], "permissions or only some of them"),
        ])
    func badPermissionChoices(fields: [(String, String)], message: String) async throws {
        try await withKagibag { app in
            let admin = try await admin(app)
            try await admin.get("/admin/team/api-keys/new")
            let response = try await admin.post("/admin/team/api-keys", [("name", "Bad")] + fields)
            #expect(response.status == .unprocessableEntity)
            #expect(admin.lastPage.contains(message))
            #expect(try await APIKey.query(on: app.db).count() == 0)
        }
    }

    @Test("a key cannot get a permission its team does not hold")
    func unheldPermission() async throws {
        try await withKagibag { app in
            let admin = try await admin(app)
            try await app.runCommand(["team", "permissions", "acme-events", "--revoke", "events:write"])
            try await admin.get("/admin/team/api-keys/new")
            #expect(!admin.lastPage.contains(#"value="events:write""#))
            let response = try await admin.post(
                "/admin/team/api-keys",
                [("name", "Writer"), ("permission_choice", "only"), ("permissions[]", "events:write")])
            #expect(response.status == .unprocessableEntity)
            #expect(admin.lastPage.contains("This team does not hold events:write"))
            #expect(try await APIKey.query(on: app.db).count() == 0)
        }
    }

    @Test("an address fence admits its ranges only, and the 403 names the fence but never the list")
    func addressFence() async throws {
        try await withKagibag { app in
            let admin = try await admin(app)
            let fenced = try await admin.createKey(
                named: "Office", [("allowed_addresses", "10.0.0.0/8\n2001:db8::/32")])
            let local = try await admin.createKey(named: "Local", [("allowed_addresses", "127.0.0.0/8, ::1")])
            let live = try app.testing(method: .running(port: 0))
            var headers = HTTPHeaders()
            headers.bearerAuthorization = .init(token: fenced)
            let refused = try await live.sendRequest(.GET, "/api/v1/organizer/events", headers: headers)
            #expect(refused.status == .forbidden)
            let detail = try #require(try refused.json()["detail"] as? String)
            #expect(detail.contains("client addresses its admins allowed"))
            #expect(!detail.contains("10.0.0.0") && !detail.contains("2001:db8"))
            headers.bearerAuthorization = .init(token: local)
            #expect(try await live.sendRequest(.GET, "/api/v1/organizer/events", headers: headers).status == .ok)
            try await admin.get("/admin/team/api-keys")
            #expect(admin.lastPage.contains("From 10.0.0.0/8, 2001:db8::/32"))
        }
    }

    @Test(
        "malformed and too many fence entries are refused, each bad entry named",
        arguments: [
            ("10.0.0.0/33", "needs a prefix length from 0 to 32"),
            ("10.0.0.0/8\nexample.com", "“example.com” is not an IPv4 or IPv6 address"),
            ("10.1.0.0/8", "did you mean 10.0.0.0/8?"),
            ((1...21).map { "10.0.0.\($0)" }.joined(separator: " "), "At most 20 addresses or ranges; this has 21."),
        ])
    func badFences(entries: String, message: String) async throws {
        try await withKagibag { app in
            let admin = try await admin(app)
            try await admin.get("/admin/team/api-keys/new")
            let response = try await admin.post(
                "/admin/team/api-keys", [("name", "Fenced"), ("allowed_addresses", entries)])
            #expect(response.status == .unprocessableEntity)
            #expect(admin.lastPage.contains(message))
            #expect(try await APIKey.query(on: app.db).count() == 0)
        }
    }

    @Test("editing renames, describes, narrows and fences a key, effective on its next request, and audits it")
    func editKey() async throws {
        try await withKagibag { app in
            let admin = try await admin(app)
            let key = try await admin.createKey(named: "CRM sync")
            _ = try await admin.createKey(named: "Taken")
            let path = try await keyPath(app, named: "CRM sync")
            try await admin.get(path + "/edit")
            let taken = try await admin.post(path + "/edit", [("name", "taken")])
            #expect(taken.status == .conflict)
            #expect(admin.lastPage.contains("already has a key named"))
            let control = try await admin.post(path + "/edit", [("name", "CRM sync"), ("description", "bell \u{7}")])
            #expect(control.status == .unprocessableEntity)
            #expect(admin.lastPage.contains("without control characters"))
            let saved = try await admin.post(
                path + "/edit",
                [
                    ("name", "Salesforce"), ("description", "Nightly sync, owner: ops@"), ("permission_choice", "only"),
                    ("permissions[]", "events:read"), ("allowed_addresses", "10.0.0.0/8"),
                ])
            #expect(saved.status == .seeOther)
            let stored = try #require(try await APIKey.query(on: app.db).filter(\.$name == "Salesforce").first())
            #expect(stored.keyDescription == "Nightly sync, owner: ops@")
            #expect(stored.granted == [.eventsRead])
            #expect(stored.allowedAddresses == "10.0.0.0/8")
            let fenced = try await app.testing(method: .running(port: 0)).sendRequest(
                .GET, "/api/v1/organizer/events", headers: ["Authorization": "Bearer \(key)"])
            #expect(fenced.status == .forbidden)
            try await admin.get("/admin/team/api-keys")
            #expect(admin.lastPage.contains("Nightly sync, owner: ops@"))
            let audit = try await AuditEvent.query(on: app.db).filter(\.$action == "api_key.changed").all().map(
                \.summary)
            #expect(audit.count == 1)
            #expect(audit.first?.contains("renamed from “CRM sync”") == true)
            #expect(audit.first?.contains("permissions: all team permissions → events:read") == true)
            #expect(audit.first?.contains("addresses: any address → 10.0.0.0/8") == true)
        }
    }

    @Test("a description over 500 characters is refused")
    func longDescription() async throws {
        try await withKagibag { app in
            let admin = try await admin(app)
            try await admin.get("/admin/team/api-keys/new")
            let response = try await admin.post(
                "/admin/team/api-keys", [("name", "Long"), ("description", String(repeating: "x", count: 501))])
            #expect(response.status == .unprocessableEntity)
            #expect(admin.lastPage.contains("Description must be at most 500 characters."))
        }
    }

    @Test("the team's maximum key lifetime limits new keys and leaves existing ones alone")
    func maximumLifetime() async throws {
        try await withKagibag { app in
            let admin = try await admin(app)
            _ = try await admin.createKey(named: "Forever")
            try await admin.get("/admin/team")
            #expect(
                try await admin.post("/admin/team/key-policy", [("max_key_lifetime_days", "45")]).status
                    == .unprocessableEntity)
            #expect(
                try await admin.post("/admin/team/key-policy", [("max_key_lifetime_days", "30")]).status == .seeOther)
            try await admin.get("/admin/team/api-keys/new")
            #expect(!admin.lastPage.contains("No expiration</option>"))
            // Issue 28: the form says why, and preselects the longest the team allows under 90 days.
            #expect(admin.lastPage.contains("Your team allows at most 30 days, so “No expiration” is not offered."))
            #expect(admin.lastPage.contains(#"<option value="30" selected>"#))
            for days in ["0", "365"] {
                let refused = try await admin.post(
                    "/admin/team/api-keys", [("name", "Long \(days)"), ("expires_in_days", days)])
                #expect(refused.status == .unprocessableEntity)
                #expect(admin.lastPage.contains("keys may live at most 30 days"))
            }
            _ = try await admin.createKey(named: "Month", [("expires_in_days", "30")])
            let keys = try await APIKey.query(on: app.db).all()
            #expect(keys.first { $0.name == "Forever" }?.expiresAt == nil)
            let month = try #require(keys.first { $0.name == "Month" }?.expiresAt)
            #expect(abs(month.timeIntervalSinceNow - 30 * 86400) < 60)
            let audit = try await AuditEvent.query(on: app.db).filter(\.$action == "team.key_policy_changed").all()
            #expect(audit.map(\.summary) == ["set the maximum API key lifetime to 30 days"])
        }
    }

    @Test(
        "a new key's form offers 90 days first and folds description, events, addresses and self-rolling under More options, open again when one was set"
    )
    func createFormFoldsTheRarerOptions() async throws {
        try await withKagibag { app in
            let admin = try await admin(app)
            try await admin.get("/admin/team/api-keys/new")
            let page = admin.lastPage
            #expect(page.contains(#"<option value="90" selected>"#))
            #expect(page.contains("No expiration</option>"))
            #expect(page.contains(#"<details class="more-options" id="key-more-options">"#))
            // Name, permissions and expiration come before the fold; the rest inside it.
            let fold = try #require(page.range(of: "key-more-options")).lowerBound
            for id in [#"id="key-name""#, #"id="key-permissions""#, #"id="key-expires""#] {
                #expect(try #require(page.range(of: id)).lowerBound < fold)
            }
            for id in [#"id="key-description""#, #"id="key-events""#, #"id="key-addresses""#, "may_roll_itself"] {
                #expect(try #require(page.range(of: id)).lowerBound > fold)
            }
            // A problem inside the fold opens it, with the problem next to its field.
            let refused = try await admin.post(
                "/admin/team/api-keys", [("name", "Fenced"), ("allowed_addresses", "300.1.2.3")])
            #expect(refused.status == .unprocessableEntity)
            #expect(admin.lastPage.contains(#"<details class="more-options" id="key-more-options" open>"#))
            // The edit page shows every field, unfolded.
            _ = try await admin.createKey(named: "Plain")
            let key = try #require(try await APIKey.query(on: app.db).first())
            try await admin.get("/admin/team/api-keys/\(key.id!.lowercasedString)/edit")
            #expect(!admin.lastPage.contains("key-more-options"))
            #expect(admin.lastPage.contains(#"id="key-addresses""#))
        }
    }

    @Test("members see a key's page read-only and every change is refused for them, by direct POST too")
    func membersAreReadOnly() async throws {
        try await withKagibag { app in
            let admin = try await admin(app)
            let member = Browser(app)
            let account = Browser.newAccount(team: "Member's own")
            try await member.signUp(account)
            try await admin.get("/admin/team")
            try await member.joinTeam(of: admin, email: account.email)
            _ = try await admin.createKey(named: "CRM sync")
            let path = try await keyPath(app, named: "CRM sync")
            let teamID = try #require(try await Team.query(on: app.db).filter(\.$slug == "acme-events").first()?.id)
            try await member.get("/admin/team")
            try await member.post("/team/switch", [("team", teamID.uuidString)])
            #expect(try await member.get(path).status == .ok)
            #expect(member.lastPage.contains("Only team admins can change API keys."))
            #expect(!member.lastPage.contains("Roll key"))
            for action in ["/edit", "/roll", "/pause", "/resume", "/end-grace", "/delete"] {
                #expect(
                    try await member.post(path + action, [("name", "Hijacked"), ("grace", "0")]).status == .forbidden)
            }
            #expect(
                try await member.post("/admin/team/key-policy", [("max_key_lifetime_days", "30")]).status == .forbidden)
            let key = try #require(try await APIKey.query(on: app.db).first())
            #expect(key.name == "CRM sync" && key.pausedAt == nil)
            #expect(try await APIKeySecret.query(on: app.db).count() == 1)
        }
    }

    @Test("another team's key page and actions answer 404 and change nothing")
    func otherTeamsKey() async throws {
        try await withKagibag { app in
            let owner = try await admin(app)
            _ = try await owner.createKey(named: "CRM sync")
            let path = try await keyPath(app, named: "CRM sync")
            let stranger = Browser(app)
            try await stranger.signUp(Browser.newAccount(team: "Strangers"))
            #expect(try await stranger.get(path).status == .notFound)
            for action in ["/edit", "/roll", "/pause", "/end-grace"] {
                #expect(try await stranger.post(path + action, [("name", "Mine"), ("grace", "0")]).status == .notFound)
            }
            let key = try #require(try await APIKey.query(on: app.db).first())
            #expect(key.name == "CRM sync" && key.pausedAt == nil)
        }
    }
}
