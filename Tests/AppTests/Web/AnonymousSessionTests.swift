import Fluent
import Foundation
import Testing
import VaporTesting

@testable import App

/// Finding 5 of issue 11: anonymous page views must not write sessions, and expired sessions
/// must go while the server runs. Anonymous forms are protected without a session.
@Suite("Sessions of anonymous visitors, and their forms' CSRF protection")
struct AnonymousSessionTests {
    @Test("2,000 anonymous page views, with no cookie or an invented one, add no session row and set no session cookie")
    func anonymousViewsWriteNothing() async throws {
        try await withKagibag { app in
            // setup
            let paths = ["/login", "/signup", "/", "/no-such-page", "/admin/team", "/metrics/"]
            let invented = Data([UInt8].random(count: 32)).base64URLEncodedString()
            var sessionCookies = 0
            // MUT
            for n in 0..<2000 {
                let headers: HTTPHeaders = n % 2 == 0 ? [:] : ["Cookie": "kagibag_session=\(invented)"]
                let response = try await app.testing().sendRequest(.GET, paths[n % paths.count], headers: headers)
                #expect(response.status.code < 500)
                let set = response.headers[.setCookie].filter {
                    $0.hasPrefix("kagibag_session=") && !$0.hasPrefix("kagibag_session=;")
                }
                sessionCookies += set.count
            }
            // validate
            #expect(try await BrowserSession.query(on: app.db).count() == 0)
            #expect(sessionCookies == 0)
        }
    }

    @Test("a session row is written at sign-in, and only then")
    func sessionOnlyAtSignIn() async throws {
        try await withKagibag { app in
            let browser = Browser(app)
            try await browser.get("/signup")
            try await browser.get("/login")
            #expect(try await BrowserSession.query(on: app.db).count() == 0)
            try await browser.signUp(Browser.newAccount())
            #expect(try await BrowserSession.query(on: app.db).count() == 1)
            try await browser.get("/admin/team")
            #expect(try await BrowserSession.query(on: app.db).count() == 1)
            try await browser.post("/logout")
            #expect(try await BrowserSession.query(on: app.db).count() == 0)
        }
    }

    @Test("an anonymous form needs its own cookie: without it, or with another browser's, the POST is refused")
    func anonymousFormsAreBoundToTheirCookie() async throws {
        try await withKagibag { app in
            // setup
            let account = Browser.newAccount()
            let victim = Browser(app), attacker = Browser(app)
            try await victim.get("/login")
            try await attacker.get("/login")
            let attackersToken = try #require(attacker.csrf)
            #expect(victim.csrf != attackersToken)
            #expect(victim.otherCookies["kagibag_csrf"] == victim.csrf)
            let fields = [
                ("name", account.name), ("email", account.email), ("password", account.password),
                ("team", account.team),
            ]
            // MUT: the attacker's token in the victim's browser (a cross-site form), then no cookie at all
            let forged = try await victim.post("/signup", fields + [("_csrf", attackersToken)], withCSRF: false)
            let cookieless = Browser(app)
            cookieless.csrf = victim.csrf
            let withoutCookie = try await cookieless.post("/signup", fields)
            // validate
            #expect(forged.status == .forbidden)
            #expect(withoutCookie.status == .forbidden)
            #expect(try await User.query(on: app.db).count() == 0)
            #expect(try await victim.post("/signup", fields).status == .seeOther)
        }
    }

    @Test("the anonymous forms' cookie is HttpOnly, SameSite=Strict and short-lived, and __Host- with Secure")
    func anonymousCookieFlags() async throws {
        try await withKagibag({ $0.secureCookies = true }) { app in
            let response = try await app.testing().sendRequest(.GET, "/login")
            let cookie = try #require(response.headers[.setCookie].first { $0.hasPrefix("__Host-kagibag_csrf=") })
            #expect(cookie.contains("HttpOnly"))
            #expect(cookie.contains("SameSite=Strict"))
            #expect(cookie.contains("Secure"))
            #expect(cookie.contains("Path=/"))
            #expect(cookie.contains("Max-Age=7200"))
            #expect(!cookie.contains("Domain"))
        }
    }

    @Test("expired sessions are purged while the server runs, in batches, and live ones stay")
    func expiredSessionsArePurgedWhileRunning() async throws {
        try await withKagibag { app in
            // setup: 2,500 expired rows and 3 live ones
            let past = Date().addingTimeInterval(-60), future = Date().addingTimeInterval(3600)
            for n in 0..<2503 {
                try await BrowserSession(tokenDigest: "digest-\(n)", data: "{}", expiresAt: n < 2500 ? past : future)
                    .create(on: app.db)
            }
            let housekeeping = Housekeeping(
                interval: .milliseconds(50), batchSize: 1000,
                jobs: [.init(name: "sessions", purge: DatabaseSessionDriver.purgeExpired)])
            // MUT: the periodic task, as the server runs it
            try await housekeeping.didBootAsync(app)
            var remaining = try await BrowserSession.query(on: app.db).count()
            for _ in 0..<200 where remaining > 3 {
                try await Task.sleep(for: .milliseconds(25))
                remaining = try await BrowserSession.query(on: app.db).count()
            }
            await housekeeping.shutdownAsync(app)
            // validate
            #expect(remaining == 3)
            #expect(try await BrowserSession.query(on: app.db).filter(\.$expiresAt < Date()).count() == 0)
        }
    }

    @Test("one round deletes expired rows batch by batch until none is left")
    func purgeRunsInBatches() async throws {
        try await withKagibag { app in
            let past = Date().addingTimeInterval(-60)
            for n in 0..<250 {
                try await BrowserSession(tokenDigest: "d\(n)", data: "{}", expiresAt: past).create(on: app.db)
            }
            let batches = Counter()
            let housekeeping = Housekeeping(
                batchSize: 100,
                jobs: [
                    .init(name: "sessions") { db, limit in
                        await batches.increment()
                        return try await DatabaseSessionDriver.purgeExpired(on: db, limit: limit)
                    }
                ])
            let deleted = try await housekeeping.runOnce(on: app.db)
            #expect(deleted["sessions"] == 250)
            #expect(await batches.value == 3)
        }
    }

    actor Counter {
        var value = 0
        func increment() { value += 1 }
    }
}
