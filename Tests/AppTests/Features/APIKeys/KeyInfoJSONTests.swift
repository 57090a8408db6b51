import APIKeyCore
import Foundation
import SQLKit
import Testing
import VaporTesting

@testable import App

/// `GET /key` is written by `JSONWriter` (for speed); what it writes must be what the DTO's
/// `Encodable` conformance, through the server's configured `JSONEncoder`, says it is.
@Suite("Key info written by hand equals its encoding")
struct KeyInfoJSONTests {
    /// GET /key for `key`, and the same key's DTO encoded by the server's JSON encoder, both parsed.
    static func bothWays(_ app: Application, key: String) async throws -> (written: NSDictionary, encoded: NSDictionary)
    {
        let response = try await app.api("/api/v1/organizer/key", key: key)
        #expect(response.status == .ok)
        #expect(response.headers.contentType == .json)
        // Through the server's decoder and back: it refuses what parsed JSON would let pass (a
        // 1 for `true`, a number as text), and the result must be the same value again.
        let decoded = try ContentConfiguration.global.requireDecoder(for: .json).decode(
            KeyInfoDTO.self, from: response.body, headers: response.headers)
        let written = try #require(try JSONSerialization.jsonObject(with: Data(response.text.utf8)) as? NSDictionary)
        #expect(try Self.parsed(decoded) == written)
        let digest = try APIKeyToken(parsing: key).digest
        guard case .found(let verified) = try await APIKeyStore.verify(digest: digest, on: app.db.sql) else {
            Issue.record("the key is not found")
            return (written, [:])
        }
        let dto = KeyInfoDTO(
            verified,
            events: verified.eventsScoped ? try await EventScopeStore.eventIDs(of: verified.id, on: app.db) : nil,
            settings: app.services.settings)
        return (written, try parsed(dto))
    }

    /// `dto` through the server's JSON encoder (its `Encodable` conformance), parsed.
    static func parsed(_ dto: KeyInfoDTO) throws -> NSDictionary {
        let encoder = try ContentConfiguration.global.requireEncoder(for: .json)
        var body = ByteBuffer()
        var headers = HTTPHeaders()
        try encoder.encode(dto, to: &body, headers: &headers)
        return try #require(try JSONSerialization.jsonObject(with: Data(buffer: body)) as? NSDictionary)
    }

    @Test(
        "every shape of key (team's permissions or its own, all events or some with a window, described, expiring, may roll itself, budgets on or off) is written as encoded"
    )
    func writtenAsEncoded() async throws {
        for budgets in [0, 600] {
            try await withKagibag({ $0.apiRateLimitPerMinute = budgets }) { app in
                let admin = Browser(app)
                try await admin.signUp(Browser.newAccount(team: "Quotes \" and \\ slashes /"))
                let all = try await admin.createKey(named: "everything")
                // Starting within the hour, so that a key working only around it works now.
                let soon: [String: Any?] = [
                    "starts_at": RFC3339.format(Date().addingTimeInterval(3600)),
                    "ends_at": RFC3339.format(Date().addingTimeInterval(7200)),
                ]
                let created = try await app.api(
                    "/api/v1/organizer/events", method: .POST, key: all,
                    json: EventsAPITests.eventBody.merging(soon) { $1 })
                let event = try #require(try created.json()["id"] as? String)
                let keys = [
                    all,
                    try await admin.createKey(
                        named: "door “é” \\ \"quoted\"",
                        EventScopeTests.scoped([event], window: "6", permissions: ["events:read", "attendees:read"])),
                    try await admin.createKey(
                        named: "described",
                        [
                            ("description", "Nightly sync, owner: ops@example.com \"α\" \\ /"),
                            ("expires_in_days", "30"),
                            ("may_roll_itself", "on"), ("rate_limit_per_minute", "300"),
                        ]),
                ]
                var answers: [NSDictionary] = []
                // A team without a budget of its own (`team_requests_per_minute` null), then with one.
                let (before, encodedBefore) = try await Self.bothWays(app, key: all)
                #expect(before == encodedBefore)
                answers.append(before)
                try await app.db.sql.raw("UPDATE teams SET rate_limit_per_minute = 5000").run()
                for key in keys {
                    let (written, encoded) = try await Self.bothWays(app, key: key)
                    #expect(written == encoded)
                    #expect(written.count == 15)
                    answers.append(written)
                }
                // Each field's non-null shape was compared at least once.
                #expect(answers.contains { $0["valid_from"] is String && $0["valid_until"] is String })
                #expect(answers.contains { $0["granted"] is [String] && $0["events"] is [String] })
                #expect(answers.contains { $0["description"] is String && $0["expires_at"] is String })
                #expect(answers.contains { $0["may_roll_itself"] as? Bool == true })
                let budget = answers.compactMap { $0["rate_limit"] as? [String: Any] }
                #expect(budget.count == (budgets == 0 ? 0 : 4))
                #expect(budgets == 0 || budget.first?["team_requests_per_minute"] is NSNull)
                #expect(
                    budgets == 0 || budget.dropFirst().allSatisfy { $0["team_requests_per_minute"] as? Int == 5000 })
            }
        }
    }
}
