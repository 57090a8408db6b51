import Vapor

/// `GET /healthz`: 200 when the database answers, 503 with a problem body when it does not.
enum Health {
    @Sendable static func check(req: Request) async throws -> Response {
        struct Status: Content { let status: String }
        do {
            try await req.db.sql.raw("SELECT 1").run()
            let response = try await Status(status: "ok").encodeResponse(for: req)
            response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
            return response
        } catch {
            req.logger.warning(
                "health check: database did not answer", metadata: ["error": "\(String(reflecting: type(of: error)))"])
            return ProblemDetails(title: "Service Unavailable", status: 503, detail: "The database is not answering.")
                .response()
        }
    }
}
