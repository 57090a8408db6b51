import APIKeyCore
import Fluent
import Testing
import VaporTesting

@testable import App

@Suite("Rolling, pausing and expiring keys")
struct APIKeyRollTests {
    func status(_ app: Application, _ key: String) async throws -> HTTPStatus {
        try await app.api("/api/v1/organizer/events", key: key).status
    }

    @Test(
        "Roll and End now ask first, naming the secret that stops, its last use and when it stops; asking changes nothing"
    )
    func rollAndEndNowAskFirst() async throws {
        try await withKagibag { app in
            let (admin, old, path) = try await Browser.adminWithKey(app)
            #expect(try await status(app, old) == .ok)
            _ = try await app.usage.flush(on: app.db)
            try await admin.get(path)
            #expect(admin.lastPage.contains(#"data-confirm="Roll CRM sync?""#))
            let rollButton = try #require(Browser.firstMatch(#"(<button[^>]*>Roll key</button>)"#, in: admin.lastPage))
            #expect(!rollButton.contains("primary"))
            let nonce = try #require(Browser.firstMatch(#"name="nonce" value="([^"]+)""#, in: admin.lastPage))
            let asked = try await admin.post(
                path + "/roll", [("grace", "86400"), ("nonce", nonce), ("replacing", String(old.suffix(4)))])
            #expect(asked.status == .ok)
            let page = admin.lastPage
            #expect(page.contains("Roll “CRM sync”?"))
            #expect(page.contains("The current secret …\(old.suffix(4)) was last used"))
            #expect(page.contains("keeps working for 24 hours (until "))
            #expect(page.contains(#"<input type="hidden" name="confirmed" value="yes">"#))
            #expect(page.contains(#"name="grace" value="86400""#) && page.contains(#"name="nonce" value="\#(nonce)""#))
            #expect(try await APIKeySecret.query(on: app.db).count() == 1)
            // Confirmed from that page (its fields sent again), the key rolls with the choices asked about.
            let fields = [
                ("grace", "86400"), ("nonce", nonce), ("replacing", String(old.suffix(4))), ("confirmed", "yes"),
            ]
            #expect(try await admin.post(path + "/roll", fields).status == .created)
            #expect(try await APIKeySecret.query(on: app.db).count() == 2)
            // End now asks too, naming the old secret; asking leaves it working.
            #expect(try await admin.post(path + "/end-grace").status == .ok)
            #expect(admin.lastPage.contains("End the old secret of “CRM sync” now?"))
            #expect(admin.lastPage.contains("The old secret …\(old.suffix(4))"))
            #expect(admin.lastPage.contains("it stops working at once instead of at "))
            #expect(try await status(app, old) == .ok)
            #expect(try await admin.post(path + "/end-grace", [("confirmed", "yes")]).status == .seeOther)
            #expect(try await status(app, old) == .unauthorized)
            // Issue 28: its 401 says it was rolled and when it stopped, as the reference promises,
            // not "malformed, unknown or deleted" (what a deleted key's secret still gets).
            let ended = try await app.api("/api/v1/organizer/events", key: old)
            #expect(ended.body.string.contains("This is a rolled key's old secret; it stopped working at "))
            #expect(!ended.body.string.contains("malformed"))
            // Nothing left to end: no question, just that.
            #expect(try await admin.post(path + "/end-grace").status == .seeOther)
            try await admin.get(path)
            #expect(admin.lastPage.contains("has no old secret that still works: nothing to end."))
            // A roll the server would refuse is refused before asking (a stale page's secret).
            let stale = try await admin.post(path + "/roll", [("grace", "3600"), ("replacing", String(old.suffix(4)))])
            #expect(stale.status == .conflict)
            // Once the key is deleted, its old secrets are a deleted key's.
            let key = try #require(try await APIKey.query(on: app.db).first())
            #expect(try await admin.post(path + "/delete").status == .seeOther)
            #expect(try await APIKey.find(key.id, on: app.db) == nil)
            let gone = try await app.api("/api/v1/organizer/events", key: old)
            #expect(gone.body.string.contains("malformed, unknown or has been deleted"))
        }
    }

    @Test("a roll shows a new secret once; both work during the grace period; End now ends the old one")
    func rollWithGrace() async throws {
        try await withKagibag { app in
            let (admin, old, path) = try await Browser.adminWithKey(
                app, [("permission_choice", "only"), ("permissions[]", "events:read")])
            let new = try await admin.rollKey(at: path, grace: 3600)
            #expect(new != old)
            #expect(admin.lastPage.contains("The old secret keeps working until"))
            #expect(try await status(app, old) == .ok)
            #expect(try await status(app, new) == .ok)
            let key = try #require(try await APIKey.query(on: app.db).first())
            #expect(key.name == "CRM sync" && key.granted == [.eventsRead] && key.lastFour == String(new.suffix(4)))
            try await admin.get("/admin/team/api-keys")
            #expect(admin.lastPage.contains("Old secret <code class=\"preview\">…\(old.suffix(4))</code> works until"))
            #expect(!admin.lastPage.contains(new) && !admin.lastPage.contains(old))
            #expect(try await admin.post(path + "/end-grace", [("confirmed", "yes")]).status == .seeOther)
            let ended = try await app.api("/api/v1/organizer/events", key: old)
            #expect(ended.status == .unauthorized)
            #expect(ended.challenge.contains(#"error="invalid_token""#))
            #expect(try await status(app, new) == .ok)
            let digests = try await APIKeySecret.query(on: app.db).all().map(\.digest)
            #expect(digests == [APIKeyToken.digest(of: new)])
            let actions = try await AuditEvent.query(on: app.db).sort(\.$id).all().map(\.action)
            #expect(actions.suffix(2) == ["api_key.rolled", "api_key.grace_ended"])
        }
    }

    @Test("rolling with End now refuses the old secret at once, and a second roll ends the first old secret")
    func rollTwice() async throws {
        try await withKagibag { app in
            let (admin, first, path) = try await Browser.adminWithKey(app)
            let second = try await admin.rollKey(at: path, grace: 0)
            #expect(try await status(app, first) == .unauthorized)
            let third = try await admin.rollKey(at: path, grace: 86_400)
            #expect(try await status(app, second) == .ok)
            let fourth = try await admin.rollKey(at: path, grace: 86_400)
            #expect(try await status(app, second) == .unauthorized)
            #expect(try await status(app, third) == .ok)
            #expect(try await status(app, fourth) == .ok)
            #expect(try await APIKeySecret.query(on: app.db).count() == 2)
            // Every secret that stopped working is kept as a tombstone, so it counts as revoked.
            for ended in [first, second] {
                #expect(
                    try await RevokedAPIKey.query(on: app.db).filter(\.$digest == APIKeyToken.digest(of: ended)).count()
                        == 1)
            }
        }
    }

    @Test("a grace period that is not one of the choices is refused and rolls nothing")
    func badGrace() async throws {
        try await withKagibag { app in
            let (admin, old, path) = try await Browser.adminWithKey(app)
            try await admin.get(path)
            #expect(try await admin.post(path + "/roll", [("grace", "999999")]).status == .unprocessableEntity)
            #expect(try await status(app, old) == .ok)
            #expect(try await APIKeySecret.query(on: app.db).count() == 1)
        }
    }

    @Test("a reload of the roll response rolls nothing more")
    func rollRepost() async throws {
        try await withKagibag { app in
            let (admin, _, path) = try await Browser.adminWithKey(app)
            try await admin.get(path)
            let nonce = try #require(Browser.firstMatch(#"name="nonce" value="([^"]+)""#, in: admin.lastPage))
            #expect(
                try await admin.post(path + "/roll", [("grace", "3600"), ("nonce", nonce), ("confirmed", "yes")]).status
                    == .created)
            #expect(
                try await admin.post(path + "/roll", [("grace", "3600"), ("nonce", nonce), ("confirmed", "yes")]).status
                    == .seeOther)
            #expect(try await APIKeySecret.query(on: app.db).count() == 2)
        }
    }

    @Test("pause refuses the key with 401 at once, resume restores it; a paused key cannot be rolled")
    func pauseAndResume() async throws {
        try await withKagibag { app in
            let (admin, key, path) = try await Browser.adminWithKey(app)
            try await admin.get(path)
            #expect(try await admin.post(path + "/pause").status == .seeOther)
            let paused = try await app.api("/api/v1/organizer/events", key: key)
            #expect(paused.status == .unauthorized)
            #expect(try paused.json()["detail"] as? String == BearerChallenge.paused.detail)
            try await admin.get("/admin/team/api-keys")
            #expect(admin.lastPage.contains(">Paused</span>"))
            try await admin.get(path)
            #expect(
                try await admin.post(path + "/roll", [("grace", "3600"), ("confirmed", "yes")]).status == .conflict)
            #expect(try await admin.post(path + "/resume").status == .seeOther)
            #expect(try await status(app, key) == .ok)
            let actions = try await AuditEvent.query(on: app.db).sort(\.$id).all().map(\.action)
            #expect(actions.suffix(2) == ["api_key.paused", "api_key.resumed"])
        }
    }

    @Test("a key allowed to roll itself gets a new secret once through the API; a retried roll creates no second one")
    func selfRoll() async throws {
        try await withKagibag { app in
            let (_, key, _) = try await Browser.adminWithKey(app, [("may_roll_itself", "on")])
            let headers = [("Idempotency-Key", "roll-2026-11")]
            let response = try await app.api(
                "/api/v1/organizer/key/roll", method: .POST, key: key, json: ["grace_seconds": 600], headers: headers)
            #expect(response.status == .created)
            #expect(response.headers.first(name: .cacheControl) == "no-store")
            let json = try response.json()
            let new = try #require(json["key"] as? String)
            #expect(try APIKeyToken(parsing: new).plaintext == new)
            let ends = try #require((json["old_secret_expires_at"] as? String).flatMap(RFC3339.parse))
            #expect(abs(ends.timeIntervalSinceNow - 600) < 30)
            #expect(try await status(app, key) == .ok)
            #expect(try await status(app, new) == .ok)
            // A retry whose answer was lost comes with the old secret: only the current one may roll.
            let retry = try await app.api(
                "/api/v1/organizer/key/roll", method: .POST, key: key, json: ["grace_seconds": 600], headers: headers)
            #expect(retry.status == .forbidden)
            #expect(try retry.json()["detail"] as? String == KeyInfoController.onlyCurrentSecret.detail)
            // The same request again with the new secret is a replay: 409, and the secret is not shown again.
            let replay = try await app.api(
                "/api/v1/organizer/key/roll", method: .POST, key: new, json: ["grace_seconds": 600], headers: headers)
            #expect(replay.status == .conflict)
            #expect(replay.headers.first(name: "Idempotent-Replayed") == "true")
            // The stored problem names this request's id, as its header does, not the first one's.
            let replayID = try #require(replay.headers.first(name: "Request-Id"))
            #expect(try replay.json()["request_id"] as? String == replayID, "\(replay.text)")
            #expect(!retry.text.contains(new) && !replay.text.contains(new))
            #expect(try await APIKeySecret.query(on: app.db).count() == 2)
            let audit = try #require(
                try await AuditEvent.query(on: app.db).filter(\.$action == "api_key.rolled").first())
            #expect(audit.actor == "API key “CRM sync”")
            let stored = try await IdempotencyRecord.query(on: app.db).all().map(\.body).joined()
            #expect(!stored.contains(new))
        }
    }

    @Test(
        "a key not allowed to roll itself gets 403 saying so; a grace out of range gets 422", arguments: [false, true])
    func selfRollRefused(allowed: Bool) async throws {
        try await withKagibag { app in
            let (_, key, _) = try await Browser.adminWithKey(app, allowed ? [("may_roll_itself", "on")] : [])
            let response = try await app.api(
                "/api/v1/organizer/key/roll", method: .POST, key: key, json: ["grace_seconds": 604_801])
            #expect(response.status == (allowed ? .unprocessableEntity : .forbidden))
            let detail = try #require(try response.json()["detail"] as? String)
            #expect(
                detail.contains(
                    allowed ? "grace_seconds must be a whole number from 0 to 604800" : "This key may not roll itself"))
            #expect(try await APIKeySecret.query(on: app.db).count() == 1)
        }
    }

    @Test("an expiring key's responses carry Kagibag-Key-Expires, admins see a notice, and the expiry is recorded once")
    func expiry() async throws {
        try await withKagibag { app in
            // A key made 23 days ago for 30 days: a little under a week from its end.
            let (admin, key, path) = try await Browser.adminWithKey(app, [("expires_in_days", "30")])
            let soon = try #require(try await APIKey.query(on: app.db).first())
            soon.expiresAt = Date().addingTimeInterval(7 * 86400 - 120)
            try await soon.save(on: app.db)
            let made = Date().addingTimeInterval(-23 * 86400)
            try await app.db.sql.raw("UPDATE api_keys SET created_at = \(bind: made)").run()
            let response = try await app.api("/api/v1/organizer/events", key: key)
            let header = try #require(response.headers.first(name: "Kagibag-Key-Expires"))
            #expect(abs((RFC3339.parse(header)?.timeIntervalSinceNow ?? 0) - 7 * 86400) < 300)
            #expect(try await app.api("/api/v1/organizer/key", key: key).json()["status"] as? String == "expiring")
            try await admin.get("/admin/team")
            #expect(admin.lastPage.contains("API key “CRM sync” expires in "))
            #expect(admin.lastPage.contains(#"<a href="\#(path)">"#))
            let stored = try #require(try await APIKey.query(on: app.db).first())
            stored.expiresAt = Date().addingTimeInterval(-60)
            try await stored.save(on: app.db)
            #expect(try await APIKeySecrets.recordExpiries(on: app.db) == 1)
            #expect(try await APIKeySecrets.recordExpiries(on: app.db) == 0)
            let expired = try await AuditEvent.query(on: app.db).filter(\.$action == "api_key.expired").all()
            #expect(expired.map(\.actor) == ["Kagibag"])
            try await admin.get("/admin/events")
            #expect(admin.lastPage.contains("API key “CRM sync” expired"))
        }
    }

    @Test(
        "keys expiring this week make one notice line, none for keys made short on purpose; dismissed, it stays away until another key comes within the week or expires"
    )
    func expirySummary() async throws {
        try await withKagibag { app in
            let admin = Browser(app)
            try await admin.signUp(Browser.newAccount())
            for name in ["Alpha", "Beta", "Gamma"] {
                _ = try await admin.createKey(named: name, [("expires_in_days", "30")])
            }
            _ = try await admin.createKey(named: "Workshop demo", [("expires_in_days", "7")])
            // Made 27 days ago for 30 days; the workshop's key was made for a week on purpose.
            let inThreeDays = Date().addingTimeInterval(3 * 86400), made = Date().addingTimeInterval(-27 * 86400)
            try await app.db.sql.raw(
                """
                UPDATE api_keys SET expires_at = \(bind: inThreeDays), created_at = \(bind: made)
                WHERE name IN ('Alpha', 'Beta', 'Gamma')
                """
            ).run()
            try await admin.get("/admin/events")
            #expect(admin.lastPage.contains("3 API keys expire within 7 days."))
            #expect(admin.lastPage.contains(#"<a href="/admin/team/api-keys?status=expiring">See them</a>"#))
            #expect(admin.lastPage.components(separatedBy: #"<div class="banner""#).count - 1 == 1)
            #expect(!admin.lastPage.contains("Workshop demo"))
            // Dismissed by this admin: gone from every page, back where they were.
            let dismissed = try await admin.post(
                "/admin/team/api-keys/dismiss-expiry-notice", [("return_to", "/admin/events")])
            #expect(dismissed.headers.first(name: .location) == "/admin/events")
            try await admin.get("/admin/team")
            #expect(!admin.lastPage.contains("expire within 7 days"))
            // A key that expires after the dismissal brings it back, saying so.
            let earlier = Date().addingTimeInterval(-3600), expired = Date().addingTimeInterval(-60)
            try await app.db.sql.raw("UPDATE memberships SET expiry_notice_dismissed_at = \(bind: earlier)").run()
            try await app.db.sql.raw("UPDATE api_keys SET expires_at = \(bind: expired) WHERE name = 'Alpha'").run()
            try await admin.get("/admin/team")
            #expect(admin.lastPage.contains("2 API keys expire within 7 days; 1 expired in the last 7 days"))
            // Somewhere else than the Admin pages is no place to return to.
            let away = try await admin.post(
                "/admin/team/api-keys/dismiss-expiry-notice", [("return_to", "https://evil.example/admin")])
            #expect(away.headers.first(name: .location) == "/admin/team/api-keys")
        }
    }

    @Test("failed key checks that cost a lookup are limited per client address, with Retry-After")
    func failedChecksLimited() async throws {
        try await withKagibag({ $0.keyFailuresPerMinute = 3 }) { app in
            let (_, key, _) = try await Browser.adminWithKey(app)
            let invented = APIKeyToken.generate().plaintext
            for _ in 1...3 { #expect(try await status(app, invented) == .unauthorized) }
            let limited = try await app.api("/api/v1/organizer/events", key: invented)
            #expect(limited.status == .tooManyRequests)
            #expect(limited.headers.first(name: .retryAfter) != nil)
            // The address is refused before any lookup for the rest of the window, whatever key it
            // sends; checksum failures cost nothing and still get their 401.
            #expect(try await status(app, key) == .tooManyRequests)
            let mistyped = String(key.dropLast()) + (key.hasSuffix("x") ? "y" : "x")
            #expect(try await app.api("/api/v1/organizer/events", key: mistyped).status == .unauthorized)
        }
    }
}
