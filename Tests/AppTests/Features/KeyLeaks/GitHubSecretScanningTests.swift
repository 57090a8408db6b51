import APIKeyCore
import Crypto
import Fluent
import Testing
import VaporTesting

@testable import App

@Suite("GitHub secret scanning")
struct GitHubSecretScanningTests {
    /// Runs `body` on a Kagibag that trusts a partner key made for the test.
    func withPartner(_ body: (Application, PartnerKeys) async throws -> Void) async throws {
        let keys = try PartnerKeys()
        defer { keys.remove() }
        try await withKagibag({ $0.secretScanningKeysFile = keys.file }) { app in try await body(app, keys) }
    }

    func adminWithKey(_ app: Application) async throws -> (Browser, String) {
        let admin = Browser(app)
        try await admin.signUp(Browser.newAccount())
        return (admin, try await admin.createKey(named: "CRM sync"))
    }

    func feedback(_ response: TestingHTTPResponse) throws -> [[String: String]] {
        try #require(try JSONSerialization.jsonObject(with: Data(response.text.utf8)) as? [[String: String]])
    }

    @Test("a signed report revokes the live key, labels each token, and shows the leak's URL to admins")
    func signedReport() async throws {
        try await withPartner { app, partner in
            let (admin, key) = try await adminWithKey(app)
            let unknown = APIKeyToken.generate().plaintext
            let response = try await app.reportToGitHubEndpoint(
                try Application.gitHubPayload([key, unknown, "kgb_nope"]), signedBy: partner)
            #expect(response.status == .ok)
            #expect(response.headers.contentType == .json)
            #expect(
                try feedback(response) == [
                    ["token_raw": key, "token_type": "kagibag_api_key", "label": "true_positive"],
                    ["token_raw": unknown, "token_type": "kagibag_api_key", "label": "false_positive"],
                    ["token_raw": "kgb_nope", "token_type": "kagibag_api_key", "label": "false_positive"],
                ])
            let refused = try await app.api("/api/v1/organizer/events", key: key)
            #expect(refused.status == .unauthorized)
            #expect(
                (try refused.json()["detail"] as? String ?? "").contains("revoked because it was reported as leaked"))

            let stored = try #require(try await APIKey.query(on: app.db).first())
            #expect(stored.revokedVia == "github" && stored.leakSource == "commit")
            #expect(stored.leakURL == "https://github.com/acme/crm/blob/abc123/.env")
            try await admin.get("/admin/team/api-keys")
            #expect(admin.lastPage.contains("via GitHub secret scanning"))
            #expect(
                admin.lastPage.contains(
                    #"<a href="https://github.com/acme/crm/blob/abc123/.env" rel="nofollow noopener noreferrer">"#))
            #expect(
                admin.lastPage.contains(
                    "because it was found at https://github.com/acme/crm/blob/abc123/.env (commit), reported by GitHub secret scanning."
                ))
            let entry = try #require(
                try await AuditEvent.query(on: app.db).filter(\.$action == "api_key.revoked_as_leaked").first())
            #expect(entry.actor == "GitHub secret scanning")
            #expect(
                entry.summary.hasSuffix(
                    "through GitHub secret scanning, found at https://github.com/acme/crm/blob/abc123/.env (commit)"))

            // GitHub may send the same match again: the same labels, one revocation.
            let again = try await app.reportToGitHubEndpoint(try Application.gitHubPayload([key]), signedBy: partner)
            #expect(try feedback(again).first?["label"] == "true_positive")
            #expect(
                try await AuditEvent.query(on: app.db).filter(\.$action == "api_key.revoked_as_leaked").count() == 1)
        }
    }

    @Test("unsigned, unknown-key, tampered and garbled signatures get 401 and change nothing")
    func badSignatures() async throws {
        try await withPartner { app, partner in
            let (_, key) = try await adminWithKey(app)
            let payload = try Application.gitHubPayload([key])
            let other = try Application.gitHubPayload([key], url: "https://github.com/acme/other")
            let stranger = try PartnerKeys(identifier: "stranger")
            defer { stranger.remove() }
            let id = GitHubSecretScanningController.identifierHeader,
                sig = GitHubSecretScanningController.signatureHeader
            let cases: [(String, Data, PartnerKeys?, [(String, String)])] = [
                ("no headers", payload, nil, []),
                ("no signature", payload, nil, [(id, partner.identifier)]),
                ("no key identifier", payload, nil, [(sig, try partner.sign(payload))]),
                ("empty signature", payload, partner, [(sig, "")]),
                ("unknown key identifier", payload, partner, [(id, "not-a-key-of-github")]),
                ("a huge key identifier", payload, partner, [(id, String(repeating: "k", count: 4000))]),
                ("signed by a key GitHub never published", payload, stranger, [(id, partner.identifier)]),
                ("signed for another body", payload, partner, [(sig, try partner.sign(other))]),
                ("not base64", payload, partner, [(sig, "not base64 at all!")]),
                (
                    "base64 but not DER", payload, partner,
                    [(sig, Data("definitely not DER".utf8).base64EncodedString())]
                ),
                (
                    "raw signature, not DER", payload, partner,
                    [(sig, try partner.privateKey.signature(for: payload).rawRepresentation.base64EncodedString())]
                ),
            ]
            for (name, body, signer, headers) in cases {
                let response = try await app.reportToGitHubEndpoint(body, signedBy: signer, headers: headers)
                #expect(response.status == .unauthorized, "\(name): \(response.status)")
                #expect(response.headers.contentType?.subType == "problem+json", "\(name)")
                #expect(!response.text.contains(key), "\(name) echoed the key")
            }
            // A good signature over a body with one byte changed.
            var tampered = payload
            tampered[tampered.count - 3] ^= 0x01
            let response = try await app.reportToGitHubEndpoint(
                tampered, signedBy: partner, headers: [(sig, try partner.sign(payload))])
            #expect(response.status == .unauthorized)

            #expect(try await app.leakLookups() == 0)
            #expect(try await app.api("/api/v1/organizer/events", key: key).status == .ok)
            #expect(
                try await app.metric(#"kagibag_leak_reports_refused_total{channel="github",reason="bad_signature"}"#)
                    == 6)
            #expect(
                try await app.metric(#"kagibag_leak_reports_refused_total{channel="github",reason="unsigned"}"#) == 4)
            #expect(
                try await app.metric(#"kagibag_leak_reports_refused_total{channel="github",reason="unknown_key"}"#) == 2
            )
        }
    }

    @Test("signed but malformed payloads get 400 or 413, never reach the database and never 5xx")
    func malformedPayloads() async throws {
        try await withPartner { app, partner in
            let (_, key) = try await adminWithKey(app)
            func json(_ object: Any) throws -> Data { try JSONSerialization.data(withJSONObject: object) }
            let cases: [(String, Data, UInt)] = [
                ("an object", try json(["token": key, "type": "kagibag_api_key"]), 400),
                ("a string", Data("\"\(key)\"".utf8), 400),
                ("not JSON", Data("token=\(key)".utf8), 400),
                ("an empty body", Data(), 400),
                ("a number as token", try json([["token": 42, "type": "kagibag_api_key"]]), 400),
                ("null as token", Data(#"[{"token": null}]"#.utf8), 400),
                ("no token", try json([["type": "kagibag_api_key", "url": "https://github.com/x"]]), 400),
                ("an array as url", try json([["token": key, "url": ["https://github.com/x"]]]), 400),
                ("1,001 entries", try json(Array(repeating: ["token": "kgb_x", "type": "t"], count: 1_001)), 400),
                (
                    "10,000 entries, over 256 KiB",
                    try json(Array(repeating: ["token": "kgb_x", "type": "kagibag_api_key"], count: 10_000)), 413
                ),
                ("a raw NUL byte", Data("[{\"token\": \"\(key)\u{0}\"}]".utf8), 400),
                ("a 1 MB token", try json([["token": String(repeating: "k", count: 1 << 20)]]), 413),
            ]
            for (name, body, status) in cases {
                let response = try await app.reportToGitHubEndpoint(body, signedBy: partner)
                #expect(response.status.code == status, "\(name): \(response.status) \(response.text.prefix(200))")
                #expect(!response.text.contains(key), "\(name) echoed the key")
            }
            // Signed strings that are not keys are labelled, and cost no lookup.
            let odd = try await app.reportToGitHubEndpoint(
                try json([["token": "\(key)\u{0}"], ["token": ""], ["token": String(repeating: "é", count: 5000)]]),
                signedBy: partner)
            #expect(odd.status == .ok)
            #expect(try feedback(odd).map { $0["label"] } == ["false_positive", "false_positive", "false_positive"])

            #expect(try await app.leakLookups() == 0)
            #expect(try await app.api("/api/v1/organizer/events", key: key).status == .ok)
        }
    }

    @Test("a body over 1 MB gets 413 before its signature is even looked at")
    func tooLarge() async throws {
        try await withPartner { app, _ in
            let body = Data(repeating: UInt8(ascii: " "), count: GitHubSecretScanningController.bodyLimit + 1)
            let response = try await app.reportToGitHubEndpoint(body, signedBy: nil)
            #expect(response.status == .payloadTooLarge)
            #expect(
                try await app.metric(#"kagibag_leak_reports_refused_total{channel="github",reason="too_large"}"#) == 1)
        }
    }

    @Test(
        "a large report sent over a real connection, so that it arrives in chunks, is read whole before its signature is checked"
    )
    func streamedOverTheNetwork() async throws {
        try await withPartner { app, partner in
            let (_, key) = try await adminWithKey(app)
            // About 220 kB: it arrives in many chunks.
            let filler = (0..<999).map { _ in APIKeyToken.generate().plaintext + String(repeating: "x", count: 60) }
            let payload = try Application.gitHubPayload(filler + [key])
            #expect(
                payload.count > 150_000 && payload.count < GitHubSecretScanningController.bodyLimit, "\(payload.count)")
            var headers = HTTPHeaders()
            headers.contentType = .json
            headers.add(name: GitHubSecretScanningController.identifierHeader, value: partner.identifier)
            headers.add(name: GitHubSecretScanningController.signatureHeader, value: try partner.sign(payload))
            let live = try app.testing(method: .running(hostname: "127.0.0.1", port: 0))
            let response = try await live.sendRequest(
                .POST, "/api/v1/secret-scanning/github", headers: headers, body: ByteBuffer(data: payload))
            #expect(response.status == .ok)
            let labels = try feedback(response).map { $0["label"] ?? "" }
            #expect(
                labels.count == 1000 && labels.last == "true_positive"
                    && labels.dropLast().allSatisfy { $0 == "false_positive" })
            #expect(try await app.api("/api/v1/organizer/events", key: key).status == .unauthorized)
        }
    }

    @Test("without KAGIBAG_SECRET_SCANNING_KEYS every report gets 401")
    func notConfigured() async throws {
        try await withKagibag { app in
            let partner = try PartnerKeys()
            defer { partner.remove() }
            let response = try await app.reportToGitHubEndpoint(
                try Application.gitHubPayload([APIKeyToken.generate().plaintext]), signedBy: partner)
            #expect(response.status == .unauthorized)
            #expect((try response.json()["detail"] as? String ?? "").contains("KAGIBAG_SECRET_SCANNING_KEYS"))
        }
    }

    @Test("a refreshed key file is used without a restart; a broken one is logged and the old keys stay")
    func refreshedKeys() async throws {
        try await withPartner { app, partner in
            let rotated = P256.Signing.PrivateKey()
            let payload = try Application.gitHubPayload([APIKeyToken.generate().plaintext])
            let signedByRotated: [(String, String)] = [
                (GitHubSecretScanningController.identifierHeader, "rotated"),
                (
                    GitHubSecretScanningController.signatureHeader,
                    try rotated.signature(for: payload).derRepresentation.base64EncodedString()
                ),
            ]
            #expect(
                try await app.reportToGitHubEndpoint(payload, signedBy: nil, headers: signedByRotated).status
                    == .unauthorized)
            try partner.write(keys: [
                (partner.identifier, partner.privateKey.publicKey), ("rotated", rotated.publicKey),
            ])
            #expect(
                try await app.reportToGitHubEndpoint(payload, signedBy: nil, headers: signedByRotated).status == .ok)
            try Data("{\"public_keys\": 3}".utf8).write(to: URL(fileURLWithPath: partner.file))
            #expect(
                try await app.reportToGitHubEndpoint(payload, signedBy: nil, headers: signedByRotated).status == .ok)
            #expect(try await app.reportToGitHubEndpoint(payload, signedBy: partner).status == .ok)
        }
    }

    @Test("a key file that cannot be used stops start-up with a message naming the setting")
    func badKeyFile() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent(
            "kagibag-bad-keys-\(UUID().uuidString).json"
        ).path
        defer { try? FileManager.default.removeItem(atPath: file) }
        for content in [
            "not json", #"{"public_keys": []}"#,
            #"{"public_keys": [{"key_identifier": "a", "key": "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"}]}"#,
        ] {
            try Data(content.utf8).write(to: URL(fileURLWithPath: file))
            #expect(throws: SettingsError.self) { try SecretScanningKeys(file: file, logger: Logger(label: "test")) }
        }
        do {
            _ = try SecretScanningKeys(file: file + ".missing", logger: Logger(label: "test"))
            Issue.record("a missing file was accepted")
        } catch {
            #expect(error.description.hasPrefix("kagibag: invalid setting KAGIBAG_SECRET_SCANNING_KEYS: cannot read"))
        }
    }

    @Test("the leak's URL becomes a link only if it is an http(s) URL; odd sources are dropped")
    func leakDetailsAreSanitised() {
        #expect(
            KeyLeakFields.url("https://github.com/acme/crm/blob/main/.env")
                == "https://github.com/acme/crm/blob/main/.env")
        #expect(KeyLeakFields.url("javascript:alert(1)") == nil)
        #expect(KeyLeakFields.url("https://github.com/a b") == nil)
        #expect(KeyLeakFields.url("https://github.com/\u{0}") == nil)
        #expect(KeyLeakFields.url("https://" + String(repeating: "a", count: 3000)) == nil)
        #expect(KeyLeakFields.url(nil) == nil)
        #expect(KeyLeakFields.source("pull_request_comment") == "pull_request_comment")
        #expect(KeyLeakFields.source("a\nb") == nil)
        #expect(KeyLeakFields.source(String(repeating: "s", count: 101)) == nil)
    }
}
