import APIKeyCore
import Fluent
import Testing
import VaporTesting

@testable import App

@Suite("The API Keys pages explain themselves: problems in place, the limit, the first request")
struct APIKeyPagesTests {
    @Test("a problem posted from the list's dialog comes back in the dialog, next to its field")
    func problemsInTheDialog() async throws {
        try await withKagibag { app in
            let admin = Browser(app)
            try await admin.signUp(Browser.newAccount())
            try await admin.get("/admin/team/api-keys")
            let nonce = try #require(Browser.firstMatch(#"name="nonce" value="([^"]+)""#, in: admin.lastPage))
            let response = try await admin.post(
                "/admin/team/api-keys",
                [
                    ("name", " "), ("nonce", nonce), ("from", "dialog"), ("allowed_addresses", "10.0.0.0/99"),
                    ("permission_choice", "only"),
                ])
            #expect(response.status == .unprocessableEntity)
            let page = admin.lastPage
            // The list, with its dialog open and holding every problem.
            #expect(page.contains("<h1>API Keys</h1>"))
            #expect(
                page.contains(#"<dialog id="create-key-dialog" aria-labelledby="create-key-title" open data-reopen>"#))
            let dialog = try #require(
                page.components(separatedBy: "<dialog id=\"create-key-dialog\"").dropFirst().first)
            #expect(dialog.contains("There are 3 problems"))
            #expect(dialog.contains(#"<p class="field-error" id="key-name-error">Name is required.</p>"#))
            #expect(dialog.contains(#"id="key-permissions-error">Choose at least one permission"#))
            #expect(dialog.contains(#"id="key-addresses-error">"#))
            #expect(dialog.contains(#"aria-invalid="true""#))
            #expect(try await APIKey.query(on: app.db).count() == 0)
        }
    }

    @Test("a taken name from the plain page comes back on that page, next to the name")
    func problemsOnThePlainPage() async throws {
        try await withKagibag { app in
            let admin = Browser(app)
            try await admin.signUp(Browser.newAccount())
            _ = try await admin.createKey(named: "CRM sync")
            try await admin.get("/admin/team/api-keys/new")
            let nonce = try #require(Browser.firstMatch(#"name="nonce" value="([^"]+)""#, in: admin.lastPage))
            let response = try await admin.post("/admin/team/api-keys", [("name", "CRM sync"), ("nonce", nonce)])
            #expect(response.status == .conflict)
            #expect(admin.lastPage.contains("<h1>Create API Key</h1>"))
            #expect(!admin.lastPage.contains("<dialog id=\"create-key-dialog\""))
            #expect(
                admin.lastPage.contains(
                    #"id="key-name-error">This team already has a key named “CRM sync”. Choose another name.</p>"#))
            #expect(admin.lastPage.contains(#"value="CRM sync""#))
        }
    }

    @Test("at the team's limit the create page explains instead of showing a form")
    func limitPageExplains() async throws {
        try await withKagibag({ $0.maxKeysPerTeam = 1 }) { app in
            let admin = Browser(app)
            try await admin.signUp(Browser.newAccount())
            _ = try await admin.createKey(named: "Only one")
            let page = try await admin.get("/admin/team/api-keys/new")
            #expect(page.status == .ok)
            #expect(admin.lastPage.contains(#"id="key-limit">This team has 1 API keys, the most a team can hold"#))
            #expect(!admin.lastPage.contains(#"name="nonce""#))
            #expect(!admin.lastPage.contains(#"<button type="submit" class="primary">Create</button>"#))
            try await admin.get("/admin/team/api-keys")
            #expect(!admin.lastPage.contains("Create API Key</a>"))
            #expect(admin.lastPage.contains(#"id="key-limit""#))
        }
    }

    @Test(
        "the shown-once answer has the key first, a curl line with it and this server's address, and a link to the reference"
    )
    func firstRequestWithTheNewKey() async throws {
        try await withKagibag({ $0.publicURL = "https://events.example.com" }) { app in
            let admin = Browser(app)
            try await admin.signUp(Browser.newAccount())
            let key = try await admin.createKey(named: "CRM sync")
            let page = admin.lastPage
            let body = try #require(page.components(separatedBy: #"<main id="main" tabindex="-1">"#).dropFirst().first)
            // Without script, the key comes before the list.
            let dialogAt = try #require(body.range(of: "<dialog id=\"new-key-dialog\""))
            let headingAt = try #require(body.range(of: "<h1>API Keys</h1>"))
            #expect(dialogAt.lowerBound < headingAt.lowerBound)
            let curl =
                "curl -H &quot;Authorization: Bearer \(key)&quot; \\\n     -H &quot;Accept: application/json&quot; \\\n"
                + "     https://events.example.com/api/v1/organizer/events"
            #expect(page.contains(curl))
            #expect(page.contains(#"<a href="/docs/api">API reference</a>"#))
            #expect(page.contains(#"aria-live="polite""#))
            // Elsewhere the example names no key.
            try await admin.get("/admin/team/api-keys")
            #expect(!admin.lastPage.contains(key))
            #expect(admin.lastPage.contains("Authorization: Bearer YOUR_API_KEY"))
            #expect(admin.lastPage.contains("https://events.example.com/api/v1/organizer/events"))
            #expect(admin.lastPage.contains(#"<a href="/docs/api">API reference</a>"#))
        }
    }

    @Test("the delete confirmations put the focus on Cancel")
    func deleteFocusesCancel() async throws {
        try await withKagibag { app in
            let (admin, _, keyPath) = try await Browser.adminWithKey(app)
            try await admin.get("/admin/team/api-keys")
            #expect(admin.lastPage.contains(#"<button type="button" data-close-dialog autofocus>Cancel</button>"#))
            try await admin.get(keyPath + "/delete")
            #expect(admin.lastPage.contains(#"autofocus>Cancel</a>"#))
        }
    }
}
