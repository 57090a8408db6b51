import APIKeyCore
import Fluent
import Testing
import VaporTesting

@testable import App

@Suite("Finding a key by the secret you hold")
struct KeySearchTests {
    static let search = "/admin/team/api-keys/search"

    @Test("a whole key pasted into search opens its page, and the secret is in no address along the way")
    func wholeKeyOpensItsPage() async throws {
        try await withKagibag { app in
            let (admin, key, path) = try await Browser.adminWithKey(app)
            try await admin.get("/admin/team/api-keys")
            #expect(admin.lastPage.contains(#"<form method="post" action="/admin/team/api-keys/search""#))
            let found = try await admin.post(Self.search, [("q", "  " + key + " "), ("status", "all")])
            #expect(found.status == .seeOther)
            #expect(found.headers.first(name: .location) == path)
            try await admin.get(path)
            #expect(admin.lastPage.contains("That is the secret of “CRM sync”."))
            #expect(!admin.lastPage.contains(key))
            // After a roll the old secret, still in its grace period, names the same key.
            let new = try await admin.rollKey(at: path, grace: 3600)
            let old = try await admin.post(Self.search, [("q", key)])
            #expect(old.headers.first(name: .location) == path)
            try await admin.get(path)
            #expect(admin.lastPage.contains("That is the old secret of “CRM sync”"))
            #expect(try await admin.post(Self.search, [("q", new)]).headers.first(name: .location) == path)
        }
    }

    @Test("another team's key, a mangled key and a key in a link find nothing and are never shown back")
    func nothingElseIsFound() async throws {
        try await withKagibag { app in
            let (_, key, path) = try await Browser.adminWithKey(app)
            let stranger = Browser(app)
            try await stranger.signUp(Browser.newAccount())
            _ = try await stranger.createKey(named: "Mine")
            let elsewhere = try await stranger.post(Self.search, [("q", key)])
            #expect(elsewhere.headers.first(name: .location) == "/admin/team/api-keys")
            try await stranger.get("/admin/team/api-keys")
            #expect(stranger.lastPage.contains("No key of this team has that secret."))
            #expect(!stranger.lastPage.contains(key) && !stranger.lastPage.contains(path))
            // One character changed: the checksum says it is no key at all.
            var mangled = Array(key)
            mangled[10] = mangled[10] == "a" ? "b" : "a"
            let wrong = try await stranger.post(Self.search, [("q", String(mangled))])
            #expect(wrong.headers.first(name: .location) == "/admin/team/api-keys")
            try await stranger.get("/admin/team/api-keys")
            #expect(stranger.lastPage.contains("That is not a whole Kagibag key"))
            // A whole key in a link is neither searched for nor put back into the page or a link.
            let link = try await stranger.get("/admin/team/api-keys?q=\(key)&status=active")
            #expect(link.status == .seeOther)
            #expect(link.headers.first(name: .location) == "/admin/team/api-keys?status=active")
            try await stranger.get("/admin/team/api-keys?status=active")
            #expect(stranger.lastPage.contains("from the search box only"))
            #expect(!stranger.lastPage.contains(String(key.prefix(12))))
        }
    }

    @Test(
        "a key pasted with what surrounds it (Bearer, an env line, quotes, a zero-width space) is found and never put in a link"
    )
    func keyInItsSurroundings() async throws {
        try await withKagibag { app in
            let (admin, key, path) = try await Browser.adminWithKey(app)
            for pasted in [
                "Authorization: Bearer \(key)", "KAGIBAG_KEY=\(key)", "\"\(key)\"", "\u{200B}\(key)", "\u{FEFF}\(key) ",
            ] {
                let found = try await admin.post(Self.search, [("q", pasted)])
                #expect(found.headers.first(name: .location) == path, "\(pasted.prefix(12))")
            }
            // Cut short or mangled, it is still not searched for by name (not in a link).
            let cut = try await admin.post(Self.search, [("q", "Bearer " + key.dropLast(10))])
            #expect(cut.headers.first(name: .location) == "/admin/team/api-keys")
            let link = try await admin.get("/admin/team/api-keys?q=Bearer%20\(key)")
            #expect(link.headers.first(name: .location) == "/admin/team/api-keys")
            // A name that merely starts like a key is a name.
            _ = try await admin.createKey(named: "kgb_exporter")
            let byName = try await admin.post(Self.search, [("q", "kgb_exporter")])
            #expect(byName.headers.first(name: .location) == "/admin/team/api-keys?q=kgb_exporter")
        }
    }

    @Test("a key as the pages show it (…last four) finds it; a name still searches as a link")
    func shownFormAndNames() async throws {
        try await withKagibag { app in
            let (admin, key, _) = try await Browser.adminWithKey(app)
            _ = try await admin.createKey(named: "Ticket scanner")
            let lastFour = String(key.suffix(4))
            for shown in ["…" + lastFour, "kgb_…" + lastFour, "..." + lastFour] {
                let response = try await admin.post(Self.search, [("q", shown)])
                #expect(response.headers.first(name: .location) == "/admin/team/api-keys?q=\(lastFour)")
            }
            try await admin.get("/admin/team/api-keys?q=\(lastFour)")
            #expect(admin.lastPage.contains(">CRM sync</a>") && !admin.lastPage.contains(">Ticket scanner</a>"))
            let byName = try await admin.post(Self.search, [("q", "scanner"), ("status", "active")])
            #expect(byName.headers.first(name: .location) == "/admin/team/api-keys?q=scanner&status=active")
        }
    }
}
