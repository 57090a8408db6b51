import Fluent
import Foundation
import Testing
import VaporTesting

@testable import App

/// Keys that reach only their events, and keys that work only around them (issue 24): an event
/// out of reach answers exactly like a missing one.
@Suite("Event scope: keys for selected events, and only around them")
struct EventScopeTests {
    /// An admin, a key for all events, and two events made with it.
    struct Team {
        let admin: Browser
        let allKey: String
        let saturday, sunday: String
    }

    func team(_ app: Application, name: String = "Meetups") async throws -> Team {
        let admin = Browser(app)
        try await admin.signUp(Browser.newAccount(team: name))
        let allKey = try await admin.createKey(named: "everything")
        func event(_ name: String, _ start: String, _ end: String) async throws -> String {
            let response = try await app.api(
                "/api/v1/organizer/events", method: .POST, key: allKey,
                json: EventsAPITests.eventBody.merging(["name": name, "starts_at": start, "ends_at": end]) { $1 })
            #expect(response.status == .created, "\(response.text)")
            return try #require(try response.json()["id"] as? String)
        }
        return Team(
            admin: admin, allKey: allKey,
            saturday: try await event("Saturday meetup", "2027-05-01T17:00:00Z", "2027-05-01T21:00:00Z"),
            sunday: try await event("Sunday brunch", "2027-05-02T09:00:00Z", "2027-05-02T12:00:00Z"))
    }

    /// The form's fields for a key scoped to `events`.
    static func scoped(_ events: [String], window: String = "", permissions: [String] = []) -> [(String, String)] {
        [("event_choice", "only"), ("event_window", window)] + events.map { ("events[]", $0) }
            + (permissions.isEmpty
                ? [] : [("permission_choice", "only")] + permissions.map { ("permissions[]", $0) })
    }

    @Test(
        "a key for one event lists only it; the other event and its attendees answer 404 like a missing one; it cannot create events"
    )
    func scopedKeyReachesOnlyItsEvent() async throws {
        try await withKagibag { app in
            let team = try await team(app)
            let door = try await team.admin.createKey(named: "door", Self.scoped([team.saturday]))
            let list = try await app.api("/api/v1/organizer/events", key: door)
            #expect(list.status == .ok)
            let ids = (try list.json()["data"] as? [[String: Any]])?.compactMap { $0["id"] as? String }
            #expect(ids == [team.saturday])
            #expect(try await app.api("/api/v1/organizer/events/\(team.saturday)", key: door).status == .ok)
            let hidden = try await app.api("/api/v1/organizer/events/\(team.sunday)", key: door)
            let missing = try await app.api("/api/v1/organizer/events/\(UUID().uuidString.lowercased())", key: door)
            #expect(hidden.status == .notFound)
            #expect(hidden.answer == missing.answer)
            #expect(
                try await app.api("/api/v1/organizer/events/\(team.sunday)/attendees", key: door).status == .notFound)
            let patch = try await app.api(
                "/api/v1/organizer/events/\(team.sunday)", method: .PATCH, key: door, json: ["name": "Mine now"])
            #expect(patch.status == .notFound)
            let create = try await app.api(
                "/api/v1/organizer/events", method: .POST, key: door, json: EventsAPITests.eventBody)
            #expect(create.status == .forbidden)
            #expect(create.text.contains("limited to selected events"))
            #expect(try await StoredEvents.count(app) == 2)
            let info = try await app.api("/api/v1/organizer/key", key: door).json()
            #expect(info["events"] as? [String] == [team.saturday])
            #expect(try await app.api("/api/v1/organizer/key", key: team.allKey).json()["events"] as? String == "all")
        }
    }

    @Test("deleting a scoped key's only event leaves the key working and reaching nothing; its page says so")
    func deletedEventLeavesScope() async throws {
        try await withKagibag { app in
            let team = try await team(app)
            let door = try await team.admin.createKey(named: "door", Self.scoped([team.saturday]))
            let deleted = try await app.api(
                "/api/v1/organizer/events/\(team.saturday)", method: .DELETE, key: team.allKey)
            #expect(deleted.status == .noContent)
            let list = try await app.api("/api/v1/organizer/events", key: door)
            #expect(list.status == .ok)
            #expect((try list.json()["data"] as? [Any])?.isEmpty == true)
            #expect(try await app.api("/api/v1/organizer/key", key: door).json()["events"] as? [String] == [])
            let key = try #require(try await APIKey.query(on: app.db).filter(\.$name == "door").first())
            try await team.admin.get("/admin/team/api-keys/\(key.id!.lowercasedString)")
            #expect(team.admin.lastPage.contains("its events were deleted"))
        }
    }

    @Test(
        "the form refuses another team's event, an empty choice, a window for all events and an unknown window, and creates nothing"
    )
    func badScopesAreRefused() async throws {
        try await withKagibag { app in
            let team = try await team(app)
            let other = try await self.team(app, name: "Other team")
            let before = try await APIKey.query(on: app.db).count()
            for (fields, message) in [
                (Self.scoped([other.saturday]), "not an event of this team"),
                (Self.scoped([]), "Tick at least one event"),
                ([("event_choice", "all"), ("event_window", "6")], "cannot be limited to the time around them"),
                (Self.scoped([team.saturday], window: "5"), "Choose 2, 6 or 24 hours"),
                (Self.scoped([team.saturday, "not-an-id"]), "not an event of this team"),
            ] {
                let response = try await team.admin.post("/admin/team/api-keys", [("name", "door")] + fields)
                #expect(response.status == .unprocessableEntity, "\(fields)")
                #expect(team.admin.lastPage.contains(message), "\(fields)")
                #expect(!team.admin.lastPage.contains("Other team"))
            }
            #expect(try await APIKey.query(on: app.db).count() == before)
        }
    }

    @Test(
        "a key that works only around its event: 401 before, naming when it starts, and its status says it waits; rescheduling into the window makes the next request 200; cancelling ends it"
    )
    func windowFollowsTheEvent() async throws {
        try await withKagibag { app in
            let team = try await team(app)
            let door = try await team.admin.createKey(named: "door", Self.scoped([team.saturday], window: "6"))
            let early = try await app.api("/api/v1/organizer/events", key: door)
            #expect(early.status == .unauthorized)
            #expect(early.text.contains("starts working at 2027-05-01T11:00:00Z"))
            #expect(early.headers.first(name: .wwwAuthenticate)?.contains("invalid_token") == true)
            // The pages do not call a key "Active" while it answers 401.
            let keyID = try #require(try await APIKey.query(on: app.db).filter(\.$name == "door").first()?.id)
            let keyPage = "/admin/team/api-keys/\(keyID.lowercasedString)"
            for path in ["/admin/team/api-keys", keyPage] {
                try await team.admin.get(path)
                #expect(team.admin.lastPage.contains("Waiting for its events"), "\(path)")
            }
            let info = try await app.api("/api/v1/organizer/key", key: team.allKey)
            #expect(info.status == .ok)
            // The event moves to now: the key works at once, and says until when.
            let now = Date()
            let moved = try await app.api(
                "/api/v1/organizer/events/\(team.saturday)", method: .PATCH, key: team.allKey,
                json: [
                    "starts_at": RFC3339.format(now.addingTimeInterval(3600)),
                    "ends_at": RFC3339.format(now.addingTimeInterval(7200)),
                ])
            #expect(moved.status == .ok)
            let inside = try await app.api("/api/v1/organizer/events", key: door)
            #expect(inside.status == .ok)
            let until = try #require(inside.headers.first(name: "Kagibag-Key-Expires").flatMap(RFC3339.parse))
            #expect(abs(until.timeIntervalSince(now.addingTimeInterval(7200 + 6 * 3600))) < 2)
            let window = try await app.api("/api/v1/organizer/key", key: door).json()
            #expect((window["valid_until"] as? String).flatMap(RFC3339.parse) != nil)
            let cancelled = try await app.api(
                "/api/v1/organizer/events/\(team.saturday)", method: .PATCH, key: team.allKey,
                json: ["status": "cancelled"])
            #expect(cancelled.status == .ok)
            let over = try await app.api("/api/v1/organizer/events", key: door)
            #expect(over.status == .unauthorized)
            #expect(over.text.contains("none of them is on"))
            try await team.admin.get(keyPage)
            #expect(team.admin.lastPage.contains("Outside its events’ time"))
        }
    }

    @Test("the event's page lists the keys that reach it; the key list and page show the scope")
    func pagesShowTheScope() async throws {
        try await withKagibag { app in
            let team = try await team(app)
            _ = try await team.admin.createKey(named: "door", Self.scoped([team.saturday], window: "2"))
            try await team.admin.get("/admin/events/\(team.saturday)")
            #expect(team.admin.lastPage.contains(">door</a>"))
            #expect(team.admin.lastPage.contains(">everything</a>"))
            try await team.admin.get("/admin/events/\(team.sunday)")
            #expect(!team.admin.lastPage.contains(">door</a>"))
            try await team.admin.get("/admin/team/api-keys")
            #expect(team.admin.lastPage.contains("1 event, only within 2 hours of them"))
            #expect(team.admin.lastPage.contains("All events"))
            let key = try #require(try await APIKey.query(on: app.db).filter(\.$name == "door").first())
            try await team.admin.get("/admin/team/api-keys/\(key.id!.lowercasedString)")
            #expect(team.admin.lastPage.contains("Saturday meetup"))
            #expect(team.admin.lastPage.contains("Only from 2 hours before its first event starts"))
            // The edit form shows the chosen event ticked, so saving the form keeps the scope.
            try await team.admin.get("/admin/team/api-keys/\(key.id!.lowercasedString)/edit")
            #expect(team.admin.lastPage.contains(#"value="\#(team.saturday)" checked"#))
        }
    }

    @Test(
        "a key's page lists the events it used; Restrict narrows an all-events key to them, and the other event then answers 404"
    )
    func restrictToTheEventsUsed() async throws {
        try await withKagibag { app in
            let team = try await team(app)
            for _ in 0..<3 {
                #expect(try await app.api("/api/v1/organizer/events/\(team.saturday)", key: team.allKey).status == .ok)
            }
            let key = try #require(try await APIKey.query(on: app.db).filter(\.$name == "everything").first())
            let path = "/admin/team/api-keys/\(key.id!.lowercasedString)"
            try await team.admin.get(path)
            #expect(team.admin.lastPage.contains(#"<ul id="events-used""#))
            #expect(team.admin.lastPage.contains("Saturday meetup</a> — 3 requests"))
            try await APIKeyUsageTests.age(app, days: 8)
            try await team.admin.get(path + "/restrict")
            #expect(team.admin.lastPage.contains("the 1 event it used, of all of the team’s"))
            #expect(try await team.admin.post(path + "/restrict").status == .seeOther)
            #expect(try await app.api("/api/v1/organizer/events/\(team.saturday)", key: team.allKey).status == .ok)
            #expect(try await app.api("/api/v1/organizer/events/\(team.sunday)", key: team.allKey).status == .notFound)
            let audit = try await AuditEvent.query(on: app.db).filter(\.$action == "api_key.changed").all().map(
                \.summary)
            #expect(audit.contains { $0.contains("events all events → 1 event") })
        }
    }
}
