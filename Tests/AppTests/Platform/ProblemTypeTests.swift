import Foundation
import Testing
import Vapor
import VaporTesting

@testable import App

/// Issue 27, part 3: every problem names what happened by a stable `type`, explained on the API
/// reference under that anchor, so that clients branch on it instead of on English text.
@Suite("Problem types")
struct ProblemTypeTests {
    @Test(
        "each refusal names its kind: no key, a paused key, a missing event, invalid fields, a stale copy, a rate limit"
    )
    func refusalsNameTheirType() async throws {
        try await withKagibag({ $0.apiRateLimitPerMinute = 30 }) { app in
            let (admin, key, keyPath) = try await Browser.adminWithKey(app)
            func type(_ response: TestingHTTPResponse) throws -> String? { try response.json()["type"] as? String }
            #expect(try type(try await app.api("/api/v1/organizer/events", key: nil)) == "/docs/api#missing-key")
            #expect(
                try type(try await app.api("/api/v1/organizer/events", key: "kgb_" + String(repeating: "a", count: 46)))
                    == "/docs/api#invalid-key")
            let missing = "/api/v1/organizer/events/\(UUID().uuidString.lowercased())"
            #expect(try type(try await app.api(missing, key: key)) == "/docs/api#not-found")
            var body = EventsAPITests.eventBody
            body["name"] = ""
            let invalid = try await app.api("/api/v1/organizer/events", method: .POST, key: key, json: body)
            #expect(try type(invalid) == "/docs/api#invalid")
            let created = try await app.api(
                "/api/v1/organizer/events", method: .POST, key: key, json: EventsAPITests.eventBody)
            let path = "/api/v1/organizer/events/\(try #require(try created.json()["id"] as? String))"
            let stale = try await app.api(
                path, method: .PATCH, key: key, json: ["name": "X"], headers: [("If-Match", #""v9""#)])
            #expect(try type(stale) == "/docs/api#precondition-failed")
            // 40 at once, past the limit of 30 a minute: sent one by one, a loaded machine took more
            // than the limit's minute over them, and none was refused.
            let limited = try await withThrowingTaskGroup(of: TestingHTTPResponse.self) { group in
                for _ in 0..<40 { group.addTask { try await app.api("/api/v1/organizer/key", key: key) } }
                var refused: TestingHTTPResponse?
                for try await response in group where response.status == .tooManyRequests { refused = response }
                return refused
            }
            #expect(try type(try #require(limited)) == "/docs/api#rate-limited")
            try await admin.get(keyPath)
            #expect(try await admin.post(keyPath + "/pause").status == .seeOther)
            #expect(try type(try await app.api("/api/v1/organizer/key", key: key)) == "/docs/api#key-paused")
        }
    }

    @Test("every type is explained on the API reference under its anchor, with its status and what to do")
    func everyTypeIsDocumented() async throws {
        try await withKagibag { app in
            let page = try await app.testing().sendRequest(.GET, "/docs/api")
            #expect(page.status == .ok)
            let html = String(buffer: page.body)
            for type in ProblemType.allCases {
                #expect(html.contains(#"<dt id="\#(type.rawValue)"><code>\#(type.uri)</code> (\#(type.status))</dt>"#))
            }
            #expect(html.components(separatedBy: "What to do:").count - 1 == ProblemType.allCases.count)
        }
    }

    @Test("the type a bare status gets is documented with that status, for every status a client can be answered")
    func statusAndTypeAgree() {
        for status in 400...599 {
            let type = try? #require(ProblemType.of(status: status), "\(status)")
            // A status without a section of its own is the general kind of its class.
            let general: ProblemType = status < 500 ? .badRequest : .serverError
            #expect(type?.status == status || type == general, "\(status) → \(String(describing: type))")
        }
        for type in ProblemType.allCases {
            // Each status the reference lists is one a bare refusal of that status can be
            // answered with, or a more specific kind of it.
            #expect(ProblemType.of(status: type.status)?.status == type.status, "\(type)")
        }
    }
}
