import Fluent
import Foundation
import SQLKit
import Testing
import Vapor

@testable import App

/// Issue 25: every change made through the API is in the team's Activity, with the key that made
/// it, where from, the request id its answer named, and what changed.
@Suite("API changes in Activity")
struct APIActivityTests {
    @Test(
        "every API write (event create, change, delete; attendee register, change, check-in, delete) is in Activity with the key, the client address, the request id and the old and new values"
    )
    func apiWritesAreAttributed() async throws {
        try await withKagibag { app in
            let admin = Browser(app)
            try await admin.signUp(Browser.newAccount())
            let key = try await admin.createKey(named: "CRM sync")
            let keyRow = try #require(try await APIKey.query(on: app.db).filter(\.$name == "CRM sync").first())
            let headers: HTTPHeaders = ["Authorization": "Bearer \(key)", "Content-Type": "application/json"]
            var ids: [String: String] = [:]
            var code = ""
            try await LiveServer.with(app) { live in
                func call(_ label: String, _ method: HTTPMethod, _ path: String, _ body: String?, _ status: UInt)
                    async throws -> [String: Any]
                {
                    let response = try await live.send(method, path, headers: headers, body: body)
                    #expect(response.status.code == status, "\(label)")
                    ids[label] = response.headers.first(name: "Request-Id")
                    guard let buffer = response.body, buffer.readableBytes > 0 else { return [:] }
                    return try JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [String: Any] ?? [:]
                }
                let body = String(
                    decoding: try JSONSerialization.data(
                        withJSONObject: EventsAPITests.eventBody.mapValues { $0 ?? NSNull() }), as: UTF8.self)
                let event = try #require(
                    try await call("create event", .POST, "/api/v1/organizer/events", body, 201)["id"] as? String)
                let eventPath = "/api/v1/organizer/events/\(event)"
                _ = try await call("rename event", .PATCH, eventPath, #"{"name":"Renamed meetup"}"#, 200)
                let ada = try await call(
                    "register", .POST, eventPath + "/attendees", #"{"name":"Ada","email":"ada@example.com"}"#, 201)
                let adaID = try #require(ada["id"] as? String)
                _ = try await call(
                    "change email", .PATCH, eventPath + "/attendees/\(adaID)", #"{"email":"ada@example.org"}"#, 200)
                code = try #require(ada["ticket_code"] as? String)
                _ = try await call("check in", .POST, eventPath + "/check-ins", #"{"ticket_code":"\#(code)"}"#, 201)
                _ = try await call("delete attendee", .DELETE, eventPath + "/attendees/\(adaID)", nil, 204)
                // A refused write records nothing.
                _ = try await call("refused", .PATCH, eventPath, #"{"name":""}"#, 422)
                _ = try await call("delete event", .DELETE, eventPath, nil, 204)
            }
            let rows = try await AuditEvent.query(on: app.db).filter(\.$keyID == keyRow.id).sort(\.$id).all()
            #expect(
                rows.map(\.action) == [
                    "event.created", "event.updated", "attendee.registered", "attendee.updated",
                    "attendee.checked_in", "attendee.deleted", "event.deleted",
                ])
            let written = [
                "create event", "rename event", "register", "change email", "check in", "delete attendee",
                "delete event",
            ]
            #expect(rows.map(\.requestID) == written.map { ids[$0] })
            #expect(rows.allSatisfy { $0.actor == "API key “CRM sync”" && $0.keyLastFour == keyRow.lastFour })
            #expect(rows.allSatisfy { $0.clientAddress == "127.0.0.1" && $0.eventID != nil })
            #expect(try await AuditEvent.query(on: app.db).filter(\.$requestID == ids["refused"]).count() == 0)

            // The admin sees them: the key, where from, the request id, and what changed.
            try await admin.get("/admin/team/activity")
            let page = admin.lastPage
            for label in written { #expect(page.contains(try #require(ids[label])), "\(label)") }
            #expect(page.contains("checked in Ada at “Renamed meetup”"))
            #expect(!page.contains(code))  // a ticket code gets its holder in: not in Activity
            #expect(page.contains("<code>name</code>: Swift Summit → Renamed meetup"))
            #expect(page.contains("ada@example.com → ada@example.org"))
            #expect(page.contains("from 127.0.0.1"))
            #expect(page.contains(#"href="/admin/team/api-keys/\#(keyRow.id!.lowercasedString)""#))
        }
    }

    @Test("changes made in the browser are in Activity too, with the person who made them and no key")
    func browserWritesAreAttributed() async throws {
        try await withKagibag { app in
            let admin = Browser(app)
            let account = Browser.newAccount()
            try await admin.signUp(account)
            try await admin.get("/admin/events/new")
            let created = try await admin.post("/admin/events", EventsWebTests.form)
            #expect(created.status == .seeOther)
            let entry = try #require(
                try await AuditEvent.query(on: app.db).filter(\.$action == "event.created").first())
            #expect(entry.actor == account.name && entry.keyID == nil && entry.requestID != nil)
            #expect(entry.summary == "created event “Swift Summit”")
        }
    }

    @Test(
        "Activity filters by key, by person, by kind, by event (with its attendees) and by day; the key's and the event's pages link to theirs"
    )
    func activityFilters() async throws {
        try await withKagibag { app in
            let admin = Browser(app)
            let account = Browser.newAccount()
            try await admin.signUp(account)
            let sync = try await admin.createKey(named: "sync")
            let other = try await admin.createKey(named: "other")
            func create(_ name: String, key: String) async throws -> String {
                try #require(
                    try await app.api(
                        "/api/v1/organizer/events", method: .POST, key: key,
                        json: EventsAPITests.eventBody.merging(["name": name]) { $1 }
                    ).json()["id"] as? String)
            }
            let first = try await create("First by sync", key: sync)
            let second = try await create("Second by other", key: other)
            #expect(
                try await app.api(
                    "/api/v1/organizer/events/\(first)/attendees", method: .POST, key: other,
                    json: ["name": "Ada", "email": "ada@example.com"]
                ).status == .created)
            let syncID = try #require(try await APIKey.query(on: app.db).filter(\.$name == "sync").first()?.id)

            func shown(_ query: String) async throws -> String {
                let page = try await admin.get("/admin/team/activity" + query)
                #expect(page.status == .ok, "\(query)")
                return admin.lastPage
            }
            var page = try await shown("?who=key:\(syncID.lowercasedString)")
            #expect(page.contains("created event “First by sync”") && !page.contains("Second by other"))
            #expect(!page.contains("created API key"))
            page = try await shown("?kind=events")
            #expect(
                page.contains("First by sync") && page.contains("Second by other") && !page.contains("registered Ada"))
            #expect(!page.contains("created API key"))
            page = try await shown("?kind=keys")
            #expect(page.contains("created API key “sync”") && !page.contains("created event"))
            page = try await shown("?event=\(first)")
            #expect(page.contains("created event “First by sync”") && page.contains("registered Ada"))
            #expect(!page.contains("Second by other"))
            #expect(page.contains("Only what happened to the event “First by sync”"))
            let person = try #require(try await User.query(on: app.db).filter(\.$email == account.email).first()?.id)
            page = try await shown("?who=person:\(person.lowercasedString)")
            #expect(page.contains("created API key “sync”") && !page.contains("created event"))
            page = try await shown("?from=2000-01-01&until=2000-01-02")
            #expect(page.contains("Nothing matches these filters."))
            // Nonsense is no filter, and no error.
            page = try await shown("?who=key:nope&kind=nope&from=2024-02-30")
            #expect(page.contains("Second by other") && page.contains("created API key"))
            try await admin.get("/admin/team/api-keys/\(syncID.lowercasedString)")
            #expect(admin.lastPage.contains("/admin/team/activity?who=key:\(syncID.lowercasedString)"))
            try await admin.get("/admin/events/\(second)")
            #expect(admin.lastPage.contains("/admin/team/activity?event=\(second)"))
        }
    }

    @Test(
        "the export is the CSV of every entry the filters show, across pages, newest first; no cell runs as a formula; members get 403"
    )
    func export() async throws {
        try await withKagibag { app in
            let admin = Browser(app)
            try await admin.signUp(Browser.newAccount())
            let key = try await admin.createKey(named: "sync")
            let event = try #require(
                try await app.api(
                    "/api/v1/organizer/events", method: .POST, key: key,
                    json: EventsAPITests.eventBody.merging(["name": "=HYPERLINK(\"http://evil\")"]) { $1 }
                ).json()["id"] as? String)
            let team = try #require(try await Team.query(on: app.db).first()?.id)
            // More entries than one page of the export (500), written straight into the trail.
            for index in 0..<1_050 {
                try await Audit.record(
                    .attendeeRegistered, team: team, by: .named("seed"), "registered guest \(index)",
                    event: UUID(uuidString: event), on: app.db)
            }
            let response = try await admin.get("/admin/team/activity/export.csv?event=\(event)")
            #expect(response.status == .ok)
            #expect(response.headers.contentType?.subType == "csv")
            #expect(response.headers.first(name: .contentDisposition)?.hasPrefix("attachment; filename=") == true)
            #expect(response.headers.first(name: .cacheControl) == "no-store")
            let lines = String(buffer: response.body).split(separator: "\r\n", omittingEmptySubsequences: true)
            #expect(lines.first == "time,actor,key_last_four,client_address,request_id,action,summary,event_id,changes")
            #expect(lines.count == 1 + 1_050 + 1)  // the header, the seeded entries, the event's creation
            // Every entry once (ids are time-ordered to the millisecond: within one, in any order).
            let guests = lines.compactMap { $0.firstMatch(of: /registered guest (\d+)/).map { Int($0.1)! } }
            #expect(guests.count == 1_050 && Set(guests).count == 1_050)
            #expect(lines.last?.contains("created event “=HYPERLINK") == true)  // inside a sentence: harmless
            #expect(!lines.contains { $0.contains("created API key") })  // not about the event
            #expect(ActivityController.csvField("=HYPERLINK(\"x\")") == "\"'=HYPERLINK(\"\"x\"\")\"")
            #expect(ActivityController.csvField("-1+1") == "'-1+1")

            // A member of the team gets nothing (Activity is for admins).
            let member = Browser(app)
            let memberAccount = Browser.newAccount(team: "Elsewhere")
            try await member.signUp(memberAccount)
            try await member.joinTeam(of: admin, email: memberAccount.email)
            let refused = try await member.get("/admin/team/activity/export.csv")
            #expect(refused.status == .forbidden)
            #expect(!refused.text.contains("registered guest"))
        }
    }

    @Test(
        "two deletes of one attendee at once: one 204 and one 404, one Activity entry, and the place freed once"
    )
    func concurrentDeletes() async throws {
        try await withKagibag { app in
            let (_, key, _) = try await Browser.adminWithKey(app)
            let event = try #require(
                try await app.api(
                    "/api/v1/organizer/events", method: .POST, key: key,
                    json: EventsAPITests.eventBody.merging(["capacity": 5]) { $1 }
                ).json()["id"] as? String)
            for name in ["Ada", "Grace"] {
                #expect(
                    try await app.api(
                        "/api/v1/organizer/events/\(event)/attendees", method: .POST, key: key,
                        json: ["name": name, "email": "\(name.lowercased())@example.com"]
                    ).status == .created)
            }
            let ada = try #require(try await Attendee.query(on: app.db).filter(\.$name == "Ada").first()?.id)
            let path = "/api/v1/organizer/events/\(event)/attendees/\(ada.lowercasedString)"
            try await LiveServer.with(app) { live in
                let statuses = try await withThrowingTaskGroup(of: UInt.self) { group in
                    for _ in 0..<2 {
                        group.addTask {
                            try await live.send(.DELETE, path, headers: ["Authorization": "Bearer \(key)"]).status.code
                        }
                    }
                    return try await group.reduce(into: [UInt]()) { $0.append($1) }
                }
                #expect(statuses.sorted() == [204, 404], "\(statuses)")
            }
            // The race above is decided by timing; this is its worst case for certain: the second
            // delete read Grace before the first removed her.
            let grace = try #require(try await Attendee.query(on: app.db).filter(\.$name == "Grace").first())
            let stale = try #require(try await Attendee.find(grace.id, on: app.db))
            let record = try #require(try await EventStore.lockedRow(UUID(uuidString: event)!, on: app.db))
            try await AttendeeStore.delete(grace, of: record, by: .named("first"), on: app.db)
            await #expect(throws: DomainError.self) {
                try await AttendeeStore.delete(stale, of: record, by: .named("second"), on: app.db)
            }
            #expect(try await AuditEvent.query(on: app.db).filter(\.$action == "attendee.deleted").count() == 2)
            let taken = try await (app.db as! any SQLDatabase).raw(
                "SELECT active_attendees FROM events WHERE id = \(bind: UUID(uuidString: event)!)"
            ).first()?.decode(column: "active_attendees", as: Int.self)
            #expect(taken == 0)  // each place freed once
        }
    }
}
