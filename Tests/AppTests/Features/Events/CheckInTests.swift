import Fluent
import Foundation
import SQLKit
import Testing
import VaporTesting

@testable import App

/// Ticket codes and check-in at the door (issue 24): a door key checks a code in once, hears
/// when it was used, reads names without emails, and cannot guess codes.
@Suite("Check-in by ticket code")
struct CheckInTests {
    /// A team with one event and two attendees, a key for all events and a door key for that
    /// event with only `attendees:check_in`.
    struct Door {
        let admin: Browser
        let allKey, doorKey, event: String
        let ada, grace: [String: Any]
    }

    func door(_ app: Application, window: String = "") async throws -> Door {
        let admin = Browser(app)
        try await admin.signUp(Browser.newAccount(team: "Meetups"))
        let allKey = try await admin.createKey(named: "everything")
        let now = Date()
        let created = try await app.api(
            "/api/v1/organizer/events", method: .POST, key: allKey,
            json: EventsAPITests.eventBody.merging([
                "starts_at": RFC3339.format(now.addingTimeInterval(3600)),
                "ends_at": RFC3339.format(now.addingTimeInterval(7200)),
            ]) { $1 })
        let event = try #require(try created.json()["id"] as? String)
        func register(_ name: String, _ email: String) async throws -> [String: Any] {
            let response = try await app.api(
                "/api/v1/organizer/events/\(event)/attendees", method: .POST, key: allKey,
                json: ["name": name, "email": email])
            #expect(response.status == .created)
            return try response.json()
        }
        let ada = try await register("Ada Lovelace", "ada@example.com")
        let grace = try await register("Grace Hopper", "grace@example.com")
        let doorKey = try await admin.createKey(
            named: "door", EventScopeTests.scoped([event], window: window, permissions: ["attendees:check_in"]))
        return Door(admin: admin, allKey: allKey, doorKey: doorKey, event: event, ada: ada, grace: grace)
    }

    func checkIn(_ app: Application, _ door: Door, code: String, event: String? = nil) async throws
        -> TestingHTTPResponse
    {
        try await app.api(
            "/api/v1/organizer/events/\(event ?? door.event)/check-ins", method: .POST, key: door.doorKey,
            json: ["ticket_code": code])
    }

    @Test("every attendee gets a 12-character code; a door key checks it in once (201), again 409 with the time")
    func checkInOnce() async throws {
        try await withKagibag { app in
            let door = try await door(app, window: "6")
            let code = try #require(door.ada["ticket_code"] as? String)
            #expect(TicketCode.normalise(code) == code)
            #expect(code != door.grace["ticket_code"] as? String)
            // As a person types it: lower case, with hyphens.
            let typed = code.lowercased().enumerated().map { $0.offset == 4 ? "-\($0.element)" : "\($0.element)" }
                .joined()
            let first = try await checkIn(app, door, code: typed)
            #expect(first.status == .created, "\(first.text)")
            let body = try first.json()
            #expect(body["name"] as? String == "Ada Lovelace")
            #expect(body["status"] as? String == "checked_in")
            #expect(body["email"] == nil)
            let at = try #require(body["checked_in_at"] as? String)
            let again = try await checkIn(app, door, code: code)
            #expect(again.status == .conflict)
            let problem = try again.json()
            #expect(problem["type"] as? String == "/docs/api#already-checked-in")
            #expect(problem["checked_in_at"] as? String == at)
            #expect((problem["detail"] as? String)?.contains(at) == true)
        }
    }

    @Test("a code of another event is 404, a malformed one 422; a cancelled registration and a cancelled event are 409")
    func refusals() async throws {
        try await withKagibag { app in
            let door = try await door(app)
            #expect(try await checkIn(app, door, code: "0000-0000-0000").status == .notFound)
            #expect(try await checkIn(app, door, code: "not a code!").status == .unprocessableEntity)
            let grace = try #require(door.grace["id"] as? String)
            let cancel = try await app.api(
                "/api/v1/organizer/events/\(door.event)/attendees/\(grace)", method: .PATCH, key: door.allKey,
                json: ["status": "cancelled"])
            #expect(cancel.status == .ok)
            let cancelled = try await checkIn(app, door, code: try #require(door.grace["ticket_code"] as? String))
            #expect(cancelled.status == .conflict)
            #expect(try cancelled.json()["type"] as? String == "/docs/api#cancelled")
            _ = try await app.api(
                "/api/v1/organizer/events/\(door.event)", method: .PATCH, key: door.allKey,
                json: ["status": "cancelled"])
            let over = try await checkIn(app, door, code: try #require(door.ada["ticket_code"] as? String))
            #expect(over.status == .conflict)
            #expect(try over.json()["type"] as? String == "/docs/api#event-cancelled")
        }
    }

    @Test(
        "a real code of an event out of the key's reach checks nobody in: another event of the team for a scoped key, any event of another team; both 404 like a missing event"
    )
    func checkInStaysWithinReach() async throws {
        try await withKagibag { app in
            let door = try await door(app)
            // Another event of the same team, with an attendee: the door key is not scoped to it.
            let other = try #require(
                try await app.api(
                    "/api/v1/organizer/events", method: .POST, key: door.allKey, json: EventsAPITests.eventBody
                ).json()["id"] as? String)
            let bob = try await app.api(
                "/api/v1/organizer/events/\(other)/attendees", method: .POST, key: door.allKey,
                json: ["name": "Bob", "email": "bob@example.com"]
            ).json()
            let bobCode = try #require(bob["ticket_code"] as? String)
            let outOfScope = try await checkIn(app, door, code: bobCode, event: other)
            #expect(outOfScope.status == .notFound)
            #expect(outOfScope.answer == (try await checkIn(app, door, code: bobCode, event: UUID().uuidString)).answer)
            // Another team's key that may check in, with a real code of this team's event.
            let stranger = Browser(app)
            try await stranger.signUp(Browser.newAccount(team: "Strangers"))
            let strangerKey = try await stranger.createKey(named: "their door")
            let adaCode = try #require(door.ada["ticket_code"] as? String)
            let crossTeam = try await app.api(
                "/api/v1/organizer/events/\(door.event)/check-ins", method: .POST, key: strangerKey,
                json: ["ticket_code": adaCode])
            #expect(crossTeam.status == .notFound)
            // Nobody was checked in by either.
            let list = try await app.api("/api/v1/organizer/events/\(other)/attendees", key: door.allKey).json()
            let ours = try await app.api("/api/v1/organizer/events/\(door.event)/attendees", key: door.allKey)
                .json()
            for rows in [list["data"], ours["data"]] {
                let attendees = try #require(rows as? [[String: Any]])
                #expect(attendees.allSatisfy { $0["status"] as? String == "registered" })
            }
        }
    }

    @Test("a door key reads its event's attendees without emails, and cannot change them or reach other events")
    func doorReadsWithoutEmail() async throws {
        try await withKagibag { app in
            let door = try await door(app)
            let list = try await app.api("/api/v1/organizer/events/\(door.event)/attendees", key: door.doorKey)
            #expect(list.status == .ok)
            let rows = try #require(try list.json()["data"] as? [[String: Any]])
            #expect(rows.count == 2)
            // No emails, and no ticket codes: the codes are what gets people in.
            #expect(rows.allSatisfy { $0["email"] == nil && $0["ticket_code"] == nil && $0["name"] is String })
            #expect(!list.text.contains("@example.com"))
            let full = try await app.api("/api/v1/organizer/events/\(door.event)/attendees", key: door.allKey)
            #expect(full.text.contains("ada@example.com"))
            #expect(full.text.contains(try #require(door.ada["ticket_code"] as? String)))
            let add = try await app.api(
                "/api/v1/organizer/events/\(door.event)/attendees", method: .POST, key: door.doorKey,
                json: ["name": "Mallory", "email": "mallory@example.com"])
            #expect(add.status == .forbidden)
            #expect(try await app.api("/api/v1/organizer/events", key: door.doorKey).status == .forbidden)
        }
    }

    @Test("two doors checking in the same code at the same moment: exactly one 201, the others 409")
    func concurrentDoors() async throws {
        try await withKagibag { app in
            let door = try await door(app)
            let code = try #require(door.ada["ticket_code"] as? String)
            let path = "/api/v1/organizer/events/\(door.event)/check-ins"
            let headers: HTTPHeaders = ["Authorization": "Bearer \(door.doorKey)", "Content-Type": "application/json"]
            try await LiveServer.with(app) { live in
                let statuses = try await withThrowingTaskGroup(of: UInt.self) { group in
                    for _ in 0..<8 {
                        group.addTask {
                            try await live.send(.POST, path, headers: headers, body: #"{"ticket_code":"\#(code)"}"#)
                                .status.code
                        }
                    }
                    return try await group.reduce(into: [UInt]()) { $0.append($1) }
                }
                #expect(statuses.filter { $0 == 201 }.count == 1, "\(statuses)")
                #expect(statuses.filter { $0 == 409 }.count == 7, "\(statuses)")
            }
        }
    }

    @Test("unknown codes are limited per key: after 30 in a minute, 429 with Retry-After, even for a real code")
    func guessingIsLimited() async throws {
        try await withKagibag { app in
            let door = try await door(app)
            for index in 0..<30 {
                let guess = String(format: "%012d", index)
                #expect(try await checkIn(app, door, code: guess).status == .notFound)
            }
            let limited = try await checkIn(app, door, code: try #require(door.ada["ticket_code"] as? String))
            #expect(limited.status == .tooManyRequests)
            #expect(limited.headers.first(name: .retryAfter) != nil)
            // Another key of the team is not held back.
            let other = try await app.api(
                "/api/v1/organizer/events/\(door.event)/check-ins", method: .POST, key: door.allKey,
                json: ["ticket_code": try #require(door.ada["ticket_code"] as? String)])
            #expect(other.status == .created)
        }
    }

    @Test(
        "a busy door: 40 real codes at once over real sockets all check in; only unknown codes count toward the limit")
    func busyDoorIsNotLimited() async throws {
        try await withKagibag { app in
            let door = try await door(app)
            var codes = [door.ada, door.grace].compactMap { $0["ticket_code"] as? String }
            for index in 0..<38 {
                let guest = try await app.api(
                    "/api/v1/organizer/events/\(door.event)/attendees", method: .POST, key: door.allKey,
                    json: ["name": "Guest \(index)", "email": "guest\(index)@example.com"]
                ).json()
                codes.append(try #require(guest["ticket_code"] as? String))
            }
            let path = "/api/v1/organizer/events/\(door.event)/check-ins"
            let headers: HTTPHeaders = ["Authorization": "Bearer \(door.doorKey)", "Content-Type": "application/json"]
            try await LiveServer.with(app) { live in
                let statuses = try await withThrowingTaskGroup(of: UInt.self) { group in
                    for code in codes {
                        group.addTask {
                            try await live.send(.POST, path, headers: headers, body: #"{"ticket_code":"\#(code)"}"#)
                                .status.code
                        }
                    }
                    return try await group.reduce(into: [UInt]()) { $0.append($1) }
                }
                #expect(statuses.count == 40 && statuses.allSatisfy { $0 == 201 }, "\(statuses)")
            }
            #expect(try await checkIn(app, door, code: "000000000000").status == .notFound)
        }
    }

    @Test("a mistaken check-in is undone, and the team's Activity says which key did it")
    func undo() async throws {
        try await withKagibag { app in
            let door = try await door(app)
            let ada = try #require(door.ada["id"] as? String)
            let code = try #require(door.ada["ticket_code"] as? String)
            #expect(try await checkIn(app, door, code: code).status == .created)
            let path = "/api/v1/organizer/events/\(door.event)/check-ins/\(ada)"
            #expect(try await app.api(path, method: .DELETE, key: door.doorKey).status == .noContent)
            #expect(try await app.api(path, method: .DELETE, key: door.doorKey).status == .conflict)
            #expect(try await checkIn(app, door, code: code).status == .created)
            try await door.admin.get("/admin/team/activity")
            #expect(door.admin.lastPage.contains("undid the check-in of Ada Lovelace"))
            #expect(door.admin.lastPage.contains("door"))
        }
    }

    @Test("the attendee list shows codes and check-in times, and any member checks people in with its button")
    func webCheckIn() async throws {
        try await withKagibag { app in
            let door = try await door(app)
            let code = try #require(door.grace["ticket_code"] as? String)
            let grace = try #require(door.grace["id"] as? String)
            try await door.admin.get("/admin/events/\(door.event)")
            #expect(door.admin.lastPage.contains(code))
            let response = try await door.admin.post("/admin/events/\(door.event)/attendees/\(grace)/check-in", [])
            #expect(response.status == .seeOther)
            try await door.admin.get("/admin/events/\(door.event)")
            #expect(door.admin.lastPage.contains("Checked in Grace Hopper."))
            let stored = try #require(try await Attendee.find(UUID(uuidString: grace), on: app.db))
            #expect(stored.status == .checkedIn)
            #expect(stored.checkedInAt != nil)
        }
    }

    @Test(
        "the migration gives attendees from before a code and teams that could change attendees the check-in permission"
    )
    func migrationOfExistingData() async throws {
        try await withKagibag { app in
            let door = try await door(app)
            let ada = try #require(door.ada["id"] as? String).uppercased()
            // As before the migration: no code, and a team without the new permission.
            try await app.db.sql.raw(
                "UPDATE attendees SET ticket_code = NULL WHERE id = \(bind: UUID(uuidString: ada)!)"
            )
            .run()
            try await app.db.sql.raw(
                "UPDATE teams SET permissions = 'events:read events:write attendees:read attendees:write'"
            ).run()
            // A team that could only write attendees (a registration feed) is not given a read.
            let feed = Team(name: "Feed", slug: "feed", permissions: [.eventsRead, .attendeesWrite])
            try await feed.create(on: app.db)
            try await M018AddTicketCodesAndCheckIn.giveTicketCodes(on: app.db)
            try await M018AddTicketCodesAndCheckIn.grantCheckIn(on: app.db)
            try await M018AddTicketCodesAndCheckIn.grantCheckIn(on: app.db)  // twice: still once
            let stored = try #require(try await Attendee.find(UUID(uuidString: ada), on: app.db))
            #expect(stored.ticketCode.flatMap(TicketCode.normalise) != nil)
            let team = try #require(try await Team.query(on: app.db).filter(\.$name == "Meetups").first())
            #expect(
                team.permissionsColumn == "events:read events:write attendees:read attendees:write attendees:check_in")
            #expect(try await Team.find(feed.id, on: app.db)?.permissions == [.eventsRead, .attendeesWrite])
        }
    }

    @Test(
        "a change to an attendee never overwrites a check-in made meanwhile, and a status set through PATCH keeps checked_in_at true to it"
    )
    func patchesKeepCheckInsConsistent() async throws {
        try await withKagibag { app in
            let door = try await door(app)
            let ada = try #require(door.ada["id"] as? String)
            let path = "/api/v1/organizer/events/\(door.event)/attendees/\(ada)"
            let viaPatch = try await app.api(path, method: .PATCH, key: door.allKey, json: ["status": "checked_in"])
            #expect(viaPatch.status == .ok)
            #expect(try viaPatch.json()["checked_in_at"] is String)
            let back = try await app.api(path, method: .PATCH, key: door.allKey, json: ["status": "registered"])
            #expect(try back.json()["checked_in_at"] is NSNull)
            // The store read the attendee as registered; a door checks them in before it writes.
            let event = try await EventStore.find(
                door.event, team: try #require(try await Team.query(on: app.db).first()?.id), on: app.db)
            let stale = try await AttendeeStore.find(ada, of: event, on: app.db)
            #expect(
                try await checkIn(app, door, code: try #require(door.ada["ticket_code"] as? String)).status == .created)
            var draft = stale.draft
            draft.status = .registered
            await #expect(throws: DomainError.self) {
                try await AttendeeStore.update(stale, to: draft, event: event, by: .named("test"), on: app.db)
            }
            #expect(try await Attendee.find(stale.id, on: app.db)?.status == .checkedIn)
        }
    }

    @Test("a key that works only around its events may not move them (its window would move with them)")
    func windowedKeyCannotMoveItsEvents() async throws {
        try await withKagibag { app in
            let door = try await door(app)
            let mover = try await door.admin.createKey(
                named: "mover",
                EventScopeTests.scoped([door.event], window: "6", permissions: ["events:read", "events:write"]))
            let path = "/api/v1/organizer/events/\(door.event)"
            let moved = try await app.api(path, method: .PATCH, key: mover, json: ["ends_at": "2099-01-01T00:00:00Z"])
            #expect(moved.status == .forbidden)
            #expect(moved.text.contains("may not change their times or status"))
            #expect(try await app.api(path, method: .PATCH, key: mover, json: ["name": "Renamed"]).status == .ok)
        }
    }
}
