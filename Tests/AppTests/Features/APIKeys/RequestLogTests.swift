import APIKeyCore
import Fluent
import Foundation
import SQLKit
import Testing
import Vapor

@testable import App

/// Issue 25, part 4: each key's recent requests, kept in memory and written with the usage flush.
@Suite("A key's recent requests")
struct RequestLogTests {
    private static let attendee = #"{"name":"Ada","email":"not an address"}"#

    /// The admin, the key, its page, and one of the team's events.
    private static func setUp(_ app: Application) async throws -> (Browser, String, String, String) {
        let (admin, key, keyPath) = try await Browser.adminWithKey(app)
        let created = try await app.api(
            "/api/v1/organizer/events", method: .POST, key: key, json: EventsAPITests.eventBody)
        #expect(created.status == .created)
        return (admin, key, keyPath, try #require(try created.json()["id"] as? String))
    }

    @Test(
        "a refused request is in the key's recent requests with the request id and problem its client got, before and after the flush; the admin finds it by that id"
    )
    func refusalIsFoundByRequestID() async throws {
        try await withKagibag { app in
            let (admin, key, keyPath, event) = try await Self.setUp(app)
            let refused = try await app.api(
                "/api/v1/organizer/events/\(event)/attendees?x", method: .POST, key: key, raw: Self.attendee,
                headers: [("User-Agent", "crm-sync/2.1")])
            #expect(refused.status == .badRequest)  // the unknown query parameter
            let invalid = try await app.api(
                "/api/v1/organizer/events/\(event)/attendees", method: .POST, key: key, raw: Self.attendee,
                headers: [("User-Agent", "crm-sync/2.1")])
            #expect(invalid.status == .unprocessableEntity)
            let requestID = try #require(invalid.headers.first(name: "Request-Id"))
            let detail = try #require(try invalid.json()["detail"] as? String)

            for flushed in [false, true] {
                if flushed { #expect(try await app.requestLog.flush(on: app.db) == 5) }
                let listed = try await app.api("/api/v1/organizer/key/requests?status=422", key: key)
                #expect(listed.status == .ok)
                let data = try #require(try listed.json()["data"] as? [[String: Any]])
                #expect(data.count == 1, "flushed: \(flushed)")
                let entry = try #require(data.first)
                #expect(entry["request_id"] as? String == requestID)
                #expect(entry["method"] as? String == "POST")
                #expect(entry["route"] as? String == "/api/v1/organizer/events/:event/attendees")
                #expect(entry["path"] as? String == "/api/v1/organizer/events/\(event)/attendees")
                #expect(entry["user_agent"] as? String == "crm-sync/2.1")
                #expect(entry["client_address"] is String)  // (no socket in-process: "unknown"; e2e sees the address)
                let problem = try #require(entry["problem"] as? [String: Any])
                #expect(problem["title"] as? String == "Unprocessable Entity")
                #expect(problem["detail"] as? String == detail)
                // Failures: the 400 and the 422, newest first; not the event's creation.
                let failures = try await app.api("/api/v1/organizer/key/requests?status=failures", key: key).json()
                #expect((failures["data"] as? [[String: Any]])?.compactMap { $0["status"] as? Int } == [422, 400])
            }

            // The admin: failures only on the key's Recent requests, then the integrator's id.
            try await admin.get(keyPath)
            #expect(admin.lastPage.contains(#"id="recent-requests""#))
            try await admin.get(keyPath + "/requests?status=failures")
            #expect(admin.lastPage.contains(detail.replacingOccurrences(of: "’", with: "’")))
            #expect(!admin.lastPage.contains(#"data-status="201""#))
            let found = try await admin.get(keyPath + "/requests?request_id=\(requestID)")
            #expect(found.status == .seeOther)
            let detailPath = try #require(found.headers.first(name: .location))
            try await admin.get(detailPath)
            #expect(admin.lastPage.contains(requestID))
            #expect(admin.lastPage.contains("422 Unprocessable Entity"))
            #expect(admin.lastPage.contains("crm-sync/2.1"))
            let missing = try await admin.get(keyPath + "/requests?request_id=no-such-request")
            #expect(missing.status == .ok)
            #expect(admin.lastPage.contains(#"id="request-not-found""#))
            // From Activity, the same id jumps to the request.
            let jumped = try await admin.get("/admin/team/activity?request_id=\(requestID)")
            #expect(jumped.status == .seeOther)
            #expect(jumped.headers.first(name: .location) == detailPath)
        }
    }

    @Test("a key keeps its newest 200 requests, in memory and in the database; deleting the key deletes them")
    func keepsTheNewest200() async throws {
        try await withKagibag { app in
            let (admin, key, keyPath, _) = try await Self.setUp(app)
            let keyID = try #require(try await APIKey.query(on: app.db).first()?.id)
            let before = app.requestLog.pending(for: keyID).count
            for _ in 0..<230 { #expect(try await app.api("/api/v1/organizer/events", key: key).status == .ok) }
            #expect(app.requestLog.pending(for: keyID).count == RequestLog.perKey)
            try await app.requestLog.flush(on: app.db)
            // Those that made room are counted for the operator.
            let metrics = String(buffer: try await app.testing().sendRequest(.GET, "/metrics").body)
            #expect(metrics.contains("\nkagibag_request_log_dropped_total \(before + 230 - RequestLog.perKey)\n"))
            for _ in 0..<30 { #expect(try await app.api("/api/v1/organizer/events", key: key).status == .ok) }
            try await app.requestLog.flush(on: app.db)
            let stored = try await app.db.sql.raw(
                "SELECT COUNT(*) AS n FROM api_key_requests WHERE key_id = \(bind: keyID)"
            ).first()?.decode(column: "n", as: Int.self)
            #expect(stored == RequestLog.perKey)
            let listed = try await app.api("/api/v1/organizer/key/requests?limit=200", key: key).json()
            #expect((listed["data"] as? [Any])?.count == 200)
            try await admin.get(keyPath + "/delete")
            #expect(try await admin.post(keyPath + "/delete").status == .seeOther)
            let left = try await app.db.sql.raw("SELECT COUNT(*) AS n FROM api_key_requests").first()?.decode(
                column: "n", as: Int.self)
            #expect(left == 0)
        }
    }

    @Test("a request being written is still found in memory until its write commits, never in neither place")
    func visibleDuringTheFlush() async throws {
        try await withKagibag { app in
            let (_, key, _, _) = try await Self.setUp(app)
            let keyID = try #require(try await APIKey.query(on: app.db).first()?.id)
            try await app.requestLog.flush(on: app.db)
            #expect(try await app.api("/api/v1/organizer/key", key: key).status == .ok)
            let flushing = try await app.db.transaction { db in
                // The flush's write waits behind this transaction (SQLite's one connection is
                // held; on PostgreSQL the table is locked), after it has taken the batch.
                if testingOnPostgres {
                    try await db.sql.raw("LOCK TABLE api_key_requests IN EXCLUSIVE MODE").run()
                }
                let flushing = Task { try await app.requestLog.flush(on: app.db) }
                try await Task.sleep(for: .milliseconds(200))
                #expect(app.requestLog.pending(for: keyID).map(\.route) == ["/api/v1/organizer/key"])
                return flushing
            }
            #expect(try await flushing.value == 1)
            #expect(app.requestLog.pending(for: keyID).isEmpty)
            let listed = try await app.api("/api/v1/organizer/key/requests", key: key).json()
            #expect((listed["data"] as? [[String: Any]])?.first?["route"] as? String == "/api/v1/organizer/key")
        }
    }

    @Test("nothing secret is kept: no key, no digest, no Authorization header, no query, no body")
    func nothingSecret() async throws {
        try await withKagibag { app in
            let (_, key, _, event) = try await Self.setUp(app)
            _ = try await app.api(
                "/api/v1/organizer/events/\(event)/attendees", method: .POST, key: key,
                raw: #"{"name":"Ada","email":"ada@example.com"}"#)
            _ = try await app.api("/api/v1/organizer/events?status=published", key: key)
            try await app.requestLog.flush(on: app.db)
            let rows = try await app.db.sql.raw("SELECT * FROM api_key_requests").all()
            #expect(rows.count == 3)
            let digest = try APIKeyToken(parsing: key).digest
            for row in rows {
                for column in row.allColumns {
                    let text = (try? row.decode(column: column, as: String?.self)) ?? nil
                    guard let text else { continue }
                    #expect(!text.contains(String(key.dropFirst(4))))
                    #expect(!text.contains(digest))
                    #expect(!text.contains("Bearer"))
                    #expect(!text.contains("ada@example.com"))
                    #expect(!text.contains("published"))
                }
            }
        }
    }

    @Test("members and other teams cannot see a key's requests; with the log off nothing is kept")
    func onlyAdminsAndOff() async throws {
        try await withKagibag { app in
            let (admin, key, keyPath, _) = try await Self.setUp(app)
            let (other, otherAccount) = (Browser(app), Browser.newAccount(team: "Elsewhere"))
            try await other.signUp(otherAccount)
            #expect(try await other.get(keyPath + "/requests").status == .notFound)
            let keyID = try #require(try await APIKey.query(on: app.db).first()?.id)
            let entry = try #require(app.requestLog.pending(for: keyID).first)
            let detail = SitePath.apiKeyRequest(key: .value(entry.key), request: .value(entry.id)).path
            #expect(try await other.get(detail).status == .notFound)
            #expect(try await other.get("/admin/team/activity?request_id=\(entry.requestID)").status == .ok)
            try await other.joinTeam(of: admin, email: otherAccount.email)
            try await other.get(keyPath)
            #expect(!other.lastPage.contains(#"id="recent-requests""#))
            #expect(try await other.get(keyPath + "/requests").status == .forbidden)
            #expect(try await other.get(detail).status == .forbidden)
            #expect(try await app.api("/api/v1/organizer/key/requests?status=6xx", key: key).status == .badRequest)
            #expect(try await app.api("/api/v1/organizer/key/requests?limit=201", key: key).status == .badRequest)
        }
        try await withKagibag({ $0.requestLog = false }) { app in
            let (_, key, _, _) = try await Self.setUp(app)
            _ = try await app.api("/api/v1/organizer/events", key: key)
            #expect(try await app.requestLog.flush(on: app.db) == 0)
            let listed = try await app.api("/api/v1/organizer/key/requests", key: key).json()
            #expect((listed["data"] as? [Any])?.isEmpty == true)
            #expect(listed["recorded"] as? Bool == false)
        }
    }
}
