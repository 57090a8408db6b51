import Foundation
import Testing
import Vapor

@testable import App

/// Issue 27, part 4: events and attendees carry an ETag; If-None-Match saves a GET, If-Match
/// refuses an edit made from a stale copy (412, nothing changed); without them, nothing changes
/// for today's clients.
@Suite("Conditional requests (ETag, If-Match, If-None-Match)")
struct ConditionalRequestTests {
    @Test(
        "an event's ETag moves with each change; If-None-Match answers 304; a PATCH or DELETE with a stale If-Match gets 412 and changes nothing"
    )
    func events() async throws {
        try await withKagibag { app in
            let (_, key, _) = try await Browser.adminWithKey(app)
            let created = try await app.api(
                "/api/v1/organizer/events", method: .POST, key: key, json: EventsAPITests.eventBody)
            #expect(created.headers.first(name: .eTag) == #""v1""#)
            let path = "/api/v1/organizer/events/\(try #require(try created.json()["id"] as? String))"
            let read = try await app.api(path, key: key)
            #expect(read.headers.first(name: .eTag) == #""v1""#)
            let cached = try await app.api(path, method: .GET, key: key, headers: [("If-None-Match", #""v1""#)])
            #expect(cached.status == .notModified)
            #expect(cached.body.readableBytes == 0)
            #expect(cached.headers.first(name: .eTag) == #""v1""#)

            // Two editors read v1; the first saves (v2), the second's copy is stale.
            let first = try await app.api(
                path, method: .PATCH, key: key, json: ["name": "First"], headers: [("If-Match", #""v1""#)])
            #expect(first.status == .ok)
            #expect(first.headers.first(name: .eTag) == #""v2""#)
            let second = try await app.api(
                path, method: .PATCH, key: key, json: ["venue": "Elsewhere"], headers: [("If-Match", #""v1""#)])
            #expect(second.status == .preconditionFailed)
            #expect(second.headers.first(name: .eTag) == #""v2""#)
            #expect(second.headers.contentType?.subType == "problem+json")
            #expect(
                try second.json()["detail"] as? String
                    == "The event changed since your copy (If-Match does not name its current ETag, \"v2\"); nothing was changed. Read it again and reapply your change."
            )
            let now = try await app.api(path, key: key).json()
            #expect(now["name"] as? String == "First")
            #expect(now["venue"] as? String == "Kongresshaus")
            // A modified copy is sent again; a weak tag never matches If-Match; `*` does.
            #expect(
                try await app.api(path, method: .GET, key: key, headers: [("If-None-Match", #""v1""#)]).status == .ok)
            #expect(
                try await app.api(
                    path, method: .PATCH, key: key, json: ["name": "W"], headers: [("If-Match", #"W/"v2""#)]
                )
                .status == .preconditionFailed)
            #expect(
                try await app.api(path, method: .PATCH, key: key, json: ["name": "Any"], headers: [("If-Match", "*")])
                    .status == .ok)
            // Without If-Match, as before: no precondition is required.
            let plain = try await app.api(path, method: .PATCH, key: key, json: ["name": "Plain"])
            #expect(plain.status == .ok)
            #expect(plain.headers.first(name: .eTag) == #""v4""#)

            #expect(
                try await app.api(path, method: .DELETE, key: key, headers: [("If-Match", #""v3""#)]).status
                    == .preconditionFailed)
            #expect(try await app.api(path, key: key).status == .ok)
            #expect(
                try await app.api(path, method: .DELETE, key: key, headers: [("If-Match", #""v4""#)]).status
                    == .noContent)
            #expect(try await app.api(path, key: key).status == .notFound)
        }
    }

    @Test(
        "an attendee's ETag moves with a change and a check-in; a stale If-Match gets 412; a door key's copy has a tag of its own"
    )
    func attendees() async throws {
        try await withKagibag { app in
            let (admin, key, _) = try await Browser.adminWithKey(app)
            let event = try #require(
                try await app.api("/api/v1/organizer/events", method: .POST, key: key, json: EventsAPITests.eventBody)
                    .json()["id"] as? String)
            let registered = try await app.api(
                "/api/v1/organizer/events/\(event)/attendees", method: .POST, key: key,
                json: ["name": "Ada", "email": "ada@example.com"])
            #expect(registered.headers.first(name: .eTag) == #""v1""#)
            let body = try registered.json()
            let path = "/api/v1/organizer/events/\(event)/attendees/\(try #require(body["id"] as? String))"
            let changed = try await app.api(
                path, method: .PATCH, key: key, json: ["name": "Ada L."], headers: [("If-Match", #""v1""#)])
            #expect(changed.status == .ok)
            #expect(changed.headers.first(name: .eTag) == #""v2""#)
            let code = try #require(body["ticket_code"] as? String)
            #expect(
                try await app.api(
                    "/api/v1/organizer/events/\(event)/check-ins", method: .POST, key: key, json: ["ticket_code": code]
                ).status == .created)
            #expect(try await app.api(path, key: key).headers.first(name: .eTag) == #""v3""#)
            let stale = try await app.api(
                path, method: .PATCH, key: key, json: ["name": "Stale"], headers: [("If-Match", #""v2""#)])
            #expect(stale.status == .preconditionFailed)
            #expect(try await app.api(path, key: key).json()["name"] as? String == "Ada L.")
            #expect(
                try await app.api(path, method: .DELETE, key: key, headers: [("If-Match", #""v2""#)]).status
                    == .preconditionFailed)

            let door = try await admin.createKey(
                named: "door", [("permission_choice", "only"), ("permissions[]", "attendees:check_in")])
            let limited = try await app.api(path, key: door)
            #expect(limited.status == .ok)
            #expect(limited.headers.first(name: .eTag) == #""v3-limited""#)
            #expect(try limited.json()["email"] == nil)
        }
    }
}
