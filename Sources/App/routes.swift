import Fluent
import SQLKit
import Vapor

func routes(_ app: Application, settings: Settings) throws {
    app.get("healthz", use: healthz)
    let metricsToken = settings.metricsToken
    app.get("metrics") { req -> Response in
        if let metricsToken {
            let presented = req.headers.bearerAuthorization?.token ?? ""
            guard Array(presented.utf8).count == Array(metricsToken.utf8).count, presented == metricsToken else {
                let response = ProblemDetails(title: "Unauthorized", status: 401, detail: "Metrics need the operator's token.").response()
                response.headers.replaceOrAdd(name: .wwwAuthenticate, value: #"Bearer realm="kagibag-metrics""#)
                return response
            }
        }
        let response = Response(status: .ok, body: .init(string: req.application.metrics.registry.emitToString()))
        response.headers.replaceOrAdd(name: .contentType, value: "text/plain; version=0.0.4; charset=utf-8")
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    // Sessions, CSRF and the current user come from the global `WebMiddleware`.
    try app.register(collection: AccountController())
    let signedIn = app.grouped(RequireLoginMiddleware())
    try signedIn.register(collection: TeamController())
    try signedIn.register(collection: APIKeysController(maxKeysPerTeam: settings.maxKeysPerTeam))
    try signedIn.register(collection: EventsController())
    try signedIn.register(collection: ActivityController())

    // The API's contract is public: integrators read it before they have a key.
    let openAPIPath = app.directory.resourcesDirectory + "openapi.json"
    app.get("api", "v1", "openapi.json") { req async throws -> Response in
        let response = try await req.fileio.asyncStreamFile(at: openAPIPath)
        response.headers.contentType = .json
        response.headers.replaceOrAdd(name: .cacheControl, value: "public, max-age=300")
        return response
    }

    let api = app.grouped("api", "v1").grouped(NoStoreMiddleware(), APIKeyAuthenticator(), JSONBodyMiddleware())
    try api.register(collection: OrganizerAPIController())
}

/// 200 when the database answers, 503 with a problem body when it does not.
@Sendable func healthz(req: Request) async throws -> Response {
    struct Status: Content { let status: String }
    do {
        try await (req.db as! any SQLDatabase).raw("SELECT 1").run()
        let response = try await Status(status: "ok").encodeResponse(for: req)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    } catch {
        req.logger.warning("health check: database did not answer", metadata: ["error": "\(String(reflecting: type(of: error)))"])
        return ProblemDetails(title: "Service Unavailable", status: 503, detail: "The database is not answering.").response()
    }
}

/// API responses are per-key and often secret-adjacent: no cache may keep them.
struct NoStoreMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let response = try await next.respond(to: request)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }
}
