import APIKeyCore
import Fluent
import SQLKit
import Testing
import VaporTesting

@testable import App

@Suite("Prometheus metrics")
struct MetricsTests {
    func value(_ metrics: String, _ series: String) -> Double? {
        metrics.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap {
            Double($0.split(separator: " ").last!)
        }
    }

    @Test("metrics count requests and authentication outcomes, and never contain a key or digest")
    func outcomesWithoutSecrets() async throws {
        try await withKagibag({ $0.lastUsedFlushSeconds = 3600 }) { app in
            let admin = Browser(app)
            try await admin.signUp(Browser.newAccount())
            let key = try await admin.createKey(named: "CRM sync")
            for _ in 0..<3 { _ = try await app.api("/api/v1/organizer/events", key: key) }
            // A refusal is thrown inside the middleware chain: the error middleware's answer still
            // gets the security headers and is counted with its status.
            let missing = try await app.api("/api/v1/organizer/events", key: nil)
            #expect(missing.status == .unauthorized)
            #expect(missing.headers.first(name: "X-Content-Type-Options") == "nosniff")
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
            let refusals = text.split(separator: "\n").first {
                $0.hasPrefix("kagibag_http_requests_total{") && $0.contains(#"route="/api/v1/organizer/events""#)
                    && $0.contains(#"method="GET""#) && $0.contains(#"status="401""#)
            }
            #expect(refusals.flatMap { Double($0.split(separator: " ").last!) } == 4)
            #expect(!text.contains(key))
            #expect(!text.contains(APIKeyToken.digest(of: key)))
            #expect(!text.contains(String(key.dropFirst(4).prefix(12))))
        }
    }

    @Test(
        "an authenticated request writes nothing to the database until the flush, its usage nor its place in the key's recent requests, as the database itself counts"
    )
    func noWritesPerRequest() async throws {
        try await withKagibag({ $0.lastUsedFlushSeconds = 3600 }) { app in
            let admin = Browser(app)
            try await admin.signUp(Browser.newAccount())
            let key = try await admin.createKey(named: "CRM sync")
            let before = try await Self.writeFingerprint(app)
            for _ in 0..<20 { #expect(try await app.api("/api/v1/organizer/events", key: key).status == .ok) }
            #expect(try await Self.writeFingerprint(app) == before)
            if testingOnPostgres {
                // The key's budget (6,000 a minute) was leased once, a slice of 2 % for all 20
                // requests: one statement per slice, shared with the other instances, not per request.
                let leases = try await app.db.sql.raw("SELECT taken FROM rate_budgets").all()
                #expect(try leases.map { try $0.decode(column: "taken", as: Int.self) } == [120])
            }
            // Each key's recent requests wait in memory too (issue 25)…
            #expect(try await app.api("/api/v1/organizer/key/requests", key: key).status == .ok)
            #expect(try await Self.writeFingerprint(app) == before)
            // …and the flushes do write: the fingerprint sees writes.
            _ = try await app.usage.flush(on: app.db)
            let usageWritten = try await Self.writeFingerprint(app)
            #expect(usageWritten != before)
            #expect(try await app.requestLog.flush(on: app.db) == 21)
            #expect(try await Self.writeFingerprint(app) != usageWritten)
        }
    }

    /// What changes whenever anything is written, counted by the database, not by Kagibag: on
    /// SQLite the writing connection's `total_changes()` (the server writes through one
    /// connection; the readers cannot write), on PostgreSQL every row's `xmin` (an insert adds a
    /// row, an update gives it a new `xmin`, a delete removes it) in every table of the test's
    /// own database.
    static func writeFingerprint(_ app: Application) async throws -> [String] {
        let sql = app.db.sql
        guard testingOnPostgres else {
            return [
                String(
                    try await sql.raw("SELECT total_changes() AS n").first()?.decode(column: "n", as: Int.self) ?? -1)
            ]
        }
        let tables = try await sql.raw("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
            .all()
            .map { try $0.decode(column: "tablename", as: String.self) }
        var fingerprint: [String] = []
        // Budget leases are the one write a request may cause, once per slice (checked above).
        for table in tables where table != "rate_budgets" {
            let rows = try await sql.raw("SELECT xmin::text AS v FROM \(ident: table)").all().map {
                try $0.decode(column: "v", as: String.self)
            }
            fingerprint.append("\(table): \(rows.sorted().joined(separator: ","))")
        }
        return fingerprint
    }

    @Test("metrics name the running release and what the process costs (memory, open files, CPU, start time)")
    func buildAndProcess() async throws {
        try await withKagibag { app in
            let first = String(buffer: try await app.testing().sendRequest(.GET, "/metrics").body)
            #expect(value(first, #"kagibag_build_info{version="\#(CommandLinePlan.version)",commit="unknown"}"#) == 1)
            #expect((value(first, "process_resident_memory_bytes") ?? 0) > 1_000_000)
            #expect((value(first, "process_open_fds") ?? 0) >= 3)
            let started = try #require(value(first, "process_start_time_seconds"))
            #expect(abs(started - Date().timeIntervalSince1970) < 3600)
            let cpu = try #require(value(first, "process_cpu_seconds_total"))
            #expect(cpu > 0)
            var spin = 0
            for index in 0..<5_000_000 { spin &+= index % 7 }
            let second = String(buffer: try await app.testing().sendRequest(.GET, "/metrics").body)
            #expect(try #require(value(second, "process_cpu_seconds_total")) >= cpu, "\(spin)")
        }
    }

    @Test("with a metrics token set, /metrics refuses anyone without it")
    func metricsToken() async throws {
        try await withKagibag({ $0.metricsToken = "operator-secret" }) { app in
            #expect(try await app.testing().sendRequest(.GET, "/metrics").status == .unauthorized)
            let wrong = try await app.testing().sendRequest(.GET, "/metrics", headers: ["Authorization": "Bearer nope"])
            #expect(wrong.status == .unauthorized)
            let right = try await app.testing().sendRequest(
                .GET, "/metrics", headers: ["Authorization": "Bearer operator-secret"])
            #expect(right.status == .ok)
        }
    }

    @Test(
        "metrics live at /metrics only: /metrics/, //metrics/ and the like answer 404 and set no cookie",
        arguments: [
            // ("//metrics" itself reaches the application as "/metrics": Vapor collapses leading slashes.)
            "/metrics/", "//metrics/", "/metrics//", "///metrics/", "/metrics/x", "/./metrics", "/metrics%2F",
        ])
    func otherSpellingsAreNotFound(path: String) async throws {
        try await withKagibag { app in
            let response = try await app.testing().sendRequest(.GET, path)
            #expect(response.status == .notFound)
            #expect(response.headers[.setCookie].isEmpty)
            #expect(!String(buffer: response.body).contains("kagibag_http_requests_total"))
            #expect(try await app.testing().sendRequest(.GET, "/metrics").status == .ok)
        }
    }

    @Test("without a token, metrics answer only loopback connections that came through no proxy")
    func withoutTokenOnlyLoopback() async throws {
        try await withKagibag { app in
            #expect(try await app.send(.GET, "/metrics", from: "127.0.0.1").status == .ok)
            #expect(try await app.send(.GET, "/metrics", from: "::1").status == .ok)
            #expect(try await app.send(.GET, "/metrics", from: "203.0.113.9").status == .notFound)
            #expect(try await app.send(.GET, "/metrics", from: "10.0.0.5").status == .notFound)
            // nginx on the same machine connects from loopback, but always adds X-Forwarded-For.
            let proxied = try await app.send(
                .GET, "/metrics", from: "127.0.0.1", headers: ["X-Forwarded-For": "127.0.0.1"])
            #expect(proxied.status == .notFound)
        }
    }

    @Test("with a token, metrics answer it from anywhere, and nothing else even from loopback")
    func withTokenFromAnywhere() async throws {
        try await withKagibag({ $0.metricsToken = "operator-secret" }) { app in
            let bearer: HTTPHeaders = ["Authorization": "Bearer operator-secret"]
            let remote = try await app.send(.GET, "/metrics", from: "203.0.113.9", headers: bearer)
            let local = try await app.send(.GET, "/metrics", from: "127.0.0.1")
            let otherPath = try await app.send(.GET, "/metrics/", from: "203.0.113.9", headers: bearer)
            #expect(remote.status == .ok)
            #expect(local.status == .unauthorized)
            #expect(otherPath.status == .notFound)
        }
    }
}
