import Fluent
import Foundation
import Testing
import VaporTesting

@testable import App

@Suite("Organizer API: events and attendees")
struct EventsAPITests {
    nonisolated(unsafe) static let eventBody: [String: Any?] = [
        "name": "Swift Summit", "starts_at": "2027-05-01T09:00:00Z", "ends_at": "2027-05-01T17:00:00Z",
        "timezone": "Europe/Berlin", "venue": "Kongresshaus", "capacity": 200, "status": "published",
    ]

    /// A fresh team and its key.
    func team(_ app: Application, _ name: String = "Team A") async throws -> String {
        let admin = Browser(app)
        try await admin.signUp(Browser.newAccount(team: name))
        return try await admin.createKey(named: "integration")
    }

    func createEvent(_ app: Application, key: String, _ overrides: [String: Any?] = [:]) async throws -> [String: Any] {
        let response = try await app.api(
            "/api/v1/organizer/events", method: .POST, key: key, json: Self.eventBody.merging(overrides) { $1 })
        #expect(response.status == .created, "\(response.text)")
        return try response.json()
    }

    /// The standard event, posted as it is (the answer unchecked).
    func post(_ app: Application, key: String, headers: [(String, String)]) async throws -> TestingHTTPResponse {
        try await app.api("/api/v1/organizer/events", method: .POST, key: key, json: Self.eventBody, headers: headers)
    }

    @Test("an event is created, read, changed and deleted through the API")
    func eventLifecycle() async throws {
        try await withKagibag { app in
            let key = try await team(app)
            let created = try await createEvent(app, key: key)
            let id = try #require(created["id"] as? String)
            #expect(created["name"] as? String == "Swift Summit")
            #expect((created["starts_at"] as? String).flatMap(RFC3339.parse) == RFC3339.parse("2027-05-01T09:00:00Z"))
            #expect(created["capacity"] as? Int == 200)
            #expect(created["description"] as? String == "")

            let shown = try await app.api("/api/v1/organizer/events/\(id)", key: key)
            #expect(shown.status == .ok)
            let patched = try await app.api(
                "/api/v1/organizer/events/\(id)", method: .PATCH, key: key, json: ["venue": nil, "status": "cancelled"])
            #expect(patched.status == .ok, "\(patched.text)")
            #expect(try patched.json()["venue"] is NSNull)
            #expect(try patched.json()["status"] as? String == "cancelled")
            #expect(try patched.json()["name"] as? String == "Swift Summit")

            let deleted = try await app.api("/api/v1/organizer/events/\(id)", method: .DELETE, key: key)
            #expect(deleted.status == .noContent)
            #expect(try await app.api("/api/v1/organizer/events/\(id)", key: key).status == .notFound)
        }
    }

    @Test(
        "invalid events are refused with 422 naming the field, and nothing is created",
        arguments: [
            (#"{"name": ""}"#, "name"), (#"{"name": "\#(String(repeating: "n", count: 201))"}"#, "name"),
            (#"{"description": "\#(String(repeating: "d", count: 10_001))"}"#, "description"),
            (#"{"ends_at": "2027-05-01T08:00:00Z"}"#, "ends_at"), (#"{"timezone": "Mars/Olympus"}"#, "timezone"),
            (#"{"capacity": -1}"#, "capacity"), (#"{"status": "postponed"}"#, "status"),
        ]
    )
    func invalidEvents(overridesJSON: String, field: String) async throws {
        let overrides = try #require(try JSONSerialization.jsonObject(with: Data(overridesJSON.utf8)) as? [String: Any])
        try await withKagibag { app in
            let key = try await team(app)
            let response = try await app.api(
                "/api/v1/organizer/events", method: .POST, key: key, json: Self.eventBody.merging(overrides) { $1 })
            #expect(response.status == .unprocessableEntity)
            #expect(response.headers.contentType?.description.hasPrefix("application/problem+json") == true)
            #expect(try response.json()["field"] as? String == field)
            #expect(try await StoredEvents.count(app) == 0)
        }
    }

    @Test(
        "unreadable bodies are refused with 400 and nothing is created",
        arguments: [
            #"{"name": "x", "#, #"[1, 2]"#, #"{"name": 5, "starts_at": "2027-05-01T09:00:00Z"}"#,
            #"{"name": "x", "starts_at": "yesterday", "ends_at": "2027-05-01T17:00:00Z", "timezone": "UTC"}"#,
            #"{"name": "x", "start_at": "2027-05-01T09:00:00Z", "starts_at": "2027-05-01T09:00:00Z", "ends_at": "2027-05-01T17:00:00Z", "timezone": "UTC"}"#,
        ]
    )
    func unreadableBodies(body: String) async throws {
        try await withKagibag { app in
            let key = try await team(app)
            let response = try await app.api("/api/v1/organizer/events", method: .POST, key: key, raw: body)
            #expect(response.status == .badRequest, "\(response.text)")
            #expect(try response.json()["status"] as? Int == 400)
            #expect(try await StoredEvents.count(app) == 0)
        }
    }

    @Test("a body missing several required fields is refused once, naming every one of them")
    func everyMissingFieldAtOnce() async throws {
        try await withKagibag { app in
            let key = try await team(app)
            let response = try await app.api(
                "/api/v1/organizer/events", method: .POST, key: key, raw: #"{"description": "x", "timezone": null}"#)
            #expect(response.status == .badRequest)
            let problem = try response.json()
            #expect(
                problem["detail"] as? String
                    == "The request could not be read: the fields 'name', 'starts_at', 'ends_at' and 'timezone' are required."
            )
            let fields = (problem["errors"] as? [[String: Any]])?.compactMap { $0["field"] as? String }
            #expect(fields == ["name", "starts_at", "ends_at", "timezone"])
            #expect(try await StoredEvents.count(app) == 0)
            // An attendee too: both of its required fields at once.
            let event = try await createEvent(app, key: key)
            let attendee = try await app.api(
                "/api/v1/organizer/events/\(event["id"] as! String)/attendees", method: .POST, key: key, raw: "{}")
            #expect(attendee.status == .badRequest)
            let named = (try attendee.json()["errors"] as? [[String: Any]])?.compactMap { $0["field"] as? String }
            #expect(named == ["name", "email"])
        }
    }

    @Test("another team's event and attendee ids answer 404 on every route and change nothing")
    func tenantIsolationForEveryRoute() async throws {
        try await withKagibag { app in
            let keyA = try await team(app, "Team A")
            let keyB = try await team(app, "Team B")
            let event = try await createEvent(app, key: keyA)
            let eventID = try #require(event["id"] as? String)
            let attendee = try await app.api(
                "/api/v1/organizer/events/\(eventID)/attendees", method: .POST, key: keyA,
                json: ["name": "Ada", "email": "ada@example.com"])
            let attendeeID = try #require(try attendee.json()["id"] as? String)
            let paths: [(HTTPMethod, String, [String: Any?]?)] = [
                (.GET, "/api/v1/organizer/events/\(eventID)", nil),
                (.PATCH, "/api/v1/organizer/events/\(eventID)", ["name": "Hijacked"]),
                (.DELETE, "/api/v1/organizer/events/\(eventID)", nil),
                (.GET, "/api/v1/organizer/events/\(eventID)/attendees", nil),
                (
                    .POST, "/api/v1/organizer/events/\(eventID)/attendees",
                    ["name": "Mallory", "email": "m@example.com"]
                ),
                (.GET, "/api/v1/organizer/events/\(eventID)/attendees/\(attendeeID)", nil),
                (.PATCH, "/api/v1/organizer/events/\(eventID)/attendees/\(attendeeID)", ["status": "cancelled"]),
                (.DELETE, "/api/v1/organizer/events/\(eventID)/attendees/\(attendeeID)", nil),
            ]
            for (method, path, body) in paths {
                let foreign = try await app.api(path, method: method, key: keyB, json: body)
                #expect(foreign.status == .notFound, "\(method) \(path)")
                let missing = try await app.api(
                    path.replacingOccurrences(of: eventID, with: UUID().uuidString), method: method, key: keyB,
                    json: body)
                #expect(missing.status == .notFound)
                #expect(foreign.answer == missing.answer)
            }
            let list = try await app.api("/api/v1/organizer/events", key: keyB)
            #expect((try list.json()["data"] as? [Any])?.isEmpty == true)
            let stored = try #require(try await StoredEvents.all(app).first)
            #expect(stored.name == "Swift Summit")
            #expect(try await Attendee.query(on: app.db).all().map(\.statusColumn) == ["registered"])
        }
    }

    @Test("each route checks its own permission")
    func permissionsPerRoute() async throws {
        try await withKagibag { app in
            let key = try await team(app)
            let event = try await createEvent(app, key: key)
            let eventID = try #require(event["id"] as? String)
            try await app.runCommand([
                "team", "permissions", "team-a", "--revoke", "events:write,attendees:read,attendees:check_in",
            ])
            let write = try await app.api("/api/v1/organizer/events", method: .POST, key: key, json: Self.eventBody)
            #expect(write.status == .forbidden)
            #expect(write.challenge.contains(#"scope="events:write""#))
            #expect(try await app.api("/api/v1/organizer/events/\(eventID)/attendees", key: key).status == .forbidden)
            #expect(try await app.api("/api/v1/organizer/events/\(eventID)", key: key).status == .ok)
            let register = try await app.api(
                "/api/v1/organizer/events/\(eventID)/attendees", method: .POST, key: key,
                json: ["name": "Ada", "email": "ada@example.com"])
            #expect(register.status == .created)
            #expect(try await StoredEvents.count(app) == 1)
        }
    }

    @Test("a retried POST with the same Idempotency-Key returns the first result and creates nothing new")
    func idempotentRetries() async throws {
        try await withKagibag { app in
            let key = try await team(app)
            let retryKey = [("Idempotency-Key", "create-summit-1")]
            let first = try await post(app, key: key, headers: retryKey)
            let second = try await post(app, key: key, headers: retryKey)
            #expect(first.status == .created)
            #expect(second.status == .created)
            #expect(second.headers.first(name: "Idempotent-Replayed") == "true")
            #expect(try first.json()["id"] as? String == (try second.json()["id"] as? String))
            #expect(second.headers.first(name: .location) == first.headers.first(name: .location))
            #expect(try await StoredEvents.count(app) == 1)

            var changed = Self.eventBody
            changed["name"] = "Another event"
            let conflicting = try await app.api(
                "/api/v1/organizer/events", method: .POST, key: key, json: changed, headers: retryKey)
            #expect(conflicting.status == .unprocessableEntity)
            #expect(try await StoredEvents.count(app) == 1)

            // A failed first attempt does not pin the key: fixing the body and retrying works.
            let badKey = [("Idempotency-Key", "create-2")]
            var invalid = Self.eventBody
            invalid["timezone"] = "Nowhere"
            #expect(
                try await app.api("/api/v1/organizer/events", method: .POST, key: key, json: invalid, headers: badKey)
                    .status == .unprocessableEntity)
            #expect(
                try await app.api(
                    "/api/v1/organizer/events", method: .POST, key: key, json: Self.eventBody, headers: badKey
                ).status == .created)
            #expect(try await StoredEvents.count(app) == 2)
        }
    }

    @Test("idempotency keys belong to their team")
    func idempotencyKeysArePerTeam() async throws {
        try await withKagibag { app in
            let keyA = try await team(app, "Team A"), keyB = try await team(app, "Team B")
            let header = [("Idempotency-Key", "same-key")]
            let a = try await post(app, key: keyA, headers: header)
            let b = try await post(app, key: keyB, headers: header)
            #expect(a.status == .created)
            #expect(b.status == .created)
            #expect(try a.json()["id"] as? String != (try b.json()["id"] as? String))
        }
    }

    @Test("paging while rows are inserted neither repeats nor skips a row")
    func stablePaging() async throws {
        try await withKagibag { app in
            let key = try await team(app)
            for index in 0..<7 { _ = try await createEvent(app, key: key, ["name": "Event \(index)"]) }
            var seen: [String] = []
            var cursor: String?
            var inserted = 0
            repeat {
                let path = "/api/v1/organizer/events?limit=3" + (cursor.map { "&cursor=\($0)" } ?? "")
                let page = try await app.api(path, key: key)
                #expect(page.status == .ok)
                let json = try page.json()
                seen += ((json["data"] as? [[String: Any]]) ?? []).compactMap { $0["name"] as? String }
                cursor = json["next_cursor"] as? String
                // Someone adds events between our pages.
                if inserted < 2 {
                    _ = try await createEvent(app, key: key, ["name": "Added \(inserted)"])
                    inserted += 1
                }
            } while cursor != nil
            #expect(seen.count == Set(seen).count)
            #expect(seen.prefix(7) == (0..<7).map { "Event \($0)" }[...])
            #expect(seen == (0..<7).map { "Event \($0)" } + ["Added 0", "Added 1"])
        }
    }

    @Test("bad paging and filter parameters are 400s naming the parameter")
    func badQueryParameters() async throws {
        try await withKagibag { app in
            let key = try await team(app)
            for (query, field) in [
                ("limit=0", "limit"), ("limit=101", "limit"), ("limit=x", "limit"), ("cursor=abc", "cursor"),
                ("status=open", "status"), ("starts_after=tomorrow", "starts_after"),
                ("updated_since=1", "updated_since"),
            ] {
                let response = try await app.api("/api/v1/organizer/events?\(query)", key: key)
                #expect(response.status == .badRequest, "\(query)")
                #expect(try response.json()["field"] as? String == field)
            }
        }
    }

    @Test("filters select by status, start and last change")
    func filters() async throws {
        try await withKagibag { app in
            let key = try await team(app)
            _ = try await createEvent(
                app, key: key,
                [
                    "name": "Early", "starts_at": "2027-01-01T09:00:00Z", "ends_at": "2027-01-01T10:00:00Z",
                    "status": "draft",
                ])
            _ = try await createEvent(
                app, key: key, ["name": "Late", "starts_at": "2027-09-01T09:00:00Z", "ends_at": "2027-09-01T10:00:00Z"])
            func names(_ query: String) async throws -> [String] {
                let response = try await app.api("/api/v1/organizer/events?\(query)", key: key)
                return ((try response.json()["data"] as? [[String: Any]]) ?? []).compactMap { $0["name"] as? String }
            }
            #expect(try await names("status=draft") == ["Early"])
            #expect(try await names("starts_after=2027-06-01T00:00:00Z") == ["Late"])
            #expect(try await names("starts_before=2027-06-01T00:00:00%2B02:00") == ["Early"])
            #expect(try await names("updated_since=2099-01-01T00:00:00Z") == [])
            #expect(try await names("updated_since=2000-01-01T00:00:00Z").count == 2)
        }
    }

    @Test("an event's capacity is never exceeded, even by concurrent registrations")
    func capacityUnderConcurrency() async throws {
        try await withKagibag { app in
            let key = try await team(app)
            let event = try await createEvent(app, key: key, ["capacity": 5])
            let eventID = try #require(event["id"] as? String)
            let statuses = try await withThrowingTaskGroup(of: HTTPStatus.self) { group in
                for index in 0..<20 {
                    group.addTask {
                        try await app.api(
                            "/api/v1/organizer/events/\(eventID)/attendees", method: .POST, key: key,
                            json: ["name": "Guest \(index)", "email": "guest\(index)@example.com"]
                        ).status
                    }
                }
                return try await group.reduce(into: [HTTPStatus]()) { $0.append($1) }
            }
            // (503: on a machine loaded enough that a registration waited the pool's whole timeout
            // for the one SQLite connection; refused as busy, it changed nothing.)
            let busy = statuses.filter { $0 == .serviceUnavailable }.count
            #expect(statuses.allSatisfy { [.created, .conflict, .serviceUnavailable].contains($0) }, "\(statuses)")
            let created = statuses.filter { $0 == .created }.count
            #expect(busy == 0 ? created == 5 : created <= 5, "\(statuses)")
            #expect(try await Attendee.query(on: app.db).count() == created)
            guard created == 5 else { return }

            // Cancelling frees a place; lowering capacity below what is taken is refused.
            let list = try await app.api("/api/v1/organizer/events/\(eventID)/attendees", key: key)
            let first = try #require((try list.json()["data"] as? [[String: Any]])?.first?["id"] as? String)
            let cancel = try await app.api(
                "/api/v1/organizer/events/\(eventID)/attendees/\(first)", method: .PATCH, key: key,
                json: ["status": "cancelled"])
            #expect(cancel.status == .ok)
            let lower = try await app.api(
                "/api/v1/organizer/events/\(eventID)", method: .PATCH, key: key, json: ["capacity": 3])
            #expect(lower.status == .conflict)
            #expect(try lower.json()["field"] as? String == "capacity")
            let late = try await app.api(
                "/api/v1/organizer/events/\(eventID)/attendees", method: .POST, key: key,
                json: ["name": "Late", "email": "late@example.com"])
            #expect(late.status == .created)
            let reactivate = try await app.api(
                "/api/v1/organizer/events/\(eventID)/attendees/\(first)", method: .PATCH, key: key,
                json: ["status": "registered"])
            #expect(reactivate.status == .conflict)
        }
    }

    @Test("an email registers once per event, and updated_since returns only what changed")
    func attendeeRules() async throws {
        try await withKagibag { app in
            let key = try await team(app)
            let eventID = try #require(try await createEvent(app, key: key)["id"] as? String)
            let path = "/api/v1/organizer/events/\(eventID)/attendees"
            #expect(
                try await app.api(
                    path, method: .POST, key: key,
                    json: ["name": "Ada", "email": "Ada@Example.com", "ticket_type": "vip"]
                ).status == .created)
            let duplicate = try await app.api(
                path, method: .POST, key: key, json: ["name": "Ada again", "email": "ada@example.com"])
            #expect(duplicate.status == .conflict)
            #expect(try duplicate.json()["field"] as? String == "email")
            let invalid = try await app.api(
                path, method: .POST, key: key, json: ["name": "Bob", "email": "not-an-email"])
            #expect(invalid.status == .unprocessableEntity)
            #expect(
                try await app.api(path, method: .POST, key: key, json: ["name": "Bob", "email": "bob@example.com"])
                    .status == .created)

            try await Task.sleep(for: .milliseconds(20))
            let since = RFC3339.format(Date())
            try await Task.sleep(for: .milliseconds(20))
            let bob = try #require(try await Attendee.query(on: app.db).filter(\.$email == "bob@example.com").first())
            let checkIn = try await app.api(
                "\(path)/\(bob.id!.uuidString)", method: .PATCH, key: key, json: ["status": "checked_in"])
            #expect(try checkIn.json()["status"] as? String == "checked_in")
            let changed = try await app.api(
                "\(path)?updated_since=\(since.replacingOccurrences(of: "+", with: "%2B"))", key: key)
            let emails = ((try changed.json()["data"] as? [[String: Any]]) ?? []).compactMap { $0["email"] as? String }
            #expect(emails == ["bob@example.com"])
        }
    }

    @Test("the API takes JSON only: form bodies get 415, a missing body 400, and nothing changes")
    func jsonOnly() async throws {
        try await withKagibag { app in
            let key = try await team(app)
            let eventID = try #require(try await createEvent(app, key: key)["id"] as? String)
            var headers = HTTPHeaders()
            headers.add(name: .authorization, value: "Bearer \(key)")
            headers.contentType = .urlEncodedForm
            let form = try await app.testing().sendRequest(
                .PATCH, "/api/v1/organizer/events/\(eventID)", headers: headers,
                body: ByteBuffer(string: "name=renamed"))
            #expect(form.status == .unsupportedMediaType)
            let empty = try await app.api("/api/v1/organizer/events/\(eventID)/attendees", method: .POST, key: key)
            #expect(empty.status == .badRequest)
            #expect(try await StoredEvents.all(app).first?.name == "Swift Summit")
            #expect(try await Attendee.query(on: app.db).count() == 0)
        }
    }

    @Test("ids are lower-case and times keep their milliseconds on the wire")
    func wireFormat() async throws {
        try await withKagibag { app in
            let key = try await team(app)
            let created = try await createEvent(
                app, key: key, ["starts_at": "2027-05-01T09:00:00.250+02:00", "ends_at": "2027-05-01T17:00:00Z"])
            let id = try #require(created["id"] as? String)
            #expect(id == id.lowercased())
            #expect(created["starts_at"] as? String == "2027-05-01T07:00:00.250Z")
            #expect(created["timezone"] as? String == "Europe/Berlin")
            let raw = try await app.api("/api/v1/organizer/events/\(id)", key: key)
            #expect(raw.text.contains("Europe/Berlin"))
        }
    }

    @Test("a retried attendee registration with the same Idempotency-Key registers once")
    func idempotentRegistration() async throws {
        try await withKagibag { app in
            let key = try await team(app)
            let eventID = try #require(try await createEvent(app, key: key, ["capacity": 1])["id"] as? String)
            let path = "/api/v1/organizer/events/\(eventID)/attendees"
            let header = [("Idempotency-Key", "register-ada")]
            let first = try await app.api(
                path, method: .POST, key: key, json: ["name": "Ada", "email": "ada@example.com"], headers: header)
            let retry = try await app.api(
                path, method: .POST, key: key, json: ["name": "Ada", "email": "ada@example.com"], headers: header)
            #expect(first.status == .created)
            #expect(retry.status == .created)
            #expect(try first.json()["id"] as? String == (try retry.json()["id"] as? String))
            #expect(try await Attendee.query(on: app.db).count() == 1)
            #expect(try await StoredEvents.all(app).first?.activeAttendees == 1)
        }
    }

    @Test(
        "only RFC 3339 date-times are accepted",
        arguments: [
            "2027-02-30T09:00:00Z", "2027-05-01T24:00:00Z", "2027-05-01T09:00:00+0100", "2027-05-01 09:00:00Z",
            "2027-05-01T09:00:00",
        ]
    )
    func strictDates(value: String) async throws {
        try await withKagibag { app in
            let key = try await team(app)
            let response = try await app.api(
                "/api/v1/organizer/events", method: .POST, key: key,
                json: Self.eventBody.merging(["starts_at": value]) { $1 })
            #expect(response.status == .badRequest)
            #expect(try response.json()["field"] as? String == "starts_at")
        }
    }
}
