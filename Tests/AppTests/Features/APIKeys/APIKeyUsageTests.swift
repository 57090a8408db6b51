import APIKeyCore
import Fluent
import Foundation
import SQLKit
import Testing
import VaporTesting

@testable import App

@Suite("Key usage: gathered in memory, written in batches, shown per key")
struct APIKeyUsageTests {
    @Test("every counter the usage tables are written with has its column: the migrations made them all")
    func countersHaveColumns() {
        // M012 froze the columns it created; a permission added since needs a migration of its own
        // (and then belongs in this list of migrated columns).
        let migrated =
            M012CreateAPIKeyUsage.counterColumns + M018AddTicketCodesAndCheckIn.counterColumns
            + M019CreateKeyEventUsage.counterColumns
        #expect(Set(APIKeyUsage.counterColumns).isSubset(of: Set(migrated)))
    }

    func call(_ app: Application, _ key: String, _ path: String = "/api/v1/organizer/events", agent: String = "crm/1.0")
        async throws -> HTTPStatus
    {
        try await app.testing().sendRequest(
            .GET, path, headers: ["Authorization": "Bearer \(key)", "User-Agent": agent]
        ).status
    }

    @Test("two instances' batches add up, and the last use keeps the newest address and client")
    func batchesMerge() async throws {
        try await withKagibag({ $0.lastUsedFlushSeconds = 3600 }) { app in
            let (_, _, _) = try await Browser.adminWithKey(app)
            let key = try #require(try await APIKey.query(on: app.db).first())
            let secret = try #require(try await APIKeySecret.query(on: app.db).first()?.id)
            let a = UsageRecorder(interval: 3600), b = UsageRecorder(interval: 3600)
            let now = Date()
            for _ in 0..<3 {
                a.record(
                    .init(
                        secret: secret, key: key.id!, at: now.addingTimeInterval(-60), address: "192.0.2.1",
                        userAgent: "a/1", status: 200, permission: .eventsRead))
            }
            a.record(
                .init(secret: secret, key: key.id!, at: now.addingTimeInterval(-50), address: "192.0.2.1", status: 404))
            b.record(
                .init(
                    secret: secret, key: key.id!, at: now, address: "198.51.100.7", userAgent: "b/2", status: 200,
                    permission: .eventsRead))
            b.record(.init(secret: secret, key: key.id!, at: now, address: "198.51.100.7", status: 429))
            try await b.flush(on: app.db)
            try await a.flush(on: app.db)  // older, written later: counts add, times do not go back
            let today = try #require(try await APIKeyUsage.days(of: key.id!, count: 1, on: app.db).first)
            #expect(today.tally.ok == 4 && today.tally.clientErrors == 1 && today.tally.rateLimited == 1)
            #expect(today.tally.permissions == [4] + Array(repeating: 0, count: Permission.allCases.count - 1))
            let stored = try #require(try await APIKey.find(key.id, on: app.db))
            #expect(stored.lastUsedAddress == "198.51.100.7" && stored.lastUsedUserAgent == "b/2")
            let addresses = try await APIKeyUsage.addresses(of: key.id!, on: app.db)
            #expect(addresses.map(\.address) == ["198.51.100.7", "192.0.2.1"])
        }
    }

    @Test("what was flushed survives a restart, and nothing in the usage tables is a key or a digest")
    func survivesRestart() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("kagibag-usage-\(UUID()).sqlite").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: file + suffix) } }
        var postgres: String?
        if let base = ProcessInfo.processInfo.environment["DATABASE_URL"] {
            postgres = try await TestDatabases.create(from: base).url
        }
        func configured(_ settings: inout Settings) {
            settings.lastUsedFlushSeconds = 3600
            settings.database = postgres.map { .postgres(url: $0) } ?? .sqliteFile(path: file)
        }
        var key = ""
        try await withKagibag(configured) { app in
            (_, key, _) = try await Browser.adminWithKey(app)
            for _ in 0..<5 { #expect(try await call(app, key) == .ok) }
            #expect(
                try await APIKeyUsage.days(
                    of: try #require(try await APIKey.query(on: app.db).first()?.id), count: 1, on: app.db
                )
                .first?.total == 0)
        }  // shutdown writes the batch
        try await withKagibag(configured) { app in
            let id = try #require(try await APIKey.query(on: app.db).first()?.id)
            #expect(try await APIKeyUsage.days(of: id, count: 1, on: app.db).first?.total == 5)
            let dump =
                try await app.db.sql.raw("SELECT * FROM api_key_usage_days").all().description
                + (try await app.db.sql.raw("SELECT * FROM api_key_addresses").all().description)
            #expect(!dump.contains(key) && !dump.contains(APIKeyToken.digest(of: key)))
        }
    }

    /// Makes every key `days` older (the advisor watches a key for a week before suggesting).
    static func age(_ app: Application, days: Int) async throws {
        let created = Date().addingTimeInterval(-TimeInterval(days) * 86400)
        try await app.db.sql.raw("UPDATE api_keys SET created_at = \(bind: created)").run()
    }

    @Test("the key page shows the last use's time, address and client, the daily numbers and the permissions used")
    func keyPage() async throws {
        try await withKagibag { app in
            let (admin, key, path) = try await Browser.adminWithKey(app)
            let longAgent = "agent/" + String(repeating: "x", count: 300) + "<script>"
            for _ in 0..<11 { _ = try await call(app, key) }
            _ = try await call(app, key, "/api/v1/organizer/events/nope")
            _ = try await call(app, key, agent: longAgent)
            try await admin.get(path)
            let page = admin.lastPage
            #expect(page.contains(#"<p id="usage-total">13 requests"#))
            #expect(page.contains("observed for less than a day"))
            #expect(page.contains(#"<td>12</td><td>1</td><td>0</td><td>0</td><td>13</td>"#))
            #expect(page.contains(String(longAgent.prefix(200)).replacingOccurrences(of: "<", with: "&lt;")))
            #expect(!page.contains("<script>"))
            #expect(page.contains("<code>events:read</code> — used 13 times"))
            #expect(page.contains("<code>events:write</code> — <strong class=\"warning-text\">not used</strong>"))
            // Minutes old: too early to suggest taking anything away.
            #expect(page.contains("Too early to tell which permissions and events this key needs"))
            #expect(!page.contains("Restrict to what it uses"))
            try await Self.age(app, days: 8)
            try await admin.get(path)
            #expect(admin.lastPage.contains("Restrict to what it uses"))
            #expect(!admin.lastPage.contains("Too early to tell"))
            #expect(Browser.firstMatch(#"id="key-last-used"><time datetime="([^"]+)""#, in: page) != nil)
        }
    }

    @Test("restricting a key to what it used refuses the rest on its next request, and is audited")
    func restrictToWhatItUses() async throws {
        try await withKagibag { app in
            let (admin, key, path) = try await Browser.adminWithKey(app)
            _ = try await call(app, key)
            #expect(try await admin.get(path + "/restrict").status == .conflict)
            #expect(admin.lastPage.contains("Too early to tell what this key needs"))
            #expect(try await APIKey.query(on: app.db).first()?.granted == nil)
            try await Self.age(app, days: 8)
            try await admin.get(path + "/restrict")
            #expect(
                admin.lastPage.contains(
                    #"<strong id="restrict-unused">events:write, attendees:read, attendees:write, attendees:check_in</strong>"#
                ))
            #expect(try await admin.post(path + "/restrict").status == .seeOther)
            #expect(try await APIKey.query(on: app.db).first()?.granted == [.eventsRead])
            let write = try await app.api("/api/v1/organizer/events", method: .POST, key: key, json: ["name": "x"])
            #expect(write.status == .forbidden)
            #expect(try await call(app, key) == .ok)
            let audit = try await AuditEvent.query(on: app.db).filter(\.$action == "api_key.changed").all().map(
                \.summary)
            #expect(audit.first?.contains("restricted API key “CRM sync”") == true)
            // Nothing left to take away now.
            #expect(try await admin.post(path + "/restrict").status == .conflict)
        }
    }

    @Test(
        "issue 28: a permission the key used at any time in its life is never suggested for removal, even after its daily usage is gone"
    )
    func neverSuggestsAPermissionUsedInTheKeysLife() async throws {
        try await withKagibag { app in
            let (admin, key, path) = try await Browser.adminWithKey(app)
            // A monthly job wrote an event two months ago…
            let write = try await app.api(
                "/api/v1/organizer/events", method: .POST, key: key,
                json: [
                    "name": "Monthly import", "starts_at": "2031-05-01T18:00:00Z", "ends_at": "2031-05-01T20:00:00Z",
                    "timezone": "UTC",
                ])
            #expect(write.status == .created)
            _ = try await app.usage.flush(on: app.db)
            try await app.db.sql.raw("UPDATE api_key_usage_days SET day = day - 60").run()
            // …and reads them daily.
            #expect(try await call(app, key) == .ok)
            _ = try await app.usage.flush(on: app.db)
            try await Self.age(app, days: 70)
            try await admin.get(path)
            #expect(admin.lastPage.contains("Restrict to what it uses"))
            try await admin.get(path + "/restrict")
            #expect(
                admin.lastPage.contains(
                    #"<strong id="restrict-unused">attendees:read, attendees:write, attendees:check_in</strong>"#))
            #expect(try await admin.post(path + "/restrict").status == .seeOther)
            let granted = try #require(try await APIKey.query(on: app.db).first()?.granted)
            #expect(granted == [.eventsRead, .eventsWrite])
        }
    }

    @Test("members see the usage but cannot restrict a key")
    func membersCannotRestrict() async throws {
        try await withKagibag { app in
            let (admin, key, path) = try await Browser.adminWithKey(app)
            _ = try await call(app, key)
            let member = Browser(app)
            let account = Browser.newAccount(team: "Own")
            try await member.signUp(account)
            try await admin.get("/admin/team")
            try await member.joinTeam(of: admin, email: account.email)
            let teamID = try #require(try await Team.query(on: app.db).filter(\.$slug == "acme-events").first()?.id)
            try await member.get("/admin/team")
            try await member.post("/team/switch", [("team", teamID.uuidString)])
            #expect(try await member.get(path).status == .ok)
            #expect(member.lastPage.contains(#"<p id="usage-total">1 request"#))
            #expect(!member.lastPage.contains("1 requests"))
            #expect(!member.lastPage.contains("Restrict to what it uses</a>"))
            #expect(try await member.post(path + "/restrict").status == .forbidden)
            #expect(try await APIKey.query(on: app.db).first()?.granted == nil)
        }
    }

    @Test("an integration reads its own daily numbers; a bad days parameter is a 400")
    func usageAPI() async throws {
        try await withKagibag { app in
            let (_, key, _) = try await Browser.adminWithKey(app)
            for _ in 0..<3 { _ = try await call(app, key) }
            let response = try await app.api("/api/v1/organizer/key/usage?days=7", key: key)
            #expect(response.status == .ok)
            let json = try response.json()
            let days = try #require(json["days"] as? [[String: Any]])
            #expect(days.count == 7)
            #expect(days.last?["date"] as? String == String(RFC3339.format(Date()).prefix(10)))
            #expect(days.last?["ok"] as? Int == 3)
            #expect(json["total"] as? Int == 3)
            for bad in ["0", "91", "x"] {
                let refused = try await app.api("/api/v1/organizer/key/usage?days=\(bad)", key: key)
                #expect(refused.status == .badRequest)
                #expect(try refused.json()["field"] as? String == "days")
            }
        }
    }

    @Test("the list searches, filters, sorts and pages by links")
    func listControls() async throws {
        try await withKagibag({ $0.maxKeysPerTeam = 200 }) { app in
            let admin = Browser(app)
            try await admin.signUp(Browser.newAccount())
            let teamID = try #require(try await Team.query(on: app.db).first()?.id)
            let userID = try #require(try await User.query(on: app.db).first()?.id)
            for index in 1...55 {
                let key = APIKey(
                    teamID: teamID, createdByID: userID, name: String(format: "Key %02d", index),
                    lastFour: String(format: "z%03d", index),
                    policy: .init(
                        description: index == 7 ? "Salesforce 100% sync" : nil, granted: nil, allowedAddresses: [],
                        mayRollItself: false,
                        expiresAt: index == 9 ? Date().addingTimeInterval(86400) : nil))
                if index == 3 { key.pausedAt = Date() }
                try await key.create(on: app.db)
            }
            try await admin.get("/admin/team/api-keys")
            #expect(admin.lastPage.contains(#"<span id="key-count">55 keys</span>"#))
            // 20 a page (a phone's list stays short), 50 or 100 a link away, kept while paging.
            #expect(admin.lastPage.contains("Page 1 of 3"))
            #expect(admin.lastPage.components(separatedBy: "<tr data-key-id=").count - 1 == 20)
            #expect(
                admin.lastPage.contains(#"<a href="/admin/team/api-keys?per_page=50" aria-label="50 keys per page">"#))
            try await admin.get("/admin/team/api-keys?per_page=50")
            #expect(admin.lastPage.contains("Page 1 of 2"))
            #expect(admin.lastPage.components(separatedBy: "<tr data-key-id=").count - 1 == 50)
            #expect(admin.lastPage.contains(#"href="/admin/team/api-keys?per_page=50&amp;page=2" rel="next""#))
            try await admin.get("/admin/team/api-keys?per_page=50&page=2")
            #expect(admin.lastPage.components(separatedBy: "<tr data-key-id=").count - 1 == 5)
            try await admin.get("/admin/team/api-keys?per_page=7")  // not offered: the default
            #expect(admin.lastPage.components(separatedBy: "<tr data-key-id=").count - 1 == 20)
            try await admin.get("/admin/team/api-keys?q=100%25")
            #expect(
                admin.lastPage.contains(#"<span id="key-count">1 key</span>"#) && admin.lastPage.contains(">Key 07</a>")
            )
            try await admin.get("/admin/team/api-keys?q=Z055")
            #expect(admin.lastPage.contains(">Key 55</a>") && admin.lastPage.contains("1 key<"))
            try await admin.get("/admin/team/api-keys?status=paused")
            #expect(admin.lastPage.contains(">Key 03</a>") && admin.lastPage.contains("1 key<"))
            try await admin.get("/admin/team/api-keys?status=expiring")
            #expect(admin.lastPage.contains(">Key 09</a>") && admin.lastPage.contains("1 key<"))
            try await admin.get("/admin/team/api-keys?status=never_used&sort=name")
            #expect(admin.lastPage.contains("55 keys"))
            let first = Browser.firstMatch(#"class="key-name">([^<]+)</a>"#, in: admin.lastPage)
            #expect(first == "Key 01")
            // Made minutes ago, none is idle (an old link's "unused" opens the idle filter).
            for status in ["idle", "unused"] {
                try await admin.get("/admin/team/api-keys?status=\(status)")
                #expect(admin.lastPage.contains("No key matches."))
                #expect(admin.lastPage.contains(#"<option value="idle" selected>"#))
            }
            // Made 40 days ago: Key 02 never used since, Key 04 used two days ago.
            let old = Date().addingTimeInterval(-40 * 86400), recent = Date().addingTimeInterval(-2 * 86400)
            try await app.db.sql.raw(
                "UPDATE api_keys SET created_at = \(bind: old) WHERE name IN ('Key 02', 'Key 04')"
            ).run()
            try await app.db.sql.raw("UPDATE api_keys SET last_used_at = \(bind: recent) WHERE name = 'Key 04'").run()
            try await admin.get("/admin/team/api-keys?status=idle")
            #expect(admin.lastPage.contains(">Key 02</a>") && admin.lastPage.contains("1 key<"))
            try await admin.get("/admin/team/api-keys?status=never_used")
            #expect(admin.lastPage.contains("54 keys") && !admin.lastPage.contains(">Key 04</a>"))
            try await admin.get("/admin/team/api-keys?q=nothing-like-this")
            #expect(admin.lastPage.contains("No key matches."))
            #expect(try await admin.get("/admin/team/api-keys?status=bogus&sort=bogus&page=-3").status == .ok)
        }
    }
}
