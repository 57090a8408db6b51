import APIKeyCore
import Fluent
import Testing
import VaporTesting

@testable import App

@Suite("Prometheus metrics")
struct MetricsTests {
    func value(_ metrics: String, _ series: String) -> Double? {
        metrics.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last!) }
    }

    @Test("metrics count requests and authentication outcomes, and never contain a key or digest")
    func outcomesWithoutSecrets() async throws {
        try await withKagibag({ $0.lastUsedFlushSeconds = 3600 }) { app in
            let admin = Browser(app)
            try await admin.signUp(Browser.newAccount())
            let key = try await admin.createKey(named: "CRM sync")
            for _ in 0..<3 { _ = try await app.api("/api/v1/organizer/events", key: key) }
            _ = try await app.api("/api/v1/organizer/events", key: nil)
            _ = try await app.api("/api/v1/organizer/events", key: "kgb_nonsense")
            _ = try await app.api("/api/v1/organizer/events", key: APIKeyToken.generate().plaintext)
            let keyID = try #require(try await APIKey.query(on: app.db).first()?.id)
            try await admin.get("/admin/team/api-keys")
            try await admin.post("/admin/team/api-keys/\(keyID.uuidString.lowercased())/delete")
            _ = try await app.api("/api/v1/organizer/events", key: key)
            try await app.usage.flush(on: app.db)

            let response = try await app.testing().sendRequest(.GET, "/metrics")
            let text = String(buffer: response.body)
            #expect(response.status == .ok)
            #expect(value(text, #"kagibag_api_authentications_total{outcome="accepted"}"#) == 3)
            #expect(value(text, #"kagibag_api_authentications_total{outcome="missing"}"#) == 1)
            #expect(value(text, #"kagibag_api_authentications_total{outcome="malformed"}"#) == 1)
            #expect(value(text, #"kagibag_api_authentications_total{outcome="unknown"}"#) == 1)
            #expect(value(text, #"kagibag_api_authentications_total{outcome="revoked"}"#) == 1)
            #expect(value(text, #"kagibag_last_used_flush_batches_total"#) == 1)
            #expect(value(text, #"kagibag_db_queries_total{kind="write",purpose="last_used"}"#) == 1)
            #expect(text.contains(#"route="/api/v1/organizer/events""#))
            #expect(!text.contains(key))
            #expect(!text.contains(APIKeyToken.digest(of: key)))
            #expect(!text.contains(String(key.dropFirst(4).prefix(12))))
        }
    }

    @Test("an authenticated request writes nothing to the database until the flush")
    func noWritesPerRequest() async throws {
        try await withKagibag({ $0.lastUsedFlushSeconds = 3600 }) { app in
            let admin = Browser(app)
            try await admin.signUp(Browser.newAccount())
            let key = try await admin.createKey(named: "CRM sync")
            let before = String(buffer: try await app.testing().sendRequest(.GET, "/metrics").body)
            for _ in 0..<20 { #expect(try await app.api("/api/v1/organizer/events", key: key).status == .ok) }
            let after = String(buffer: try await app.testing().sendRequest(.GET, "/metrics").body)
            let writes = { (text: String) in
                text.split(separator: "\n").filter { $0.hasPrefix("kagibag_db_queries_total{kind=\"write\"") }
                    .compactMap { Double($0.split(separator: " ").last!) }.reduce(0, +)
            }
            #expect(writes(after) == writes(before))
        }
    }

    @Test("with a metrics token set, /metrics refuses anyone without it")
    func metricsToken() async throws {
        try await withKagibag({ $0.metricsToken = "operator-secret" }) { app in
            #expect(try await app.testing().sendRequest(.GET, "/metrics").status == .unauthorized)
            let wrong = try await app.testing().sendRequest(.GET, "/metrics", headers: ["Authorization": "Bearer nope"])
            #expect(wrong.status == .unauthorized)
            let right = try await app.testing().sendRequest(.GET, "/metrics", headers: ["Authorization": "Bearer operator-secret"])
            #expect(right.status == .ok)
        }
    }
}
