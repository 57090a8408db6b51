import Fluent
import Foundation
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
            #expect(page.contains("checked in Ada (ticket \(code)) at “Renamed meetup”"))
            #expect(
                page.contains("<code>name</code>: Saturday meetup → Renamed meetup")
                    || page.contains("→ Renamed meetup"))
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
}
