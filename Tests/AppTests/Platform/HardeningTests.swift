import APIKeyCore
import Fluent
import NIOCore
import Testing
import VaporTesting

@testable import App

@Suite("Hardening: rate limits, audit trail, hostile input")
struct HardeningTests {
    @Test("API responses carry RateLimit headers and the key gets 429 with Retry-After past its limit")
    func apiRateLimit() async throws {
        try await withKagibag({ $0.apiRateLimitPerMinute = 3 }) { app in
            let admin = Browser(app)
            try await admin.signUp(Browser.newAccount())
            let key = try await admin.createKey(named: "CRM sync")
            for remaining in [2, 1, 0] {
                let response = try await app.api("/api/v1/organizer/events", key: key)
                #expect(response.status == .ok)
                // The current draft's two fields, as a strict Structured Fields reading has them: one
                // list item, the String "key", with integer parameters.
                #expect(response.headers.first(name: "RateLimit-Policy") == #""key";q=3;w=60"#)
                let reset = Int(response.headers.first(name: "RateLimit-Reset") ?? "") ?? 0
                #expect((1...60).contains(reset))
                #expect(response.headers.first(name: "RateLimit") == #""key";r=\#(remaining);t=\#(reset)"#)
                // The older draft's three, deprecated but kept for a release.
                #expect(response.headers.first(name: "RateLimit-Limit") == "3")
                #expect(response.headers.first(name: "RateLimit-Remaining") == String(remaining))
            }
            let limited = try await app.api("/api/v1/organizer/events", key: key)
            #expect(limited.status == .tooManyRequests)
            #expect(limited.headers.first(name: "Retry-After") != nil)
            #expect(
                limited.headers.first(name: "RateLimit")
                    == #""key";r=0;t=\#(limited.headers.first(name: "Retry-After") ?? "")"#)
            #expect(limited.headers.contentType?.description.hasPrefix("application/problem+json") == true)
            #expect(try limited.json()["status"] as? Int == 429)
            // Another key of the same team has its own budget.
            let other = try await admin.createKey(named: "Analytics export")
            #expect(try await app.api("/api/v1/organizer/events", key: other).status == .ok)
        }
    }

    @Test("too many failed logins get 429 with Retry-After and the same message whether or not the account exists")
    func loginRateLimit() async throws {
        try await withKagibag({ $0.loginAttemptsPerAccount = 3 }) { app in
            let account = Browser.newAccount()
            try await Browser(app).signUp(account)
            for email in [account.email, "nobody@example.com"] {
                let browser = Browser(app)
                for _ in 0..<3 {
                    #expect(try await browser.logIn(email: email, password: "wrong password!").status == .unauthorized)
                }
                let blocked = try await browser.logIn(email: email, password: account.password)
                #expect(blocked.status == .tooManyRequests)
                #expect(blocked.headers.first(name: .retryAfter) != nil)
                #expect(browser.lastPage.contains("Too many failed login attempts."))
            }
            // Other accounts are unaffected.
            let other = Browser.newAccount()
            try await Browser(app).signUp(other)
            #expect(try await Browser(app).logIn(email: other.email, password: other.password).status == .seeOther)
        }
    }

    @Test("forwarded client addresses are believed only from trusted proxies")
    func clientAddressTrust() async throws {
        try await withKagibag { app in
            let request = Request(
                application: app, method: .GET, url: "/", headers: ["X-Forwarded-For": "203.0.113.9, 10.0.0.2"],
                remoteAddress: try SocketAddress(ipAddress: "10.0.0.2", port: 4000), on: app.eventLoopGroup.any())
            let proxy = [try AddressRange(parsing: "10.0.0.2")]
            #expect(ClientAddress.of(request, trustedProxies: []) == "10.0.0.2")
            #expect(ClientAddress.of(request, trustedProxies: proxy) == "203.0.113.9")
            // A proxy that appends X-Forwarded-For passes the client's own Forwarded through: not believed.
            request.headers.replaceOrAdd(name: "Forwarded", value: "for=\"[2001:db8::7]:4711\"")
            #expect(ClientAddress.of(request, trustedProxies: proxy) == "203.0.113.9")
            // Believed only when the operator says the proxy writes Forwarded.
            #expect(ClientAddress.of(request, trustedProxies: proxy, header: .forwarded) == "2001:db8::7")
        }
    }

    @Test("the team's activity records keys, members and permissions, newest first, without keys")
    func auditTrail() async throws {
        try await withKagibag { app in
            let (admin, other, otherAccount) = try await Browser.twoSignedUp(app, team: "Acme")
            let key = try await admin.createKey(named: "CRM sync")
            let keyID = try #require(try await APIKey.query(on: app.db).first()?.id)
            try await admin.get("/admin/team/api-keys")
            try await admin.post("/admin/team/api-keys/\(keyID.uuidString.lowercased())/delete")
            try await admin.get("/admin/team")
            try await other.joinTeam(of: admin, email: otherAccount.email)
            try await app.runCommand(["team", "permissions", "acme", "--revoke", "events:write"])

            try await admin.get("/admin/team/activity")
            let page = admin.lastPage
            let actions = page.components(separatedBy: "data-action=\"").dropFirst().map { $0.prefix { $0 != "\"" } }
            #expect(
                actions == [
                    "team.permissions_changed", "member.added", "member.invited", "api_key.deleted", "api_key.created",
                    "team.created",
                ])
            #expect(page.contains("created API key “CRM sync” (…\(key.suffix(4)))"))
            #expect(page.contains("revoked events:write"))
            #expect(page.contains("command line"))
            #expect(!page.contains(key))
            let stored = try await AuditEvent.query(on: app.db).all().map(\.summary).joined()
            #expect(!stored.contains(String(key.dropFirst(4).prefix(20))))

            // Members are told who can see it.
            let teamID = try #require(try await Team.query(on: app.db).filter(\.$slug == "acme").first()?.id)
            try await other.get("/admin/team")
            try await other.post("/team/switch", [("team", teamID.uuidString)])
            try await other.get("/admin/team/activity")
            #expect(other.lastPage.contains("Only team admins can see the team's activity."))
            #expect(!other.lastPage.contains("CRM sync"))
        }
    }

    static let hostileAuthorizations: [[String]] = {
        let valid = "kgb_aB3dE5gH7jK9mN1pQ3sT5vW7yZ0bC2eF4hJ6kL8n3FjijM"
        var changed = Array(valid)
        changed[15] = "x"
        let values: [String] = [
            "", " ", "Bearer", "Bearer ", "Bearer  ", "Bearer  \(valid)", "Bearer\t\(valid)", "bearer", "BEARER x",
            "Basic dXNlcjpwYXNz",
            "Basic", "Digest username=\"a\"", "Token \(valid)", "Bearer \(String(repeating: "A", count: 100_000))",
            "Bearer kgb_", "Bearer kgb_\(String(repeating: "0", count: 46))", "Bearer \(String(changed))",
            "Bearer \(valid)\n",
            "Bearer \"\(valid)\"", "Bearer '\(valid)'", "Bearer \(valid);", "Bearer \(valid),",
            "Bearer \(valid) \(valid)",
            "Bearer ' OR 1=1 --", "Bearer kgb_' OR '1'='1'; DROP TABLE api_keys; --", "Bearer ../../etc/passwd",
            "Bearer %6b%67%62%5f", "Bearer kgb_ünïcødé", "Bearer 🔑🔑🔑", "Bearer \(valid.uppercased())",
            "Bearer \(valid.lowercased())",
            "Bearer null", "Bearer undefined", "Bearer {}", "Bearer []", "Bearer \(valid.dropLast())",
            "Bearer \(valid)X",
            "Bearer=\(valid)", "Bearer:\(valid)", "\(valid)", "Authorization: Bearer \(valid)", "Bearer \u{0}",
            "Bearer kgb_\u{0}\(valid.dropFirst(5))",
            "Bearer \(valid.replacingOccurrences(of: "kgb_", with: "ghp_"))",
        ]
        return values.map { [$0] } + [
            ["Bearer \(valid)", "Bearer \(valid)"], ["Basic dXNlcjpwYXNz", "Bearer \(valid)"],
        ]
    }()

    @Test(
        "at least 40 malformed Authorization headers get 400 or 401 with a Bearer challenge, and a valid key still works"
    )
    func hostileAuthorizationHeaders() async throws {
        #expect(Self.hostileAuthorizations.count >= 40)
        try await withKagibag { app in
            let admin = Browser(app)
            try await admin.signUp(Browser.newAccount())
            let key = try await admin.createKey(named: "CRM sync")
            for authorization in Self.hostileAuthorizations {
                let response = try await app.api("/api/v1/organizer/events", key: nil, authorization: authorization)
                #expect(
                    [.badRequest, .unauthorized].contains(response.status), "\(authorization.map { $0.prefix(60) })")
                #expect(response.challenge.hasPrefix(#"Bearer realm="kagibag""#))
                #expect(response.headers.contentType?.description.hasPrefix("application/problem+json") == true)
            }
            #expect(try await app.api("/api/v1/organizer/events", key: key).status == .ok)
        }
    }
}
