import APIKeyCore
import Fluent
import NIOConcurrencyHelpers
import Testing
import VaporTesting

@testable import App

@Suite("The team hears about a leak")
struct LeakNoticeTests {
    static let notice = "API key “CRM sync” was revoked at"

    /// An admin and a member of one team, a key reported as leaked; returns both and the key's page.
    func teamWithLeakedKey(_ app: Application) async throws -> (admin: Browser, member: Browser, keyPath: String) {
        let admin = Browser(app), member = Browser(app)
        let memberAccount = Browser.newAccount(team: "Member's own")
        try await member.signUp(memberAccount)
        try await admin.signUp(Browser.newAccount(team: "Leaky Events"))
        try await admin.get("/admin/team")
        try await member.joinTeam(of: admin, email: memberAccount.email)
        let teamID = try #require(try await Team.query(on: app.db).filter(\.$slug == "leaky-events").first()?.id)
        try await member.get("/admin/team")
        try await member.post("/team/switch", [("team", teamID.uuidString)])
        let key = try await admin.createKey(named: "CRM sync")
        _ = try await app.reportToPublicEndpoint([key])
        let id = try #require(try await APIKey.query(on: app.db).first()?.id)
        return (admin, member, "/admin/team/api-keys/\(id.lowercasedString)")
    }

    @Test("admins see the notice on every Admin page until one of them dismisses it; members never do")
    func noticeUntilDismissed() async throws {
        try await withKagibag { app in
            let (admin, member, keyPath) = try await teamWithLeakedKey(app)
            for page in [
                "/admin", "/admin/team", "/admin/team/api-keys", "/admin/team/activity", "/admin/events", keyPath,
            ] {
                try await admin.get(page)
                #expect(admin.lastPage.contains(Self.notice), "no notice on \(page)")
                #expect(admin.lastPage.contains("reported as leaked through the public revocation endpoint"), "\(page)")
                #expect(admin.lastPage.contains(#"action="\#(keyPath)/dismiss-leak-notice""#), "\(page)")
            }
            try await member.get("/admin/team/api-keys")
            #expect(!member.lastPage.contains(Self.notice))
            #expect(member.lastPage.contains(">Revoked: reported leaked</span>"))
            #expect(try await member.post(keyPath + "/dismiss-leak-notice").status == .forbidden)

            // Without the CSRF token nothing is dismissed.
            #expect(try await admin.post(keyPath + "/dismiss-leak-notice", withCSRF: false).status == .forbidden)
            try await admin.get("/admin/events")
            let dismissed = try await admin.post(keyPath + "/dismiss-leak-notice", [("return_to", "/admin/events")])
            #expect(dismissed.status == .seeOther)
            #expect(dismissed.headers.first(name: .location) == "/admin/events")
            for page in ["/admin", "/admin/team/api-keys", keyPath] {
                try await admin.get(page)
                #expect(!admin.lastPage.contains(Self.notice), "notice still on \(page)")
            }
            #expect(admin.lastPage.contains(#"<h2 id="leak-heading">Revoked: reported leaked</h2>"#))
            #expect(admin.lastPage.contains(#"id="leak-dismissed""#))
            try await admin.get("/admin/team/activity")
            #expect(admin.lastPage.contains(#"data-action="api_key.leak_notice_dismissed""#))
            #expect(admin.lastPage.contains(#"data-action="api_key.revoked_as_leaked""#))
            #expect(admin.lastPage.contains("dismissed the notice that API key “CRM sync”"))
            // Dismissing twice records once.
            try await admin.post(keyPath + "/dismiss-leak-notice")
            #expect(
                try await AuditEvent.query(on: app.db).filter(\.$action == "api_key.leak_notice_dismissed").count() == 1
            )
        }
    }

    @Test("dismissing goes back only to a page of this site")
    func safeReturn() {
        #expect(LeakNoticeController.safeReturn("/admin/events") == "/admin/events")
        #expect(LeakNoticeController.safeReturn("//evil.example/admin") == nil)
        #expect(LeakNoticeController.safeReturn("https://evil.example/admin") == nil)
        #expect(LeakNoticeController.safeReturn("/admin/\\evil") == nil)
        #expect(LeakNoticeController.safeReturn("/admin//evil.example") == nil)
        #expect(LeakNoticeController.safeReturn("/login") == nil)
        #expect(LeakNoticeController.safeReturn(nil) == nil)
    }

    @Test("a key revoked again after a roll brings the notice back, even if the first was dismissed")
    func noticeReturnsOnNewLeak() async throws {
        try await withKagibag { app in
            let (admin, _, keyPath) = try await teamWithLeakedKey(app)
            try await admin.get(keyPath)
            try await admin.post(keyPath + "/dismiss-leak-notice")
            let new = try await admin.rollKey(at: keyPath, grace: 0)
            _ = try await app.reportToPublicEndpoint([new])
            try await admin.get("/admin")
            #expect(admin.lastPage.contains(Self.notice))
        }
    }

    @Test(
        "checking for a revocation costs no query: an accepted request still reads the database once, a revoked key's refusal once too"
    )
    func noSecondQuery() async throws {
        try await withKagibag { app in
            let admin = Browser(app)
            try await admin.signUp(Browser.newAccount())
            let key = try await admin.createKey(named: "CRM sync")
            let reads = { try await app.metric(#"kagibag_db_queries_total{kind="read",purpose="auth"}"#) }
            let before = try await reads()
            for _ in 0..<5 { #expect(try await app.api("/api/v1/organizer/key", key: key).status == .ok) }
            #expect(try await reads() == before + 5)
            _ = try await app.reportToPublicEndpoint([key])
            for _ in 0..<5 { #expect(try await app.api("/api/v1/organizer/key", key: key).status == .unauthorized) }
            #expect(try await reads() == before + 10)
        }
    }

    @Test(
        "metrics count received, well-formed, live and revoked credentials per channel, and never show a key or digest")
    func metrics() async throws {
        try await withKagibag { app in
            let (admin, _, _) = try await teamWithLeakedKey(app)
            let key = try await admin.createKey(named: "Export")
            _ = try await app.reportToPublicEndpoint([key, "junk", key])
            #expect(try await app.api("/api/v1/organizer/events", key: key).status == .unauthorized)
            let text = String(buffer: try await app.testing().sendRequest(.GET, "/metrics").body)
            func value(_ stage: String) -> String? {
                text.split(separator: "\n").first {
                    $0.hasPrefix(#"kagibag_leak_reports_credentials_total{channel="public",stage="\#(stage)"} "#)
                }
                .map { String($0.split(separator: " ").last!) }
            }
            #expect(
                [value("received"), value("well_formed"), value("live"), value("revoked")] == ["4", "3", "3", "2"])
            #expect(text.contains(#"kagibag_api_authentications_total{outcome="leaked"} 1"#))
            #expect(text.contains(#"kagibag_leak_reports_credentials_total{channel="github",stage="received"} 0"#))
            #expect(!text.contains(key) && !text.contains(APIKeyToken.digest(of: key)))
        }
    }
}
