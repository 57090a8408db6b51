import APIKeyCore
import Fluent
import Testing
import VaporTesting

@testable import App

@Suite("Public credential revocation")
struct CredentialRevocationTests {
    /// An admin with one key named "CRM sync"; returns the admin, the key and its page.
    func adminWithKey(_ app: Application) async throws -> (Browser, String, String) {
        let admin = Browser(app)
        try await admin.signUp(Browser.newAccount())
        let key = try await admin.createKey(named: "CRM sync")
        let id = try #require(try await APIKey.query(on: app.db).filter(\.$name == "CRM sync").first()?.id)
        return (admin, key, "/admin/team/api-keys/\(id.lowercasedString)")
    }

    func auditActions(_ app: Application) async throws -> [String] {
        try await AuditEvent.query(on: app.db).sort(\.$id).all().map(\.action)
    }

    @Test(
        "a reported key is refused at its next request with 401 'revoked because it was reported as leaked'; the answer is 202 and the count"
    )
    func reportedKeyIsRefused() async throws {
        try await withKagibag { app in
            let (admin, key, path) = try await adminWithKey(app)
            #expect(try await app.api("/api/v1/organizer/events", key: key).status == .ok)

            let response = try await app.reportToPublicEndpoint([key, "not-a-key", APIKeyToken.generate().plaintext])
            #expect(response.status == .accepted)
            #expect(try response.json() as NSDictionary == ["received": 3])
            #expect(response.headers.first(name: .cacheControl) == "no-store")
            #expect(!response.text.contains(key))

            let refused = try await app.api("/api/v1/organizer/events", key: key)
            #expect(refused.status == .unauthorized)
            #expect(refused.challenge.contains(#"error="invalid_token""#))
            #expect(try refused.json()["detail"] as? String ?? "" == BearerChallenge.leaked.detail)
            #expect(BearerChallenge.leaked.detail.contains("revoked because it was reported as leaked"))

            try await admin.get("/admin/team/api-keys")
            #expect(admin.lastPage.contains(#"<span class="key-status danger-text">Revoked: reported leaked</span>"#))
            #expect(admin.lastPage.contains("via the public revocation endpoint"))
            try await admin.get("/admin/team/api-keys?status=leaked")
            #expect(admin.lastPage.contains(#"class="key-name">CRM sync</a>"#))
            try await admin.get("/admin/team/api-keys?status=active")
            #expect(!admin.lastPage.contains(#"class="key-name">CRM sync</a>"#))
            try await admin.get(path)
            #expect(admin.lastPage.contains(#"<h2 id="leak-heading">Revoked: reported leaked</h2>"#))
            #expect(!admin.lastPage.contains(key))
            #expect(try await auditActions(app).last == "api_key.revoked_as_leaked")
            let entry = try #require(
                try await AuditEvent.query(on: app.db).filter(\.$action == "api_key.revoked_as_leaked").first())
            #expect(entry.actor == "Public revocation endpoint")
            #expect(
                entry.summary
                    == "revoked API key “CRM sync” (…\(key.suffix(4))): reported as leaked through the public revocation endpoint"
            )
        }
    }

    @Test("the answer does not tell keys that exist from keys that do not")
    func noOracle() async throws {
        try await withKagibag { app in
            let (_, key, _) = try await adminWithKey(app)
            var answers: Set<String> = []
            for candidate in [
                key, key, APIKeyToken.generate().plaintext, "kgb_short", String(repeating: "x", count: 50),
            ] {
                let response = try await app.reportToPublicEndpoint([candidate])
                answers.insert("\(response.status.code) \(response.text)")
            }
            #expect(answers == [#"202 {"received":1}"#])
        }
    }

    @Test("reporting the same key twice, or twice at once, revokes it and records it once")
    func idempotent() async throws {
        try await withKagibag { app in
            let (_, key, _) = try await adminWithKey(app)
            async let first = app.reportToPublicEndpoint([key, key])
            async let second = app.reportToPublicEndpoint([key])
            #expect(try await [first.status, second.status] == [.accepted, .accepted])
            #expect(try await app.reportToPublicEndpoint([key]).status == .accepted)
            #expect(try await auditActions(app).filter { $0 == "api_key.revoked_as_leaked" }.count == 1)
            let revokedAt = try #require(try await APIKey.query(on: app.db).first()?.revokedAt)
            _ = try await app.reportToPublicEndpoint([key])
            #expect(try await APIKey.query(on: app.db).first()?.revokedAt == revokedAt)
            #expect(
                try await app.metric(#"kagibag_leak_reports_credentials_total{channel="public",stage="received"}"#) == 5
            )
            #expect(
                try await app.metric(#"kagibag_leak_reports_credentials_total{channel="public",stage="live"}"#) == 5)
            #expect(
                try await app.metric(#"kagibag_leak_reports_credentials_total{channel="public",stage="revoked"}"#) == 1)
        }
    }

    @Test("a rolled key's old secret, reported during its grace period, revokes the whole key")
    func oldSecretRevokesKey() async throws {
        try await withKagibag { app in
            let (admin, old, path) = try await adminWithKey(app)
            let new = try await admin.rollKey(at: path, grace: 3600)
            #expect(try await app.reportToPublicEndpoint([old]).status == .accepted)
            for secret in [old, new] {
                let refused = try await app.api("/api/v1/organizer/events", key: secret)
                #expect(refused.status == .unauthorized)
                #expect(
                    (try refused.json()["detail"] as? String ?? "").contains(
                        "revoked because it was reported as leaked"))
            }
        }
    }

    @Test("an ended secret or a deleted key matches nothing and revokes nothing")
    func deadSecretsMatchNothing() async throws {
        try await withKagibag { app in
            let (admin, old, path) = try await adminWithKey(app)
            let new = try await admin.rollKey(at: path, grace: 0)
            _ = try await app.reportToPublicEndpoint([old])
            #expect(try await app.api("/api/v1/organizer/events", key: new).status == .ok)
            #expect(try await APIKey.query(on: app.db).first()?.revokedAt == nil)
            let other = try await admin.createKey(named: "Export")
            let exportID = try #require(try await APIKey.query(on: app.db).filter(\.$name == "Export").first()?.id)
            try await admin.post("/admin/team/api-keys/\(exportID.lowercasedString)/delete")
            #expect(try await app.reportToPublicEndpoint([other]).status == .accepted)
            #expect(try await auditActions(app).contains("api_key.revoked_as_leaked") == false)
        }
    }

    @Test("malformed requests get a 4xx with a message, never reach the database and change nothing")
    func malformed() async throws {
        try await withKagibag { app in
            let (_, key, _) = try await adminWithKey(app)
            let many = "{\"credentials\": [" + Array(repeating: "\"a\"", count: 10_000).joined(separator: ",") + "]}"
            let huge = "{\"credentials\": [\"" + String(repeating: "k", count: 1 << 20) + "\"]}"
            let cases: [(String, String, HTTPMediaType?, UInt)] = [
                ("an array", #"["\#(key)"]"#, .json, 400),
                ("credentials not an array", #"{"credentials": "\#(key)"}"#, .json, 400),
                ("credentials missing", #"{}"#, .json, 400),
                ("numbers", #"{"credentials": [1, 2]}"#, .json, 400),
                ("objects", #"{"credentials": [{"token": "\#(key)"}]}"#, .json, 400),
                ("null", #"{"credentials": [null]}"#, .json, 400),
                ("no entries", #"{"credentials": []}"#, .json, 422),
                (
                    "101 keys",
                    "{\"credentials\": [" + Array(repeating: "\"\(key)\"", count: 101).joined(separator: ",") + "]}",
                    .json, 422
                ),
                ("10,000 entries", many, .json, 413),
                ("a 1 MB string", huge, .json, 413),
                ("an unknown field", #"{"credentials": ["\#(key)"], "force": true}"#, .json, 400),
                ("not JSON", "credentials=\(key)", .json, 400),
                ("a raw NUL byte", "{\"credentials\": [\"\(key)\u{0}\"]}", .json, 400),
                ("not JSON by its type", #"{"credentials": ["\#(key)"]}"#, .urlEncodedForm, 415),
                ("an empty body", "", .json, 400),
            ]
            for (name, body, type, status) in cases {
                let response = try await app.reportToPublicEndpoint(raw: body, contentType: type)
                #expect(response.status.code == status, "\(name): \(response.status) \(response.text.prefix(200))")
                #expect(response.headers.contentType?.subType == "problem+json", "\(name)")
                #expect(!response.text.contains(key), "\(name) echoed the key")
            }
            let hundredOne = "{\"credentials\": [" + Array(repeating: "\"x\"", count: 101).joined(separator: ",") + "]}"
            let refused = try await app.reportToPublicEndpoint(raw: hundredOne)
            #expect(refused.status == .unprocessableEntity)
            #expect(
                try refused.json()["detail"] as? String
                    == "credentials must hold 1 to 100 strings; this request has 101.")
            // Strings that cannot be keys are refused, naming the first: an escaped NUL, a space, 101 characters, nothing.
            for bad in ["\\u0000", " \(key)", String(repeating: "k", count: 101), ""] {
                let response = try await app.reportToPublicEndpoint(raw: #"{"credentials": ["\#(key)", "\#(bad)"]}"#)
                #expect(response.status == .unprocessableEntity, "\(bad.prefix(20))")
                #expect(try response.json()["field"] as? String == "credentials.1")
            }
            // Strings that look like keys but fail the checksum cost no lookup.
            let typo = String(key.dropLast()) + (key.last == "A" ? "B" : "A")
            #expect(try await app.reportToPublicEndpoint([typo, "kgb_short", "ghp_somebody_else"]).status == .accepted)

            #expect(try await app.leakLookups() == 0)
            #expect(try await app.api("/api/v1/organizer/events", key: key).status == .ok)
            #expect(try await APIKey.query(on: app.db).filter(\.$revokedAt != nil).count() == 0)
            #expect(
                try await app.metric(#"kagibag_leak_reports_refused_total{channel="public",reason="malformed"}"#) >= 10)
        }
    }

    @Test("each client address may send a limited number of reports a minute; then 429 with Retry-After")
    func limitedPerAddress() async throws {
        try await withKagibag({ $0.credentialRevocationsPerMinute = 2 }) { app in
            let (_, key, _) = try await adminWithKey(app)
            for _ in 0..<2 { #expect(try await app.reportToPublicEndpoint(["not-a-key"]).status == .accepted) }
            let limited = try await app.reportToPublicEndpoint([key])
            #expect(limited.status == .tooManyRequests)
            #expect(Int(limited.headers.first(name: .retryAfter) ?? "") ?? 0 >= 1)
            #expect(try await app.api("/api/v1/organizer/events", key: key).status == .ok)
        }
    }

    @Test(
        "an admin rolls a revoked key back to life: every old secret ends at once, whatever the grace, and the notice goes"
    )
    func rollRevives() async throws {
        try await withKagibag { app in
            let (admin, leaked, path) = try await adminWithKey(app)
            _ = try await app.reportToPublicEndpoint([leaked])
            try await admin.get(path)
            #expect(admin.lastPage.contains("every old secret ends at once"))
            #expect(!admin.lastPage.contains(#"id="roll-grace""#))
            let new = try await admin.rollKey(at: path, grace: 3600)
            #expect(try await app.api("/api/v1/organizer/events", key: new).status == .ok)
            let old = try await app.api("/api/v1/organizer/events", key: leaked)
            #expect(old.status == .unauthorized)
            #expect(try await APIKeySecret.query(on: app.db).count() == 1)
            let key = try #require(try await APIKey.query(on: app.db).first())
            #expect(key.revokedAt == nil && key.leakURL == nil && key.revokedVia == nil)
            try await admin.get("/admin/team/api-keys")
            #expect(!admin.lastPage.contains(">Revoked: reported leaked</span>"))
            #expect(!admin.lastPage.contains("dismiss-leak-notice"))
            let rolled = try #require(
                try await AuditEvent.query(on: app.db).filter(\.$action == "api_key.rolled").first())
            #expect(rolled.summary.hasSuffix("which had been reported as leaked; every old secret ended at once"))
        }
    }

    @Test("a key rolling itself cannot bring itself back once revoked")
    func selfRollCannotRevive() async throws {
        try await withKagibag { app in
            let (_, leaked, _) = try await adminWithKey(app)
            _ = try await app.reportToPublicEndpoint([leaked])
            let key = try #require(try await APIKey.query(on: app.db).first())
            await #expect(throws: DomainError.self) {
                try await APIKeySecrets.roll(
                    key, to: APIKeyToken.generate(), grace: 0, expiresAt: nil, audit: { _, _ in }, on: app.db)
            }
            #expect(try await APIKey.query(on: app.db).first()?.revokedAt != nil)
            #expect(try await APIKeySecret.query(on: app.db).count() == 1)
        }
    }

    @Test("a new key can take the name of a revoked one, which keeps a dated name")
    func nameReuse() async throws {
        try await withKagibag { app in
            let (admin, leaked, _) = try await adminWithKey(app)
            _ = try await app.reportToPublicEndpoint([leaked])
            let fresh = try await admin.createKey(named: "crm SYNC")
            #expect(try await app.api("/api/v1/organizer/events", key: fresh).status == .ok)
            let names = try await APIKey.query(on: app.db).all().map { "\($0.name)|\($0.revokedAt != nil)" }.sorted()
            let date = Date().formatted(.iso8601.year().month().day())
            #expect(names == ["CRM sync (leaked \(date))|true", "crm SYNC|false"])
            // A live key's name stays taken.
            try await admin.get("/admin/team/api-keys/new")
            let clash = try await admin.post("/admin/team/api-keys", [("name", "CRM Sync")])
            #expect(clash.status == .conflict)
        }
    }

    @Test("a report racing a roll or a delete of the same key leaves no leaked secret working and no half-done state")
    func racingRollAndDelete() async throws {
        try await withKagibag { app in
            let admin = Browser(app)
            try await admin.signUp(Browser.newAccount())
            for round in 0..<4 {
                let leaked = try await admin.createKey(named: "Race \(round)")
                let id = try #require(try await APIKey.query(on: app.db).filter(\.$name == "Race \(round)").first()?.id)
                let path = "/admin/team/api-keys/\(id.lowercasedString)"
                try await admin.get(path)
                let nonce = Browser.firstMatch(#"name="nonce" value="([^"]+)""#, in: admin.lastPage) ?? ""
                let csrf = try #require(admin.csrf)
                // Sent at once; whichever lands first, the leaked secret must end up refused.
                let change: @Sendable () async throws -> TestingHTTPResponse = {
                    round.isMultiple(of: 2)
                        ? try await admin.post(
                            path + "/roll",
                            [("grace", "3600"), ("nonce", nonce), ("_csrf", csrf), ("confirmed", "yes")],
                            withCSRF: false)
                        : try await admin.post(path + "/delete", [("_csrf", csrf)], withCSRF: false)
                }
                async let report = app.reportToPublicEndpoint([leaked])
                async let changing = change()
                let (reported, changed) = try await (report, changing)
                #expect(reported.status == .accepted)
                #expect(changed.status.code < 500)
                #expect(
                    try await app.api("/api/v1/organizer/events", key: leaked).status == .unauthorized, "round \(round)"
                )
                #expect(
                    try await AuditEvent.query(on: app.db).filter(\.$action == "api_key.revoked_as_leaked").count()
                        <= round + 1)
            }
        }
    }
}
