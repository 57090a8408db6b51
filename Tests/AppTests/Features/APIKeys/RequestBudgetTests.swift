import Fluent
import Foundation
import Testing
import VaporTesting

@testable import App

@Suite("Request budgets set by admins: a key's own and its team's")
struct RequestBudgetTests {
    @Test("a key's own budget, set on its form, is what it may spend, announced in the headers and GET /key")
    func keyBudgetFromTheForm() async throws {
        try await withKagibag { app in
            let (admin, key, path) = try await Browser.adminWithKey(app, [("rate_limit_per_minute", "3")])
            try await admin.get(path)
            #expect(admin.lastPage.contains("3 (set for this key)"))
            let info = try await app.api("/api/v1/organizer/key", key: key)
            #expect(info.status == .ok)
            let limit = try #require(try info.json()["rate_limit"] as? [String: Any])
            #expect(limit["requests_per_minute"] as? Int == 3)
            #expect(limit["source"] as? String == "key")
            #expect(limit["team_requests_per_minute"] is NSNull)
            #expect(info.headers.first(name: "RateLimit-Policy") == #""key";q=3;w=60"#)
            for _ in 0..<2 { #expect(try await app.api("/api/v1/organizer/events", key: key).status == .ok) }
            let refused = try await app.api("/api/v1/organizer/events", key: key)
            #expect(refused.status == .tooManyRequests)
            let problem = try refused.json()
            #expect(problem["budget"] as? String == "key")
            let detail = try #require(problem["detail"] as? String)
            #expect(detail.contains("This key’s budget of 3 requests a minute"))
            #expect(detail.contains("refills in \(refused.headers.first(name: .retryAfter) ?? "?") seconds"))
        }
    }

    @Test("a key without a budget of its own has the server's default, and GET /key says so")
    func defaultBudget() async throws {
        try await withKagibag({ $0.apiRateLimitPerMinute = 700 }) { app in
            let (_, key, _) = try await Browser.adminWithKey(app)
            let info = try await app.api("/api/v1/organizer/key", key: key)
            let limit = try #require(try info.json()["rate_limit"] as? [String: Any])
            #expect(limit["requests_per_minute"] as? Int == 700)
            #expect(limit["source"] as? String == "server")
        }
        // A default above the default ceiling raises the ceiling with it (never caps the default).
        try await withKagibag({ $0.apiRateLimitPerMinute = 100_000 }) { app in
            let (_, key, _) = try await Browser.adminWithKey(app)
            let info = try await app.api("/api/v1/organizer/key", key: key)
            #expect(info.headers.first(name: "RateLimit-Policy") == #""key";q=100000;w=60"#)
        }
    }

    @Test("0, negative, above the ceiling and non-numbers get a clear message and change nothing")
    func badBudgetsAreRefused() async throws {
        try await withKagibag({ $0.apiRateLimitCeiling = 9000 }) { app in
            let (admin, _, path) = try await Browser.adminWithKey(app)
            for (typed, message) in [
                ("0", "must be at least 1"), ("-5", "must be at least 1"),
                ("9001", "a whole number from 1 to 9,000 (this server’s ceiling)"),
                ("ten", "a whole number from 1 to 9,000"), ("1.5", "a whole number"), ("1e3", "a whole number"),
                ("9,0,0,0", "a whole number"), (",5", "a whole number"), ("٣", "a whole number"),
                ("+5", "a whole number"),
            ] {
                let edited = try await admin.post(
                    path + "/edit", [("name", "CRM sync"), ("rate_limit_per_minute", typed)])
                #expect(edited.status == .unprocessableEntity, "\(typed)")
                #expect(admin.lastPage.contains(message), "\(typed)")
                #expect(admin.lastPage.contains(#"id="key-rate-limit-error""#))
                let created = try await admin.post(
                    "/admin/team/api-keys", [("name", "Other \(typed)"), ("rate_limit_per_minute", typed)])
                #expect(created.status == .unprocessableEntity, "\(typed)")
                let team = try await admin.post("/admin/team/request-budget", [("rate_limit_per_minute", typed)])
                #expect(team.status == .unprocessableEntity, "\(typed)")
                #expect(admin.lastPage.contains(#"id="team-rate-limit-error""#))
            }
            #expect(try await APIKey.query(on: app.db).count() == 1)
            #expect(try await APIKey.query(on: app.db).first()?.rateLimitPerMinute == nil)
            #expect(try await Team.query(on: app.db).first()?.rateLimitPerMinute == nil)
            // The ceiling itself, with the thousands grouped as the form shows them, is fine.
            let edited = try await admin.post(
                path + "/edit", [("name", "CRM sync"), ("rate_limit_per_minute", "9,000")])
            #expect(edited.status == .seeOther)
            #expect(try await APIKey.query(on: app.db).first()?.rateLimitPerMinute == 9000)
        }
    }

    @Test("a team's budget is shared by all its keys: past it, 429 names the team, and both budgets are announced")
    func teamBudget() async throws {
        try await withKagibag { app in
            let (admin, first, _) = try await Browser.adminWithKey(app)
            let second = try await admin.createKey(named: "Analytics export")
            let saved = try await admin.post("/admin/team/request-budget", [("rate_limit_per_minute", "3")])
            #expect(saved.status == .seeOther)
            try await admin.get("/admin/team")
            #expect(admin.lastPage.contains(#"value="3""#))
            let answer = try await app.api("/api/v1/organizer/events", key: first)
            #expect(answer.status == .ok)
            #expect(answer.headers.first(name: "RateLimit-Policy") == #""key";q=6000;w=60, "team";q=3;w=60"#)
            let reset = try #require(answer.headers.first(name: "RateLimit")?.split(separator: "t=").last)
            #expect(answer.headers.first(name: "RateLimit")?.contains(#""team";r=2;t="#) == true, "\(reset)")
            #expect(try await app.api("/api/v1/organizer/events", key: second).status == .ok)
            #expect(try await app.api("/api/v1/organizer/key", key: first).status == .ok)
            let refused = try await app.api("/api/v1/organizer/events", key: second)
            #expect(refused.status == .tooManyRequests)
            #expect(try refused.json()["budget"] as? String == "team")
            #expect(
                (try refused.json()["detail"] as? String)?.contains("The team’s budget of 3 requests a minute") == true)
            // The key's own budget was not spent by the refused request.
            #expect(refused.headers.first(name: "RateLimit")?.hasPrefix(#""key";r=5998;"#) == true)
            // Raised: the next request is admitted, on the same minute.
            #expect(
                try await admin.post("/admin/team/request-budget", [("rate_limit_per_minute", "10")]).status
                    == .seeOther)
            #expect(try await app.api("/api/v1/organizer/events", key: second).status == .ok)
            // Removed: only the key's own budget is announced.
            #expect(
                try await admin.post("/admin/team/request-budget", [("rate_limit_per_minute", "")]).status == .seeOther)
            let alone = try await app.api("/api/v1/organizer/events", key: first)
            #expect(alone.headers.first(name: "RateLimit-Policy") == #""key";q=6000;w=60"#)
            let audit = try await AuditEvent.query(on: app.db).filter(
                \.$action == AuditEvent.Action.keyPolicyChanged.rawValue
            ).all()
            #expect(audit.map(\.summary).contains("set the team's request budget to 10 a minute (was 3)"))
        }
    }

    @Test("a member sees the team's budget but cannot change it")
    func memberCannotSetTheTeamBudget() async throws {
        try await withKagibag { app in
            let (admin, member, account) = try await Browser.twoSignedUp(app)
            try await member.joinTeam(of: admin, email: account.email)
            let refused = try await member.post("/admin/team/request-budget", [("rate_limit_per_minute", "5")])
            #expect(refused.status == .forbidden)
            #expect(try await Team.query(on: app.db).all().allSatisfy { $0.rateLimitPerMinute == nil })
            try await member.get("/admin/team")
            #expect(member.lastPage.contains("No team-wide budget"))
        }
    }
}
