import Fluent
import Testing
import VaporTesting

@testable import App

@Suite("Finding the way: Admin → Team → API Keys, breadcrumbs, next steps, notices")
struct NavigationTests {
    @Test("the header shows Admin → Team → API Keys / Members / Activity, with Events beside Team")
    func hierarchy() async throws {
        try await withKagibag { app in
            let admin = Browser(app)
            try await admin.signUp(Browser.newAccount())
            try await admin.get("/admin/team/api-keys")
            let nav = try #require(
                admin.lastPage.components(separatedBy: #"<nav aria-label="Main""#).dropFirst().first?
                    .components(separatedBy: "</nav>").first)
            let order = [
                ">Admin</a>", #"<ul class="nav-sections">"#, ">Team</a>", #"<ul class="nav-pages">"#, ">API Keys</a>",
                ">Members</a>",
                ">Activity</a>", "</ul>", ">Events</a>",
            ]
            var rest = Substring(nav)
            for part in order {
                let found = try #require(rest.range(of: part), "\(part) missing or out of order")
                rest = rest[found.upperBound...]
            }
            #expect(nav.contains(#"<a href="/admin/team/api-keys" aria-current="page">API Keys</a>"#))
        }
    }

    @Test(
        "each Admin page has a breadcrumb down to it",
        arguments: [
            ("/admin", ["Admin"]), ("/admin/team", ["Admin", "Team"]),
            ("/admin/team/api-keys", ["Admin", "Team", "API Keys"]),
            ("/admin/team/api-keys/new", ["Admin", "Team", "API Keys", "Create API Key"]),
            ("/admin/team/activity", ["Admin", "Team", "Activity"]), ("/admin/events", ["Admin", "Events"]),
            ("/admin/events/new", ["Admin", "Events", "Create event"]),
        ]
    )
    func breadcrumbs(path: String, crumbs: [String]) async throws {
        try await withKagibag { app in
            let admin = Browser(app)
            try await admin.signUp(Browser.newAccount())
            try await admin.get(path)
            let trail = try #require(
                admin.lastPage.components(separatedBy: #"<nav aria-label="Breadcrumb" class="breadcrumb">"#).dropFirst()
                    .first?
                    .components(separatedBy: "</nav>").first)
            let labels = trail.components(separatedBy: "<li>").dropFirst().map { item in
                item.replacingOccurrences(of: #"<[^>]+>"#, with: "", options: .regularExpression)
            }
            #expect(labels == crumbs)
            #expect(trail.contains(#"<span aria-current="page">\#(crumbs.last!)</span>"#))
        }
    }

    @Test("a key's page: Admin › Team › API Keys › its name")
    func keyBreadcrumb() async throws {
        try await withKagibag { app in
            let (admin, _, keyPath) = try await Browser.adminWithKey(app)
            try await admin.get(keyPath)
            #expect(
                admin.lastPage.contains(
                    #"<li><a href="/admin/team/api-keys">API Keys</a></li><li><span aria-current="page">CRM sync</span></li>"#
                ))
            try await admin.get(keyPath + "/edit")
            #expect(
                admin.lastPage.contains(
                    #"<li><a href="\#(keyPath)">CRM sync</a></li><li><span aria-current="page">Edit</span></li>"#))
        }
    }

    @Test("after sign-up the Team page shows next steps until the admin dismisses them")
    func nextSteps() async throws {
        try await withKagibag { app in
            let admin = Browser(app)
            try await admin.signUp(Browser.newAccount())
            try await admin.get("/admin/team")
            #expect(admin.lastPage.contains(#"<h2 id="next-steps-heading">Next steps</h2>"#))
            #expect(admin.lastPage.contains(#"<a href="/admin/team/api-keys/new">Create an API key</a>"#))
            #expect(admin.lastPage.contains(#"<a href="/docs/api">Read the API reference</a>"#))
            #expect(admin.lastPage.contains("Invite a teammate</a>"))
            // Dismissing needs the CSRF token.
            #expect(try await admin.post("/admin/team/next-steps/dismiss", withCSRF: false).status == .forbidden)
            #expect(try await admin.post("/admin/team/next-steps/dismiss").status == .seeOther)
            try await admin.get("/admin/team")
            #expect(!admin.lastPage.contains("next-steps-heading"))
        }
    }

    @Test("switching teams says which team the pages now show")
    func switchNotice() async throws {
        try await withKagibag { app in
            let admin = Browser(app)
            try await admin.signUp(Browser.newAccount(team: "First Team"))
            let other = Browser(app)
            let account = Browser.newAccount(team: "Second Team")
            try await other.signUp(account)
            try await other.joinTeam(of: admin, email: account.email)
            let secondID = try #require(try await Team.query(on: app.db).filter(\.$name == "Second Team").first()?.id)
            try await other.get("/admin/team")
            #expect(try await other.post("/team/switch", [("team", secondID.uuidString)]).status == .seeOther)
            try await other.get("/admin/team")
            #expect(other.lastPage.contains("Switched to Second Team."))
        }
    }

    @Test("sign-up shows every problem at once, and a taken email links to the login page")
    func signupProblems() async throws {
        try await withKagibag { app in
            let browser = Browser(app)
            try await browser.get("/signup")
            let response = try await browser.post(
                "/signup", [("name", ""), ("email", "nope"), ("password", "short"), ("team", "")])
            #expect(response.status == .unprocessableEntity)
            #expect(browser.lastPage.contains("There are 4 problems"))
            for id in ["name-error", "email-error", "password-error", "team-error"] {
                #expect(browser.lastPage.contains(#"id="\#(id)""#))
            }
            let account = Browser.newAccount()
            try await Browser(app).signUp(account)
            let again = Browser(app)
            #expect(try await again.signUp(account).status == .unprocessableEntity)
            #expect(
                again.lastPage.contains(
                    #"An account with this email already exists. <a href="/login">Log in instead</a>"#))
        }
    }

    @Test("an address the add-member form cannot use is named next to that field, with the typed value kept")
    func addMemberProblemInPlace() async throws {
        try await withKagibag { app in
            let admin = Browser(app)
            try await admin.signUp(Browser.newAccount())
            try await admin.get("/admin/team")
            let response = try await admin.post(
                "/admin/team/members", [("email", "not an address"), ("role", "member")])
            #expect(response.status == .unprocessableEntity)
            #expect(
                admin.lastPage.contains(
                    #"<p class="field-error" id="member-email-error">Enter a valid email address, like ada@example.com.</p>"#
                ))
            #expect(admin.lastPage.contains(##"<a href="#member-email">Enter a valid email address"##))
            #expect(admin.lastPage.contains(#"value="not an address""#))
        }
    }
}
