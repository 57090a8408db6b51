import APIKeyCore
import Fluent
import Testing
import VaporTesting

@testable import App

@Suite("The organizer API with a bearer key")
struct OrganizerAPITests {
    /// A team with one key and one event; returns the key.
    func teamWithKey(_ app: Application, team: String, event: String) async throws -> (key: String, browser: Browser) {
        let admin = Browser(app)
        try await admin.signUp(Browser.newAccount(team: team))
        let key = try await admin.createKey(named: "CRM sync")
        let teamID = try #require(try await Team.query(on: app.db).filter(\.$name == team).first()?.id)
        let draft = try EventDraft(
            name: event, description: nil, startsAt: Date(), endsAt: Date().addingTimeInterval(3600),
            timezone: "Europe/Berlin", venue: nil, capacity: nil, status: .draft)
        _ = try await EventStore.create(
            team: teamID, draft, by: .named("test"), on: app.db, sqlite: app.services.writer)
        return (key, admin)
    }

    @Test("a key lists its own team's events and nothing of another team's")
    func tenantIsolation() async throws {
        try await withKagibag { app in
            let a = try await teamWithKey(app, team: "Team A", event: "A's conference")
            let b = try await teamWithKey(app, team: "Team B", event: "B's meetup")
            let responseA = try await app.api("/api/v1/organizer/events", key: a.key)
            let responseB = try await app.api("/api/v1/organizer/events", key: b.key)
            #expect(responseA.status == .ok)
            #expect(responseA.headers.first(name: .cacheControl) == "no-store")
            let namesA = try (responseA.json()["data"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
            let namesB = try (responseB.json()["data"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
            #expect(namesA == ["A's conference"])
            #expect(namesB == ["B's meetup"])
            let event = try #require((try responseA.json()["data"] as? [[String: Any]])?.first)
            #expect(event["starts_at"] is String)
            #expect(event["timezone"] as? String == "Europe/Berlin")
        }
    }

    @Test("the key endpoint names the key, team and permissions, never the key itself")
    func keyInfo() async throws {
        try await withKagibag { app in
            let a = try await teamWithKey(app, team: "Team A", event: "x")
            let response = try await app.api("/api/v1/organizer/key", key: a.key)
            #expect(response.status == .ok)
            #expect(!response.text.contains(a.key))
            let json = try response.json()
            #expect(json["name"] as? String == "CRM sync")
            #expect(json["preview"] as? String == "…" + a.key.suffix(4))
            #expect((json["team"] as? [String: Any])?["slug"] as? String == "team-a")
            #expect(json["permissions"] as? [String] == Permission.allCases.map(\.rawValue))
        }
    }

    @Test("no credentials get 401 with a bare Bearer challenge as problem details")
    func missingCredentials() async throws {
        try await withKagibag { app in
            for authorization in [[], ["Basic dXNlcjpwYXNz"], ["Token abc"]] {
                let response = try await app.api("/api/v1/organizer/events", key: nil, authorization: authorization)
                #expect(response.status == .unauthorized)
                #expect(response.challenge == #"Bearer realm="kagibag""#)
                #expect(response.headers.contentType?.description.hasPrefix("application/problem+json") == true)
                let problem = try response.json()
                #expect(problem["status"] as? Int == 401)
                #expect(problem["title"] as? String == "Unauthorized")
            }
        }
    }

    /// `key` with the character at `index` changed: its checksum fails.
    static func tampered(_ key: String, at index: Int) -> String {
        var characters = Array(key)
        characters[index] = characters[index] == "a" ? "b" : "a"
        return String(characters)
    }

    @Test("malformed, unknown and checksum-failing keys get 401 invalid_token")
    func invalidKeys() async throws {
        try await withKagibag { app in
            let a = try await teamWithKey(app, team: "Team A", event: "x")
            let tampered = Self.tampered(a.key, at: 10)
            let unknown = APIKeyToken.generate().plaintext
            for key in [
                "nonsense", String(tampered), unknown, a.key.lowercased() == a.key ? a.key + "x" : a.key.lowercased(),
            ] {
                let response = try await app.api("/api/v1/organizer/events", key: key)
                #expect(response.status == .unauthorized)
                #expect(response.challenge.hasPrefix(#"Bearer realm="kagibag", error="invalid_token""#))
            }
            // The scheme is case-insensitive.
            let lower = try await app.api("/api/v1/organizer/events", key: nil, authorization: ["bearer \(a.key)"])
            #expect(lower.status == .ok)
        }
    }

    @Test("a header that is not one 'Bearer KEY' is an invalid request")
    func malformedHeaders() async throws {
        try await withKagibag { app in
            let a = try await teamWithKey(app, team: "Team A", event: "x")
            for authorization in [
                ["Bearer"], ["Bearer  \(a.key)"], ["Bearer \(a.key) extra"], ["Bearer \(a.key)", "Bearer \(a.key)"],
            ] {
                let response = try await app.api("/api/v1/organizer/events", key: nil, authorization: authorization)
                #expect(response.status == .badRequest)
                #expect(response.challenge.contains(#"error="invalid_request""#))
            }
        }
    }

    @Test("a key failing its checksum is refused without touching the database")
    func checksumFailureNeverQueries() async throws {
        try await withKagibag { app in
            let a = try await teamWithKey(app, team: "Team A", event: "x")
            let tampered = Self.tampered(a.key, at: 20)
            // setup: take the key table away, so any lookup would fail loudly
            try await app.autoRevert()
            // MUT
            let response = try await app.api("/api/v1/organizer/events", key: String(tampered))
            // validate: still a clean 401, so no query ran
            #expect(response.status == .unauthorized)
            #expect(response.challenge.contains("invalid_token"))
            // control: a well-formed key with a valid checksum does need the database
            let control = try await app.api("/api/v1/organizer/events", key: APIKeyToken.generate().plaintext)
            #expect(control.status == .internalServerError)
            #expect(!control.text.contains("api_keys"))
        }
    }

    @Test("revoking a team permission on the command line turns the next request into 403")
    func permissionsApplyPerRequest() async throws {
        try await withKagibag { app in
            let a = try await teamWithKey(app, team: "Team A", event: "x")
            #expect(try await app.api("/api/v1/organizer/events", key: a.key).status == .ok)
            try await app.runCommand(["team", "permissions", "team-a", "--revoke", "events:read"])
            let denied = try await app.api("/api/v1/organizer/events", key: a.key)
            #expect(denied.status == .forbidden)
            #expect(denied.challenge.contains(#"error="insufficient_scope""#))
            #expect(denied.challenge.contains(#"scope="events:read""#))
            #expect(try denied.json()["status"] as? Int == 403)
            // Authentication itself still works: the key endpoint needs no permission.
            #expect(try await app.api("/api/v1/organizer/key", key: a.key).status == .ok)
            try await app.runCommand(["team", "permissions", "team-a", "--grant", "events:read"])
            #expect(try await app.api("/api/v1/organizer/events", key: a.key).status == .ok)
        }
    }

    @Test("unknown API paths answer 404 as problem details, not HTML, whatever the method")
    func unknownPathIsProblem() async throws {
        try await withKagibag { app in
            let key = try await teamWithKey(app, team: "Team A", event: "x").key
            let unknown: [(HTTPMethod, String)] = [
                (.GET, "/api/v1/organizer/nothing"), (.DELETE, "/api/v1/organizer/events/a/b/c"),
                (.GET, "/api/v2/organizer/events"),
            ]
            for (method, path) in unknown {
                let response = try await app.api(path, method: method, key: key)
                #expect(response.status == .notFound, "\(method) \(path)")
                #expect(
                    response.headers.contentType?.description.hasPrefix("application/problem+json") == true,
                    "\(method) \(path)")
            }
        }
    }
}
