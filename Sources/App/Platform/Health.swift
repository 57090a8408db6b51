import Vapor

/// `GET /healthz` (ready): 200 when the database answers, 503 with a problem body when it does
/// not. `GET /livez` (alive): 200 while the process serves requests, whatever the database does,
/// so that a liveness probe does not restart every instance during a database outage.
enum Health {
    @Sendable static func alive(req: Request) async throws -> Response {
        let response = Response(status: .ok, body: .init(string: #"{"status":"ok"}"#))
        response.headers.contentType = .json
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

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
