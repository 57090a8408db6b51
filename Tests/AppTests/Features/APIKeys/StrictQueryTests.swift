import Foundation
import Testing
import VaporTesting

@testable import App

@Suite("Query parameters an operation does not take")
struct StrictQueryTests {
    @Test("a mistyped filter gets 400 naming it instead of every event; the documented ones still work")
    func typoIsRefused() async throws {
        try await withKagibag { app in
            let (_, key, _) = try await Browser.adminWithKey(app)
            let typo = try await app.api("/api/v1/organizer/events?staus=published", key: key)
            #expect(typo.status == .badRequest)
            let problem = try typo.json()
            #expect((problem["detail"] as? String)?.contains("Unknown query parameter “staus”") == true)
            #expect(
                (problem["detail"] as? String)?.contains(
                    "cursor, limit, starts_after, starts_before, status, updated_since") == true)
            #expect(problem["field"] as? String == "staus")
            #expect(try await app.api("/api/v1/organizer/events?status=published&limit=5", key: key).status == .ok)
            #expect(try await app.api("/api/v1/organizer/key/usage?days=7", key: key).status == .ok)
            #expect(try await app.api("/api/v1/organizer/key?verbose=1", key: key).status == .badRequest)
        }
    }

    @Test("what each operation takes comes from openapi.json")
    func fromTheContract() throws {
        let resources = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../../../Sources/App/Resources/openapi.json").standardized
        let middleware = try StrictQueryMiddleware(openAPIDocument: try Data(contentsOf: resources))
        #expect(middleware.accepted["GET /api/v1/organizer/key/usage"] == ["days"])
        #expect(
            middleware.accepted["GET /api/v1/organizer/events/*/attendees"] == ["updated_since", "limit", "cursor"])
        #expect(middleware.accepted["PATCH /api/v1/organizer/events/*"] == [])
        #expect(
            StrictQueryMiddleware.key(method: "GET", path: "/api/v1/organizer/events/:event")
                == "GET /api/v1/organizer/events/*")
    }
}
