import Foundation
import Testing
import Vapor

@testable import App

/// Request ids (issue 25): an integrator quotes the id of a failed request, and it leads to that
/// request, so every answer must carry one and every problem body the same one.
@Suite("Request ids")
struct RequestIDTests {
    @Test(
        "every answer, API and web, success and failure, names a fresh id in Request-Id, and every problem body names the same one in request_id"
    )
    func everyAnswerNamesItsID() async throws {
        try await withKagibag { app in
            let admin = Browser(app)
            try await admin.signUp(Browser.newAccount())
            let key = try await admin.createKey(named: "ids")
            let reader = try await admin.createKey(
                named: "reader", [("permission_choice", "only"), ("permissions[]", "events:read")])
            let event = try #require(
                try await app.api(
                    "/api/v1/organizer/events", method: .POST, key: key, json: EventsAPITests.eventBody
                ).json()["id"] as? String)
            let unnamed = String(
                decoding: try JSONSerialization.data(
                    withJSONObject: EventsAPITests.eventBody.merging(["name": ""]) { $1 }.mapValues { $0 ?? NSNull() }),
                as: UTF8.self)
            let json: HTTPHeaders = ["Authorization": "Bearer \(key)", "Content-Type": "application/json"]
            let requests: [(HTTPMethod, String, HTTPHeaders, String?, UInt)] = [
                (.GET, "/api/v1/organizer/events", ["Authorization": "Bearer \(key)"], nil, 200),
                (.GET, "/api/v1/organizer/events", [:], nil, 401),
                (.GET, "/api/v1/organizer/events", ["Authorization": "Bearer kgb_nope"], nil, 401),
                (
                    .POST, "/api/v1/organizer/events",
                    ["Authorization": "Bearer \(reader)", "Content-Type": "application/json"], "{}", 403
                ),
                (.GET, "/api/v1/organizer/events/\(UUID().uuidString)", ["Authorization": "Bearer \(key)"], nil, 404),
                (.GET, "/api/v1/organizer/nothing-here", ["Authorization": "Bearer \(key)"], nil, 404),
                (.POST, "/api/v1/organizer/events", json, "{", 400),
                (.POST, "/api/v1/organizer/events", json, unnamed, 422),
                (.POST, "/api/v1/organizer/events/\(event)/check-ins", json, #"{"ticket_code":"000000000000"}"#, 404),
                (.GET, "/login", [:], nil, 200),
                (.GET, "/no-such-page", ["Accept": "text/html"], nil, 404),
                (.GET, "/healthz", [:], nil, 200),
            ]
            try await LiveServer.with(app) { live in
                var seen = Set<String>()
                for (method, path, headers, body, expected) in requests {
                    let response = try await live.send(method, path, headers: headers, body: body)
                    let label = "\(method) \(path) \(body ?? "")"
                    #expect(response.status.code == expected, "\(label)")
                    let id = try #require(response.headers.first(name: "Request-Id"), "\(label)")
                    #expect(!id.isEmpty && !seen.contains(id), "\(label): \(id)")
                    seen.insert(id)
                    guard response.headers.contentType?.subType == "problem+json" else { continue }
                    let problem = try #require(
                        try JSONSerialization.jsonObject(with: Data(buffer: response.body ?? .init())) as? [String: Any]
                    )
                    #expect(problem["request_id"] as? String == id, "\(label)")
                }
            }
        }
    }

    @Test(
        "a problem made where the request's id did not reach, or naming another request, answers with this request's id"
    )
    func problemsMadeElsewhereGetTheRequestsID() async throws {
        try await withKagibag { app in
            // Made outside the request's task, as inside a database transaction's closure: no id.
            app.get("made-elsewhere") { _ in
                await Task.detached { ProblemDetails(title: "Conflict", status: 409).response() }.value
            }
            // Written with another request's id, as a stored answer would be.
            app.get("made-for-another") { _ in
                RequestIDMiddleware.$current.withValue("another-request") {
                    ProblemDetails(title: "Conflict", status: 409).response()
                }
            }
            try await LiveServer.with(app) { live in
                for path in ["/made-elsewhere", "/made-for-another"] {
                    let response = try await live.send(.GET, path, headers: [:], body: nil)
                    #expect(response.status == .conflict, "\(path)")
                    let id = try #require(response.headers.first(name: "Request-Id"), "\(path)")
                    let problem = try #require(
                        try JSONSerialization.jsonObject(with: Data(buffer: response.body ?? .init())) as? [String: Any]
                    )
                    #expect(problem["request_id"] as? String == id, "\(path)")
                    #expect(problem["title"] as? String == "Conflict", "\(path)")
                }
            }
        }
    }
}
